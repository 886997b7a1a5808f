import Descent

/// Reduces each group's learning rate by `factor` when a metric has stopped improving for
/// `patience` epochs (`torch.optim.lr_scheduler.ReduceLROnPlateau`).
///
/// ```swift
/// let scheduler = try ReduceLROnPlateau(optimizer, mode: .min, factor: 0.5, patience: 3)
/// for epoch in 0..<100 {
///   try train(epoch)
///   try scheduler.step(metric: validationLoss())
/// }
/// ```
///
/// Each ``step(metric:)-(Double)``:
///
/// ```
/// if metric is better than best (by threshold): best ← metric, bad ← 0   else bad ← bad + 1
/// if cooling down: cooldown_counter ← cooldown_counter − 1, bad ← 0
/// if bad > patience:
///     lr ← max(lr · factor, min_lr) for each group, unless the change is ≤ eps
///     cooldown_counter ← cooldown, bad ← 0
/// ```
///
/// "Better" is, for ``Mode/min``: `metric < best · (1 − threshold)` (``ThresholdMode/rel``)
/// or `metric < best − threshold` (``ThresholdMode/abs``); for ``Mode/max``:
/// `metric > best · (1 + threshold)` or `metric > best + threshold`.
///
/// It steps on a metric, so it is not an ``LRScheduler`` and cannot be passed to
/// ``SequentialLR`` or ``ChainedScheduler`` (PyTorch rejects it there at run time).
public final class ReduceLROnPlateau {
  /// Whether the metric should fall or rise (`mode`).
  public enum Mode: String, Sendable {
    /// The metric should fall (a loss).
    case min
    /// The metric should rise (an accuracy).
    case max
  }

  /// How the threshold compares (`threshold_mode`).
  public enum ThresholdMode: String, Sendable {
    /// Relative to the best value.
    case rel
    /// Absolute.
    case abs
  }

  /// The optimizer whose groups' `lr` is reduced.
  public let optimizer: Optimizer
  /// Whether the metric should fall or rise (`mode`).
  public private(set) var mode: Mode
  /// The factor of a reduction, below 1 (`factor`).
  public private(set) var factor: Double
  /// The number of bad epochs tolerated before a reduction (`patience`).
  public private(set) var patience: Int
  /// The margin a metric must beat the best by (`threshold`).
  public private(set) var threshold: Double
  /// How the threshold compares (`threshold_mode`).
  public private(set) var thresholdMode: ThresholdMode
  /// Epochs to wait after a reduction before counting bad epochs again (`cooldown`).
  public private(set) var cooldown: Int
  /// The lower bound of each group's rate (`min_lrs`).
  public private(set) var minLRs: [Double]
  /// The bound for every group when one was given (`default_min_lr`), `nil` for a list.
  public private(set) var defaultMinLR: Double?
  /// The smallest change of a rate that is applied (`eps`).
  public private(set) var eps: Double
  /// The number of steps taken (`last_epoch`).
  public private(set) var lastEpoch: Int
  /// The best metric so far (`best`): +∞ (``Mode/min``) or −∞ (``Mode/max``) at first.
  public private(set) var best: Double
  /// Epochs left in the current cooldown (`cooldown_counter`).
  public private(set) var cooldownCounter: Int
  /// Consecutive epochs without improvement (`num_bad_epochs`).
  public private(set) var numBadEpochs: Int
  /// The learning rate of each param group after the last step (`get_last_lr()`).
  public private(set) var lastLR: [Double]

  /// Whether a cooldown is running (`in_cooldown`).
  public var inCooldown: Bool { cooldownCounter > 0 }

  /// The worst value of the metric for ``mode`` (`mode_worse`).
  public var modeWorse: Double { mode == .min ? .infinity : -.infinity }

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is reduced.
  ///   - mode: ``Mode/min`` (default) or ``Mode/max``.
  ///   - factor: the factor of a reduction, below 1 (default 0.1).
  ///   - patience: bad epochs tolerated before a reduction (default 10).
  ///   - threshold: the margin of an improvement (default 1e-4).
  ///   - thresholdMode: ``ThresholdMode/rel`` (default) or ``ThresholdMode/abs``.
  ///   - cooldown: epochs to wait after a reduction (default 0).
  ///   - minLR: the lower bound, for every group or one per group (default 0).
  ///   - eps: the smallest change applied (default 1e-8).
  /// - Throws: `"Factor should be < 1.0."`, or `"expected 2 min_lrs, got 3"`.
  public init(
    _ optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
    threshold: Double = 1e-4, thresholdMode: ThresholdMode = .rel, cooldown: Int = 0,
    minLR: some GroupValuesConvertible = 0.0, eps: Double = 1e-8
  ) throws {
    if factor >= 1.0 { throw SchedulerError("Factor should be < 1.0.") }
    let groups = optimizer.paramGroups.count
    switch minLR.groupValues {
    case .all(let value):
      defaultMinLR = value
      minLRs = Array(repeating: value, count: groups)
    case .each(let values):
      guard values.count == groups else {
        throw SchedulerError("expected \(groups) min_lrs, got \(values.count)")
      }
      defaultMinLR = nil
      minLRs = values
    }
    self.optimizer = optimizer
    self.mode = mode
    self.factor = factor
    self.patience = patience
    self.threshold = threshold
    self.thresholdMode = thresholdMode
    self.cooldown = cooldown
    self.eps = eps
    self.lastEpoch = 0
    self.lastLR = optimizer.paramGroups.map(\.lr)
    self.best = mode == .min ? .infinity : -.infinity
    self.cooldownCounter = 0
    self.numBadEpochs = 0
  }

