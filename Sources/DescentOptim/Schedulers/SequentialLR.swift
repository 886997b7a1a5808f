/// Runs schedulers one after another, switching at milestone epochs
/// (`torch.optim.lr_scheduler.SequentialLR`): the usual warm-up then decay.
///
/// ```swift
/// let warmUp = try LinearLR(optimizer, startFactor: 0.1, totalIters: 10)
/// let decay = try CosineAnnealingLR(optimizer, tMax: 90)
/// let scheduler = try SequentialLR(optimizer, schedulers: [warmUp, decay], milestones: [10])
/// ```
///
/// Construction resets every group's `lr` to its `initial_lr`, takes back the initial step
/// that each scheduler made when it was built, and performs the first scheduler's initial
/// step again. At each ``step()`` the scheduler whose interval holds the epoch steps; at
/// a milestone, the next scheduler restarts at its epoch 0 (from its closed form where it
/// has one), as in PyTorch.
///
/// Schedulers that conform to ``LRScheduler`` outside Descent are only ever stepped with
/// ``LRScheduler/step()``.
public final class SequentialLR: LRScheduler, SequencedScheduler {
  public let optimizer: Optimizer
  /// The schedulers, in order (`_schedulers`).
  public let schedulers: [any LRScheduler]
  /// The epochs at which the next scheduler takes over (`_milestones`).
  public let milestones: [Int]
  /// The index of the last epoch (`last_epoch`).
  public private(set) var lastEpoch: Int
  public private(set) var lastLR: [Double]

  /// - Parameters:
  ///   - optimizer: the optimizer all `schedulers` schedule.
  ///   - schedulers: the schedulers, in order; at least one.
  ///   - milestones: one epoch fewer than there are schedulers: where each takes over.
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  /// - Throws: PyTorch's messages for no schedulers, a scheduler of another optimizer,
  ///   or a milestone count that does not fit.
  public init(
    _ optimizer: Optimizer, schedulers: [any LRScheduler], milestones: [Int], lastEpoch: Int = -1
  ) throws {
    if schedulers.isEmpty {
      throw SchedulerError("SequentialLR expects at least one scheduler, but got no scheduler.")
    }
    for (index, scheduler) in schedulers.enumerated() where scheduler.optimizer !== optimizer {
      throw SchedulerError(
        "SequentialLR expects all schedulers to belong to the same optimizer, but got scheduler \(schedulerName(scheduler)) at index \(index) has \(pythonRepr(scheduler.optimizer)), which is different from \(optimizerName(optimizer))."
      )
    }
    if milestones.count != schedulers.count - 1 {
      throw SchedulerError(
        "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers \(schedulers.count) and the number of milestones to be equal to \(milestones.count)"
      )
    }
    var initialLRs: [Double] = []
    for (i, group) in optimizer.paramGroups.enumerated() {
      guard let initialLR = group["initial_lr"]?.number else {
        throw SchedulerError("param group \(i) has no 'initial_lr' (KeyError: 'initial_lr')")
      }
      initialLRs.append(initialLR)
    }
    self.optimizer = optimizer
    self.schedulers = schedulers
    self.milestones = milestones
    self.lastEpoch = lastEpoch + 1
    self.lastLR = []
    let snapshot = optimizer.paramGroups.map(\.hyperparameters)
    for (i, lr) in initialLRs.enumerated() { optimizer.paramGroups[i].lr = lr }
    undoInitialStep()
    let first = schedulers[Py.bisectRight(milestones, 0)]
    do {
      try SequentialLR.initialStep(of: first)
    } catch {
      for i in snapshot.indices { optimizer.paramGroups[i].hyperparameters = snapshot[i] }
      throw error
    }
    lastLR = first.lastLR
  }

