import Descent

/// A learning-rate scheduler that steps without arguments: every scheduler of
/// `torch.optim.lr_scheduler` except ``ReduceLROnPlateau`` (which steps on a metric).
///
/// ```swift
/// let optimizer = try SGD(model.parameters(), lr: 0.1, momentum: 0.9)
/// let scheduler = try StepLR(optimizer, stepSize: 30, gamma: 0.1)
/// for epoch in 0..<100 {
///   try train(epoch)           // optimizer.step() for every batch
///   try scheduler.step()       // after the optimizer's steps, as in PyTorch
/// }
/// ```
///
/// ``SequentialLR`` and ``ChainedScheduler`` take `[any LRScheduler]`.
public protocol LRScheduler: AnyObject {
  /// The optimizer whose param groups' `lr` the scheduler sets.
  var optimizer: Optimizer { get }
  /// The learning rate of each param group after the last step (`get_last_lr()`).
  var lastLR: [Double] { get }
  /// Advances the schedule by one epoch (or batch) and sets each group's `lr`
  /// (`scheduler.step()`). Call it after `optimizer.step()`.
  func step() throws
  /// The scheduler's state, under PyTorch's keys (`state_dict()`); see
  /// ``SchedulerStateDict``.
  func stateDict() -> SchedulerStateDict
  /// Restores a state saved by ``stateDict()`` (`load_state_dict`). Resume in PyTorch's
  /// order: build the optimizer and the scheduler, load the optimizer's state dict, then
  /// the scheduler's. Nothing changes when it throws.
  func loadStateDict(_ stateDict: SchedulerStateDict) throws
}

/// What ``SequentialLR`` does to the schedulers it runs, besides stepping them: PyTorch's
/// `recursive_undo`, `_initial_step` and `_update_lr(0)`.
protocol SequencedScheduler: LRScheduler {
  /// Takes back the initial step of construction (`last_epoch -= 1`), recursively.
  func undoInitialStep()
  /// Performs the initial step again (`_initial_step()`).
  func initialStep() throws
  /// Restarts at epoch 0 when a milestone is reached (`_update_lr(0)`).
  func restartAtMilestone() throws
}

/// The shared base of the epoch-driven schedulers: PyTorch's `LRScheduler` class.
///
/// Construction records `initial_lr` in every param group that lacks it and performs the
/// initial step (`last_epoch` becomes `lastEpoch + 1`, 0 by default), so the groups hold
/// the schedule's first rate at once. With `lastEpoch >= 0` (resuming) every group must
/// already have `initial_lr`.
///
/// Each ``step()`` increments ``lastEpoch`` and sets every group's `lr` from PyTorch's
/// recursive ("chainable") formula of the scheduler, which starts from the group's current
/// `lr`: a rate changed by hand, or by another scheduler on the same optimizer, is carried
/// along rather than overwritten.
///
/// The first ``step()`` warns through ``SchedulerDiagnostics`` when the optimizer has not
/// stepped since the first scheduler on it was made, as PyTorch does.
///
/// Departure from PyTorch: `step(epoch)`, deprecated since PyTorch 1.4, is not provided,
/// except by ``CosineAnnealingWarmRestarts``, where fractional epochs are its documented
/// use.
public class LRSchedulerBase: LRScheduler, SequencedScheduler {
  public let optimizer: Optimizer
  /// The rate each group started from (`base_lrs`): its `initial_lr`.
  public internal(set) var baseLRs: [Double]
  /// The index of the last epoch (`last_epoch`): 0 after construction, then one more per
  /// ``step()``.
  public internal(set) var lastEpoch: Int
  public internal(set) var lastLR: [Double] = []
  /// Steps taken, the initial one included (`_step_count`).
  var stepCount = 0
  /// Whether the initial step is running (`_is_initial`).
  var isInitial = false
  private let tracker: OptimizerStepTracker

  /// The scheduler's name in messages (`"StepLR"`).
  var name: String { String(describing: type(of: self)) }

  /// Attaches to `optimizer` and performs the initial step.
  ///
  /// - Parameter snapshot: the groups' hyperparameters before the subclass changed any, to
  ///   restore if the initial step throws; taken here when `nil`.
  init(_ optimizer: Optimizer, lastEpoch: Int, snapshot: [[String: HyperValue]]? = nil) throws {
    let snapshot = snapshot ?? optimizer.paramGroups.map(\.hyperparameters)
    if lastEpoch == -1 {
      for i in optimizer.paramGroups.indices where optimizer.paramGroups[i]["initial_lr"] == nil {
        optimizer.paramGroups[i]["initial_lr"] = .number(optimizer.paramGroups[i].lr)
      }
    } else {
      for (i, group) in optimizer.paramGroups.enumerated() where group["initial_lr"] == nil {
        throw SchedulerError(
          """
          param 'initial_lr' is not specified in param_groups[\(i)] when resuming scheduler with last_epoch >= 0.
          This typically happens when:
          1. You're trying to resume training from a checkpoint but haven't properly loaded the optimizer state
          2. You're using last_epoch >= 0 for a fresh training run (not recommended)
          """)
      }
    }
    self.optimizer = optimizer
    self.baseLRs = optimizer.paramGroups.map { $0["initial_lr"]?.number ?? $0.lr }
    self.lastEpoch = lastEpoch
    self.tracker = OptimizerStepTracker.tracker(for: optimizer)
    do {
      try initialStep()
    } catch {
      for i in snapshot.indices where i < optimizer.paramGroups.count {
        optimizer.paramGroups[i].hyperparameters = snapshot[i]
      }
      throw error
    }
  }

