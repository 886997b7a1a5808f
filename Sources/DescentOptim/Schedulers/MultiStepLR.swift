/// Decays each group's learning rate by `gamma` at each milestone epoch
/// (`torch.optim.lr_scheduler.MultiStepLR`).
///
/// ```
/// lr ← lr · gamma^n    when last_epoch appears n times in milestones
/// ```
///
/// Closed form: `lr = initial_lr · gamma^(number of milestones ≤ epoch)`.
public final class MultiStepLR: LRSchedulerBase {
  /// How many times each milestone was given (PyTorch keeps a `Counter`).
  public private(set) var milestoneCounts: [Int: Int]
  /// Multiplicative factor of the decay (`gamma`).
  public private(set) var gamma: Double

  /// The milestones, sorted, each as many times as it was given.
  public var milestones: [Int] {
    milestoneCounts.keys.sorted().flatMap { Array(repeating: $0, count: milestoneCounts[$0]!) }
  }

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - milestones: epoch indices; a milestone given twice decays by `gamma²`.
  ///   - gamma: multiplicative factor (default 0.1).
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1, lastEpoch: Int = -1) throws {
    self.milestoneCounts = milestones.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    self.gamma = gamma
    try super.init(optimizer, lastEpoch: lastEpoch)
  }

  override func computeLRs() throws -> [Double] {
    guard let count = milestoneCounts[lastEpoch] else { return currentLRs }
    let factor = try Py.power(gamma, Double(count), "MultiStepLR's gamma \(gamma)")
    return currentLRs.map { $0 * factor }
  }

  override func closedFormLRs() throws -> [Double]? {
    let passed = Py.bisectRight(milestones, lastEpoch)
    let factor = try Py.power(gamma, Double(passed), "MultiStepLR's gamma \(gamma)")
    return baseLRs.map { $0 * factor }
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["milestones"] = .dict(
      Dictionary(uniqueKeysWithValues: milestoneCounts.map { ("\($0.key)", .int($0.value)) }))
    dict["gamma"] = .double(gamma)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    var counts = milestoneCounts
    if let saved = reader.dict["milestones"] {
      reader.ignore("milestones")
      let problem = SchedulerError(
        "MultiStepLR state dict: 'milestones' must map milestones to counts, got \(saved)")
      guard case .dict(let entries) = saved else { throw problem }
      counts = [:]
      for (key, value) in entries {
        guard let milestone = Int(key), case .int(let count) = value else { throw problem }
        counts[milestone] = count
      }
    }
    let gamma = try reader.double("gamma", or: self.gamma)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.milestoneCounts = counts
      self.gamma = gamma
    }
  }
}
