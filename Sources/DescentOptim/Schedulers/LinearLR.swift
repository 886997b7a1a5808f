/// Scales each group's learning rate by a factor that moves linearly from `startFactor` to
/// `endFactor` over `totalIters` epochs (`torch.optim.lr_scheduler.LinearLR`): the usual
/// warm-up.
///
/// ```
/// lr ← lr · start_factor                                   at last_epoch = 0
/// lr ← lr · (1 + (end − start) / (total_iters · start + (last_epoch − 1) · (end − start)))
///                                                          for 0 < last_epoch ≤ total_iters
/// ```
///
/// Closed form: `lr = initial_lr · (start + (end − start) · min(total_iters, epoch) / total_iters)`.
public final class LinearLR: LRSchedulerBase {
  /// The factor at epoch 0 (`start_factor`).
  public private(set) var startFactor: Double
  /// The factor from ``totalIters`` on (`end_factor`).
  public private(set) var endFactor: Double
  /// The number of epochs of the ramp (`total_iters`).
  public private(set) var totalIters: Int

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - startFactor: the first factor, in (0, 1] (default 1/3).
  ///   - endFactor: the last factor, in [0, 1] (default 1).
  ///   - totalIters: the number of epochs of the ramp (default 5).
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  /// - Throws: PyTorch's messages for factors out of range.
  public init(
    _ optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1.0, totalIters: Int = 5,
    lastEpoch: Int = -1
  ) throws {
    if startFactor > 1.0 || startFactor <= 0 {
      throw SchedulerError(
        "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
    }
    if endFactor > 1.0 || endFactor < 0 {
      throw SchedulerError("Ending multiplicative factor expected to be between 0 and 1.")
    }
    self.startFactor = startFactor
    self.endFactor = endFactor
    self.totalIters = totalIters
    try super.init(optimizer, lastEpoch: lastEpoch)
  }

  override func computeLRs() throws -> [Double] {
    if lastEpoch == 0 { return currentLRs.map { $0 * startFactor } }
    if isInitial || lastEpoch > totalIters { return currentLRs }
    let denominator =
      Double(totalIters) * startFactor + Double(lastEpoch - 1) * (endFactor - startFactor)
    let ratio = try Py.divide(endFactor - startFactor, denominator, "LinearLR's ramp")
    return currentLRs.map { $0 * (1.0 + ratio) }
  }

  override func closedFormLRs() throws -> [Double]? {
    let progress = try Py.divide(
      (endFactor - startFactor) * Double(min(totalIters, lastEpoch)), Double(totalIters),
      "LinearLR's total_iters is 0")
    return baseLRs.map { $0 * (startFactor + progress) }
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["start_factor"] = .double(startFactor)
    dict["end_factor"] = .double(endFactor)
    dict["total_iters"] = .int(totalIters)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let startFactor = try reader.double("start_factor", or: self.startFactor)
    let endFactor = try reader.double("end_factor", or: self.endFactor)
    let totalIters = try reader.int("total_iters", or: self.totalIters)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.startFactor = startFactor
      self.endFactor = endFactor
      self.totalIters = totalIters
    }
  }
}
