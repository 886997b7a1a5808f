/// Decays each group's learning rate polynomially to zero over `totalIters` epochs
/// (`torch.optim.lr_scheduler.PolynomialLR`).
///
/// ```
/// lr ← lr · ((1 − last_epoch / total_iters) / (1 − (last_epoch − 1) / total_iters))^power
///                                              for 0 < last_epoch ≤ total_iters
/// ```
///
/// Closed form: `lr = initial_lr · (1 − min(total_iters, epoch) / total_iters)^power`.
public final class PolynomialLR: LRSchedulerBase {
  /// The number of epochs of the decay (`total_iters`).
  public private(set) var totalIters: Int
  /// The power of the polynomial (`power`).
  public private(set) var power: Double

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - totalIters: the number of epochs of the decay (default 5).
  ///   - power: the power of the polynomial (default 1). A negative power throws at
  ///     `totalIters`, where PyTorch raises `ZeroDivisionError`.
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  public init(_ optimizer: Optimizer, totalIters: Int = 5, power: Double = 1.0, lastEpoch: Int = -1) throws {
    self.totalIters = totalIters
    self.power = power
    try super.init(optimizer, lastEpoch: lastEpoch)
  }

  override func computeLRs() throws -> [Double] {
    if isInitial || lastEpoch > totalIters { return currentLRs }
    let context = "PolynomialLR at epoch \(lastEpoch) of \(totalIters), power \(power)"
    let t = Double(totalIters)
    let ratio = try Py.divide(
      1.0 - (try Py.divide(Double(lastEpoch), t, context)),
      1.0 - (try Py.divide(Double(lastEpoch - 1), t, context)), context)
    let decay = try Py.power(ratio, power, context)
    return currentLRs.map { $0 * decay }
  }

  override func closedFormLRs() throws -> [Double]? {
    let context = "PolynomialLR's total_iters \(totalIters), power \(power)"
    let left = 1.0 - (try Py.divide(Double(min(totalIters, lastEpoch)), Double(totalIters), context))
    let decay = try Py.power(left, power, context)
    return baseLRs.map { $0 * decay }
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["total_iters"] = .int(totalIters)
    dict["power"] = .double(power)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let totalIters = try reader.int("total_iters", or: self.totalIters)
    let power = try reader.double("power", or: self.power)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.totalIters = totalIters
      self.power = power
    }
  }
}