  /// Advances one epoch: the scheduler whose interval holds it steps, or, at a milestone,
  /// the next one restarts at its epoch 0.
  public func step() throws {
    lastEpoch += 1
    let index = Py.bisectRight(milestones, lastEpoch)
    let scheduler = schedulers[index]
    if index > 0 && milestones[index - 1] == lastEpoch {
      try (scheduler as? SequencedScheduler)?.restartAtMilestone() ?? scheduler.step()
    } else {
      try scheduler.step()
    }
    lastLR = scheduler.lastLR
  }

  // MARK: As a scheduler inside another SequentialLR

  func undoInitialStep() {
    for scheduler in schedulers { (scheduler as? SequencedScheduler)?.undoInitialStep() }
  }

  func initialStep() throws { try step() }

  func restartAtMilestone() throws {
    // PyTorch's `_update_lr(0)` reaches `get_lr()`, which composites do not have.
    lastEpoch = 0
    throw SchedulerError(
      "NotImplementedError: a SequentialLR inside a SequentialLR cannot restart at a milestone (it has no get_lr)"
    )
  }

  static func initialStep(of scheduler: any LRScheduler) throws {
    if let sequenced = scheduler as? SequencedScheduler {
      try sequenced.initialStep()
    } else {
      try scheduler.step()
    }
  }

  // MARK: State

  /// The state under PyTorch's keys: `last_epoch`, `_milestones`, `_last_lr` and
  /// `_schedulers`, the list of the schedulers' own state dicts.
  public func stateDict() -> SchedulerStateDict {
    SchedulerStateDict([
      "_milestones": .list(milestones.map { .int($0) }),
      "last_epoch": .int(lastEpoch),
      "_last_lr": lastLR.stateValue,
      "_schedulers": .list(schedulers.map { .dict($0.stateDict().values) }),
    ])
  }

  /// Restores a state saved by ``stateDict()``, the schedulers' included; the milestones must
  /// be this scheduler's. Nothing changes when it throws.
  public func loadStateDict(_ stateDict: SchedulerStateDict) throws {
    let reader = StateReader(stateDict, scheduler: "SequentialLR")
    let milestones = try reader.ints("_milestones", or: self.milestones)
    guard milestones == self.milestones else {
      throw SchedulerError(
        "SequentialLR state dict has milestones \(milestones), but the scheduler has \(self.milestones)")
    }
    let lastEpoch = try reader.int("last_epoch", or: self.lastEpoch)
    let lastLR = try reader.doubles("_last_lr", or: self.lastLR)
    let states = try reader.subStates("_schedulers", count: schedulers.count)
    try reader.checkNoUnknownKeys()
    try loadAll(states, into: schedulers)
    self.lastEpoch = lastEpoch
    self.lastLR = lastLR
  }
}

/// Loads each state into its scheduler; when one throws, restores the ones already loaded,
/// so that nothing changes.
func loadAll(_ states: [SchedulerStateDict]?, into schedulers: [any LRScheduler]) throws {
  guard let states else { return }
  let previous = schedulers.map { $0.stateDict() }
  for (index, (scheduler, state)) in zip(schedulers, states).enumerated() {
    do {
      try scheduler.loadStateDict(state)
    } catch {
      for (loaded, saved) in zip(schedulers.prefix(index), previous) { try? loaded.loadStateDict(saved) }
      throw error
    }
  }
}

/// The type name of a scheduler, for messages (`"StepLR"`).
func schedulerName(_ scheduler: any LRScheduler) -> String {
  String(describing: type(of: scheduler))
}

/// PyTorch's `repr(optimizer)`: its name and each group's hyperparameters, sorted.
func pythonRepr(_ optimizer: Optimizer) -> String {
  var text = optimizerName(optimizer) + " ("
  for (i, group) in optimizer.paramGroups.enumerated() {
    text += "\nParameter Group \(i)\n"
    for key in group.hyperparameters.keys.sorted() {
      text += "    \(key): \(group.hyperparameters[key]!)\n"
    }
  }
  return text + ")"
}

/// The optimizer's class name (`"SGD"`), as PyTorch's messages print it.
func optimizerName(_ optimizer: Optimizer) -> String {
  String(describing: type(of: optimizer))
}
