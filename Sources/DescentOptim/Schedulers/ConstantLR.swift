/// Multiplies each group's learning rate by `factor` until epoch `totalIters`
/// (`torch.optim.lr_scheduler.ConstantLR`).
///
/// ```
/// lr ← lr · factor        at last_epoch = 0
/// lr ← lr · (1 / factor)  at last_epoch = total_iters
/// ```
///
/// Closed form: `lr = initial_lr · (factor if epoch < total_iters, else 1)`.
public final class ConstantLR: LRSchedulerBase {
  /// The factor applied until ``totalIters`` (`factor`).
  public private(set) var factor: Double
  /// The epoch at which the factor is undone (`total_iters`).
  public private(set) var totalIters: Int

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - factor: the factor, in [0, 1] (default 1/3). With 0, the step at `totalIters`
  ///     throws, as PyTorch's raises `ZeroDivisionError`.
  ///   - totalIters: the number of epochs the factor applies (default 5).
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  /// - Throws: `"Constant multiplicative factor expected to be between 0 and 1."`.
  public init(
    _ optimizer: Optimizer, factor: Double = 1.0 / 3, totalIters: Int = 5, lastEpoch: Int = -1
  ) throws {
    if factor > 1.0 || factor < 0 {
      throw SchedulerError("Constant multiplicative factor expected to be between 0 and 1.")
    }
    self.factor = factor
    self.totalIters = totalIters
    try super.init(optimizer, lastEpoch: lastEpoch)
  }

  override func computeLRs() throws -> [Double] {
    if lastEpoch == 0 { return currentLRs.map { $0 * factor } }
    if lastEpoch != totalIters { return currentLRs }
    let undo = try Py.divide(1.0, factor, "ConstantLR's factor is 0")
    return currentLRs.map { $0 * undo }
  }

  override func closedFormLRs() throws -> [Double]? {
    let reached = lastEpoch >= totalIters ? 1.0 : 0.0
    return baseLRs.map { $0 * (factor + reached * (1 - factor)) }
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["factor"] = .double(factor)
    dict["total_iters"] = .int(totalIters)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let factor = try reader.double("factor", or: self.factor)
    let totalIters = try reader.int("total_iters", or: self.totalIters)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.factor = factor
      self.totalIters = totalIters
    }
  }
}
