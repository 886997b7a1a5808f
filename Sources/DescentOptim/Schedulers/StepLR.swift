/// Decays each group's learning rate by `gamma` every `stepSize` epochs
/// (`torch.optim.lr_scheduler.StepLR`).
///
/// ```
/// lr ← lr · gamma    when last_epoch is a non-zero multiple of step_size
/// ```
///
/// Closed form (from `initial_lr`, with no other change to `lr`):
/// `lr = initial_lr · gamma^⌊epoch / step_size⌋`.
public final class StepLR: LRSchedulerBase {
  /// Period of the decay, in epochs (`step_size`).
  public private(set) var stepSize: Int
  /// Multiplicative factor of the decay (`gamma`).
  public private(set) var gamma: Double

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - stepSize: period of the decay. A step with `stepSize` 0 throws, as PyTorch's
  ///     raises `ZeroDivisionError`.
  ///   - gamma: multiplicative factor (default 0.1).
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1, lastEpoch: Int = -1) throws {
    self.stepSize = stepSize
    self.gamma = gamma
    try super.init(optimizer, lastEpoch: lastEpoch)
  }

  override func computeLRs() throws -> [Double] {
    if lastEpoch == 0 { return currentLRs }
    let decays = try Py.isMultiple(lastEpoch, of: stepSize, "StepLR's step_size is 0")
    if !decays { return currentLRs }
    return currentLRs.map { $0 * gamma }
  }

  override func closedFormLRs() throws -> [Double]? {
    let exponent = try Py.floorDivide(lastEpoch, stepSize, "StepLR's step_size is 0")
    let factor = try Py.power(gamma, Double(exponent), "StepLR's gamma \(gamma)")
    return baseLRs.map { $0 * factor }
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["step_size"] = .int(stepSize)
    dict["gamma"] = .double(gamma)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let stepSize = try reader.int("step_size", or: self.stepSize)
    let gamma = try reader.double("gamma", or: self.gamma)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.stepSize = stepSize
      self.gamma = gamma
    }
  }
}
