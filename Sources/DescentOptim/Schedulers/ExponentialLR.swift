/// Decays each group's learning rate by `gamma` every epoch
/// (`torch.optim.lr_scheduler.ExponentialLR`).
///
/// ```
/// lr ← lr · gamma
/// ```
///
/// Closed form: `lr = initial_lr · gamma^epoch`.
public final class ExponentialLR: LRSchedulerBase {
  /// Multiplicative factor of the decay (`gamma`).
  public private(set) var gamma: Double

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - gamma: multiplicative factor per epoch (no default, as in PyTorch).
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  public init(_ optimizer: Optimizer, gamma: Double, lastEpoch: Int = -1) throws {
    self.gamma = gamma
    try super.init(optimizer, lastEpoch: lastEpoch)
  }

  override func computeLRs() throws -> [Double] {
    // Resuming must not move the rate a step ahead of itself.
    if isInitial { return currentLRs }
    return currentLRs.map { $0 * gamma }
  }

  override func closedFormLRs() throws -> [Double]? {
    let factor = try Py.power(gamma, Double(lastEpoch), "ExponentialLR's gamma \(gamma)")
    return baseLRs.map { $0 * factor }
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["gamma"] = .double(gamma)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let gamma = try reader.double("gamma", or: self.gamma)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.gamma = gamma
    }
  }
}