  // MARK: What each scheduler defines

  /// The next rate of each group (`get_lr()`), after ``lastEpoch`` was advanced.
  func computeLRs() throws -> [Double] {
    requirementFailure("\(name) must override computeLRs()")
  }

  /// The rates at ``lastEpoch`` from the closed form (`_get_closed_form_lr()`), for the
  /// schedulers that have one; `nil` otherwise.
  func closedFormLRs() throws -> [Double]? { nil }

  // MARK: Stepping

  /// Advances ``lastEpoch`` by one and sets each group's `lr` from the scheduler's recursive
  /// formula (`scheduler.step()`). Call it after `optimizer.step()`.
  public func step() throws {
    if stepCount == 1 && !tracker.optimizerStepped {
      SchedulerDiagnostics.report(
        SchedulerWarning(
          kind: .stepBeforeOptimizerStep, scheduler: name,
          message:
            "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first value of the learning rate schedule. See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
        ))
    }
    stepCount += 1
    try updateLR(epoch: nil)
  }

  /// PyTorch's `_update_lr`: advances ``lastEpoch`` (or sets it to `epoch`, then uses the
  /// closed form where there is one) and writes the rates into the groups.
  func updateLR(epoch: Int?) throws {
    let values: [Double]
    if let epoch {
      lastEpoch = epoch
      values = try closedFormLRs() ?? computeLRs()
    } else {
      lastEpoch += 1
      values = try computeLRs()
    }
    try setGroupLRs(values)
  }

  /// Writes `values` into the groups' `lr` and records them as ``lastLR``.
  func setGroupLRs(_ values: [Double]) throws {
    guard values.count == optimizer.paramGroups.count else {
      throw SchedulerError(
        "\(name) computed \(values.count) learning rates, but the optimizer has \(optimizer.paramGroups.count) param groups (a group added after the scheduler was made has no schedule)"
      )
    }
    for (i, lr) in values.enumerated() { optimizer.paramGroups[i].lr = lr }
    lastLR = currentLRs
  }

  /// Each group's current `lr`.
  var currentLRs: [Double] { optimizer.paramGroups.map(\.lr) }

  /// ``baseLRs`` beside the groups, one to one (a strict `zip` in PyTorch).
  func baseLRsByGroup() throws -> [(baseLR: Double, lr: Double)] {
    guard baseLRs.count == optimizer.paramGroups.count else {
      throw SchedulerError(
        "\(name) has \(baseLRs.count) base_lrs, but the optimizer has \(optimizer.paramGroups.count) param groups"
      )
    }
    return zip(baseLRs, optimizer.paramGroups).map { ($0, $1.lr) }
  }

  // MARK: SequentialLR

  func undoInitialStep() { lastEpoch -= 1 }

  func initialStep() throws {
    stepCount = 0
    isInitial = true
    defer { isInitial = false }
    try step()
  }

  func restartAtMilestone() throws { try updateLR(epoch: 0) }

  // MARK: State

  /// The scheduler's state under PyTorch's keys (`state_dict()`): `base_lrs`, `last_epoch`,
  /// `_step_count`, `_is_initial`, `_get_lr_called_within_step`, `_last_lr` and the
  /// scheduler's own.
  public func stateDict() -> SchedulerStateDict {
    var dict = SchedulerStateDict()
    encodeState(into: &dict)
    return dict
  }

  /// Restores a state saved by ``stateDict()`` (`load_state_dict`). Keys the dict lacks keep
  /// their values, as in PyTorch; a value of the wrong kind or a key this scheduler does not
  /// have throws, and nothing changes.
  public func loadStateDict(_ stateDict: SchedulerStateDict) throws {
    let reader = StateReader(stateDict, scheduler: name)
    let apply = try decodeState(reader)
    try reader.checkNoUnknownKeys()
    apply()
  }

  /// Adds the scheduler's entries; subclasses add theirs after calling `super`.
  func encodeState(into dict: inout SchedulerStateDict) {
    dict["base_lrs"] = baseLRs.stateValue
    dict["last_epoch"] = .int(lastEpoch)
    dict["_step_count"] = .int(stepCount)
    dict["_is_initial"] = .bool(isInitial)
    dict["_get_lr_called_within_step"] = .bool(false)
    dict["_last_lr"] = lastLR.stateValue
  }

  /// Reads the scheduler's entries and returns what assigns them: subclasses read theirs,
  /// call `super`, and return a closure that runs `super`'s and then assigns their own.
  func decodeState(_ reader: StateReader) throws -> () -> Void {
    let baseLRs = try reader.doubles("base_lrs", or: self.baseLRs)
    let lastEpoch = try reader.int("last_epoch", or: self.lastEpoch)
    let stepCount = try reader.int("_step_count", or: self.stepCount)
    let isInitial = try reader.bool("_is_initial", or: self.isInitial)
    _ = try reader.bool("_get_lr_called_within_step", or: false)
    let lastLR = try reader.doubles("_last_lr", or: self.lastLR)
    return { [self] in
      self.baseLRs = baseLRs
      self.lastEpoch = lastEpoch
      self.stepCount = stepCount
      self.isInitial = isInitial
      self.lastLR = lastLR
    }
  }
}
