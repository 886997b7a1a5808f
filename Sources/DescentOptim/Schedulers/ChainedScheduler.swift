/// Steps several schedulers of one optimizer together
/// (`torch.optim.lr_scheduler.ChainedScheduler`): their recursive forms compose, so the
/// rates are the product of the schedules.
///
/// ```swift
/// let scheduler = try ChainedScheduler([
///   try ConstantLR(optimizer, factor: 0.1, totalIters: 20),
///   try ExponentialLR(optimizer, gamma: 0.9),
/// ])
/// ```
public final class ChainedScheduler: LRScheduler, SequencedScheduler {
  public let optimizer: Optimizer
  /// The schedulers, stepped in order (`_schedulers`).
  public let schedulers: [any LRScheduler]
  public private(set) var lastLR: [Double]

  /// - Parameters:
  ///   - schedulers: the schedulers to step together; at least one.
  ///   - optimizer: their optimizer (default `nil`: the first scheduler's).
  /// - Throws: PyTorch's messages for no schedulers, or one of another optimizer.
  public init(_ schedulers: [any LRScheduler], optimizer: Optimizer? = nil) throws {
    guard let first = schedulers.first else {
      throw SchedulerError(
        "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")
    }
    let optimizer = optimizer ?? first.optimizer
    for (index, scheduler) in schedulers.enumerated() where scheduler.optimizer !== optimizer {
      throw SchedulerError(
        "ChainedScheduler expects all schedulers to belong to the same optimizer, but got scheduler \(schedulerName(scheduler)) at index \(index) has \(pythonRepr(scheduler.optimizer)), which is different from \(optimizerName(optimizer))."
      )
    }
    self.optimizer = optimizer
    self.schedulers = schedulers
    self.lastLR = schedulers.last!.optimizer.paramGroups.map(\.lr)
  }

  /// Steps every scheduler, in order.
  public func step() throws {
    for scheduler in schedulers { try scheduler.step() }
    lastLR = schedulers.last!.optimizer.paramGroups.map(\.lr)
  }

  // MARK: As a scheduler inside a SequentialLR

  func undoInitialStep() {
    for scheduler in schedulers { (scheduler as? SequencedScheduler)?.undoInitialStep() }
  }

  func initialStep() throws { try step() }

  func restartAtMilestone() throws {
    // PyTorch's `_update_lr(0)` reaches `get_lr()`, which composites do not have.
    throw SchedulerError(
      "NotImplementedError: a ChainedScheduler inside a SequentialLR cannot restart at a milestone (it has no get_lr)"
    )
  }

  // MARK: State

  /// The state under PyTorch's keys: `_last_lr` and `_schedulers`, the list of the
  /// schedulers' own state dicts.
  public func stateDict() -> SchedulerStateDict {
    SchedulerStateDict([
      "_last_lr": lastLR.stateValue,
      "_schedulers": .list(schedulers.map { .dict($0.stateDict().values) }),
    ])
  }

  /// Restores a state saved by ``stateDict()``, the schedulers' included. Nothing changes when
  /// it throws.
  public func loadStateDict(_ stateDict: SchedulerStateDict) throws {
    let reader = StateReader(stateDict, scheduler: "ChainedScheduler")
    let lastLR = try reader.doubles("_last_lr", or: self.lastLR)
    let states = try reader.subStates("_schedulers", count: schedulers.count)
    try reader.checkNoUnknownKeys()
    try loadAll(states, into: schedulers)
    self.lastLR = lastLR
  }
}