  /// Records the epoch's `metric` and reduces the rates when it has not improved for more
  /// than ``patience`` epochs.
  ///
  /// - Throws: PyTorch's message when groups were added to an optimizer whose scheduler
  ///   was given one `minLR` per group.
  public func step(metric: Double) throws {
    let current = metric
    lastEpoch += 1
    if isBetter(current, than: best) {
      best = current
      numBadEpochs = 0
    } else {
      numBadEpochs += 1
    }
    if inCooldown {
      cooldownCounter -= 1
      numBadEpochs = 0  // bad epochs in a cooldown do not count
    }
    if numBadEpochs > patience {
      try reduceLR()
      cooldownCounter = cooldown
      numBadEpochs = 0
    }
    lastLR = optimizer.paramGroups.map(\.lr)
  }

  /// ``step(metric:)-(Double)`` with a one-element tensor's value (a loss), as PyTorch's
  /// `float(metrics)`.
  public func step(metric: Tensor) throws {
    try step(metric: metric.item())
  }

  private func reduceLR() throws {
    let groups = optimizer.paramGroups.count
    if groups != minLRs.count {
      guard let defaultMinLR else {
        throw SchedulerError(
          "The number of param groups in the `optimizer` (\(groups)) differs from when `ReduceLROnPlateau` was initialized (\(minLRs.count)), usually due to a new param group being added to the optimizer. Please modify the `min_lrs` field to match the length of the `optimizer` param groups."
        )
      }
      minLRs = Array(repeating: defaultMinLR, count: groups)
    }
    for i in optimizer.paramGroups.indices {
      let oldLR = optimizer.paramGroups[i].lr
      let newLR = Py.max(oldLR * factor, minLRs[i])
      if oldLR - newLR > eps { optimizer.paramGroups[i].lr = newLR }
    }
  }

  private func isBetter(_ a: Double, than best: Double) -> Bool {
    switch (mode, thresholdMode) {
    case (.min, .rel): a < best * (1.0 - threshold)
    case (.min, .abs): a < best - threshold
    case (.max, .rel): a > best * (threshold + 1.0)
    case (.max, .abs): a > best + threshold
    }
  }

  /// The scheduler's state, under PyTorch's keys (`state_dict()`).
  public func stateDict() -> SchedulerStateDict {
    SchedulerStateDict([
      "factor": .double(factor),
      "default_min_lr": defaultMinLR.map { .double($0) } ?? .null,
      "min_lrs": minLRs.stateValue,
      "patience": .int(patience),
      "cooldown": .int(cooldown),
      "eps": .double(eps),
      "last_epoch": .int(lastEpoch),
      "_last_lr": lastLR.stateValue,
      "mode_worse": .double(modeWorse),
      "mode": .string(mode.rawValue),
      "threshold": .double(threshold),
      "threshold_mode": .string(thresholdMode.rawValue),
      "best": .double(best),
      "cooldown_counter": .int(cooldownCounter),
      "num_bad_epochs": .int(numBadEpochs),
    ])
  }

  /// Restores a state saved by ``stateDict()`` (`load_state_dict`). Nothing changes when
  /// it throws.
  ///
  /// - Throws: PyTorch's `"mode <m> is unknown!"` or `"threshold mode <m> is unknown!"`,
  ///   or a message naming an entry of the wrong kind or an unknown key.
  public func loadStateDict(_ stateDict: SchedulerStateDict) throws {
    let r = StateReader(stateDict, scheduler: "ReduceLROnPlateau")
    let factor = try r.double("factor", or: self.factor)
    let defaultMinLR = try r.optionalDouble("default_min_lr", or: self.defaultMinLR)
    let minLRs = try r.doubles("min_lrs", or: self.minLRs)
    let patience = try r.int("patience", or: self.patience)
    let cooldown = try r.int("cooldown", or: self.cooldown)
    let eps = try r.double("eps", or: self.eps)
    let lastEpoch = try r.int("last_epoch", or: self.lastEpoch)
    let lastLR = try r.doubles("_last_lr", or: self.lastLR)
    _ = try r.double("mode_worse", or: modeWorse)  // recomputed from mode, as PyTorch does
    let modeName = try r.string("mode", or: self.mode.rawValue)
    let threshold = try r.double("threshold", or: self.threshold)
    let thresholdModeName = try r.string("threshold_mode", or: self.thresholdMode.rawValue)
    let best = try r.double("best", or: self.best)
    let cooldownCounter = try r.int("cooldown_counter", or: self.cooldownCounter)
    let numBadEpochs = try r.int("num_bad_epochs", or: self.numBadEpochs)
    try r.checkNoUnknownKeys()
    guard let mode = Mode(rawValue: modeName) else {
      throw SchedulerError("mode \(modeName) is unknown!")
    }
    guard let thresholdMode = ThresholdMode(rawValue: thresholdModeName) else {
      throw SchedulerError("threshold mode \(thresholdModeName) is unknown!")
    }
    self.factor = factor
    self.defaultMinLR = defaultMinLR
    self.minLRs = minLRs
    self.patience = patience
    self.cooldown = cooldown
    self.eps = eps
    self.lastEpoch = lastEpoch
    self.lastLR = lastLR
    self.mode = mode
    self.threshold = threshold
    self.thresholdMode = thresholdMode
    self.best = best
    self.cooldownCounter = cooldownCounter
    self.numBadEpochs = numBadEpochs
  }
}
