import Foundation

/// Cycles each group's learning rate between `baseLR` and `maxLR`, and its momentum (or
/// first beta) the opposite way, every batch (`torch.optim.lr_scheduler.CyclicLR`).
///
/// With `t = last_epoch`, `size = step_size_up + step_size_down` and
/// `ratio = step_size_up / size`:
///
/// ```
/// cycle = ⌊1 + t / size⌋
/// x     = 1 + t / size − cycle
/// s     = x / ratio                 if x ≤ ratio (rising)
///         (x − 1) / (ratio − 1)     otherwise   (falling)
/// lr       = base_lr + (max_lr − base_lr) · s · scale
/// momentum = max_momentum − (max_momentum − base_momentum) · s · scale
/// ```
///
/// where `scale` is `scale_fn(cycle)` or `scale_fn(t)`: 1 for ``Mode/triangular``,
/// `1 / 2^(cycle−1)` for ``Mode/triangular2``, `gamma^t` for ``Mode/expRange``, or your
/// `scaleFn`.
///
/// `scaleFn` is not part of ``LRSchedulerBase/stateDict()`` (PyTorch does not save lambdas either): pass
/// it again to the new scheduler before loading its state.
public final class CyclicLR: LRSchedulerBase {
  /// The built-in scaling policies (`mode`).
  public enum Mode: String, Sendable {
    /// A triangle without amplitude scaling.
    case triangular
    /// A triangle whose amplitude halves every cycle.
    case triangular2
    /// A triangle whose amplitude is scaled by `gamma^iterations` (`"exp_range"`).
    case expRange = "exp_range"
  }

  /// What a scaling function is evaluated on (`scale_mode`).
  public enum ScaleMode: String, Sendable {
    /// The cycle number, from 1.
    case cycle
    /// The iteration count (`last_epoch`).
    case iterations
  }

  /// The upper bound of each group's cycle (`max_lrs`).
  public private(set) var maxLRs: [Double]
  /// The length of a cycle, in steps (`total_size`).
  public private(set) var totalSize: Double
  /// The rising part of a cycle (`step_ratio`).
  public private(set) var stepRatio: Double
  /// The scaling policy (`mode`); ignored when a `scaleFn` is given.
  public private(set) var mode: Mode
  /// The base of ``Mode/expRange``'s scaling (`gamma`).
  public private(set) var gamma: Double
  /// What the scaling function is evaluated on (`scale_mode`).
  public private(set) var scaleMode: ScaleMode
  /// Whether momentum is cycled (`cycle_momentum`).
  public private(set) var cycleMomentum: Bool
  /// Whether the first of `betas` is cycled rather than `momentum` (`use_beta1`).
  public private(set) var usesBeta1: Bool
  /// The lower bound of each group's momentum (`base_momentums`).
  public private(set) var baseMomentums: [Double]
  /// The upper bound of each group's momentum (`max_momentums`).
  public private(set) var maxMomentums: [Double]
  /// The custom scaling function (`scale_fn`), or `nil`.
  public let scaleFn: ((Double) -> Double)?

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` (and momentum) is scheduled.
  ///   - baseLR: the lower bound, for every group or one per group. Written into each
  ///     group's `lr` at construction.
  ///   - maxLR: the upper bound, for every group or one per group.
  ///   - stepSizeUp: steps in the rising half of a cycle (default 2000).
  ///   - stepSizeDown: steps in the falling half (default `nil`: `stepSizeUp`).
  ///   - mode: the scaling policy (default ``Mode/triangular``); ignored with `scaleFn`.
  ///   - gamma: the base of ``Mode/expRange``'s scaling (default 1).
  ///   - scaleFn: a custom scaling function with values in [0, 1] (default `nil`).
  ///   - scaleMode: what `scaleFn` is evaluated on (default ``ScaleMode/cycle``); the
  ///     built-in modes set their own.
  ///   - cycleMomentum: cycle momentum (or beta1) inversely to the rate (default `true`).
  ///   - baseMomentum: the lower momentum bound (default 0.8).
  ///   - maxMomentum: the upper momentum bound (default 0.9).
  ///   - lastEpoch: the index of the last batch when resuming (default -1: start).
  /// - Throws: PyTorch's messages for lists of the wrong length, or for `cycleMomentum`
  ///   with an optimizer that has neither momentum nor betas; `"float division by zero"`
  ///   where PyTorch divides by a zero step size.
  public init(
    _ optimizer: Optimizer, baseLR: some GroupValuesConvertible, maxLR: some GroupValuesConvertible,
    stepSizeUp: Int = 2000, stepSizeDown: Int? = nil, mode: Mode = .triangular, gamma: Double = 1.0,
    scaleFn: ((Double) -> Double)? = nil, scaleMode: ScaleMode = .cycle, cycleMomentum: Bool = true,
    baseMomentum: some GroupValuesConvertible = 0.8, maxMomentum: some GroupValuesConvertible = 0.9,
    lastEpoch: Int = -1
  ) throws {
    // Every check before any change to the optimizer; PyTorch writes `lr` first.
    let baseLRs = try baseLR.groupValues.perGroup("base_lr", optimizer)
    let maxLRs = try maxLR.groupValues.perGroup("max_lr", optimizer)
    let up = Double(stepSizeUp)
    let down = stepSizeDown.map(Double.init) ?? up
    let totalSize = up + down
    let stepRatio = try Py.divide(up, totalSize, "CyclicLR's step_size_up + step_size_down is 0")
    var usesBeta1 = false
    var baseMomentums: [Double] = []
    var maxMomentums: [Double] = []
    if cycleMomentum {
      usesBeta1 = try CycledMomentum.usesBeta1(optimizer)
      baseMomentums = try baseMomentum.groupValues.perGroup("base_momentum", optimizer)
      maxMomentums = try maxMomentum.groupValues.perGroup("max_momentum", optimizer)
    }
    let snapshot = optimizer.paramGroups.map(\.hyperparameters)
    if lastEpoch == -1 {
      for (i, lr) in baseLRs.enumerated() { optimizer.paramGroups[i].lr = lr }
      if cycleMomentum {
        for i in optimizer.paramGroups.indices {
          try CycledMomentum.set(maxMomentums[i], group: i, of: optimizer, useBeta1: usesBeta1)
          optimizer.paramGroups[i]["max_momentum"] = .number(maxMomentums[i])
          optimizer.paramGroups[i]["base_momentum"] = .number(baseMomentums[i])
        }
      }
    }
    self.maxLRs = maxLRs
    self.totalSize = totalSize
    self.stepRatio = stepRatio
    self.mode = mode
    self.gamma = gamma
    self.scaleFn = scaleFn
    // The built-in modes fix what they scale by (PyTorch's `_init_scale_fn`).
    self.scaleMode = scaleFn == nil ? Self.scaleMode(of: mode) : scaleMode
    self.cycleMomentum = cycleMomentum
    self.usesBeta1 = usesBeta1
    self.baseMomentums = baseMomentums
    self.maxMomentums = maxMomentums
    // The initial step runs with `base_lrs` from `initial_lr`, as in PyTorch, which sets
    // them to `base_lr` only afterwards.
    try super.init(optimizer, lastEpoch: lastEpoch, snapshot: snapshot)
    self.baseLRs = baseLRs
  }

  private static func scaleMode(of mode: Mode) -> ScaleMode {
    mode == .expRange ? .iterations : .cycle
  }

  private func scale(_ x: Double) throws -> Double {
    if let scaleFn { return scaleFn(x) }
    switch mode {
    case .triangular: return 1.0
    case .triangular2: return 1 / (try Py.power(2.0, x - 1, "CyclicLR's triangular2 scaling"))
    case .expRange: return try Py.power(gamma, x, "CyclicLR's gamma \(gamma)")
    }
  }

  override func computeLRs() throws -> [Double] {
    let context = "CyclicLR's step sizes"
    let t = Double(lastEpoch)
    let cycle = floor(1 + (try Py.divide(t, totalSize, context)))
    let x = 1.0 + (try Py.divide(t, totalSize, context)) - cycle
    let scaleFactor =
      x <= stepRatio
      ? try Py.divide(x, stepRatio, context) : try Py.divide(x - 1, stepRatio - 1, context)
    let scale = try self.scale(scaleMode == .cycle ? cycle : t)
    guard baseLRs.count == maxLRs.count else {
      throw SchedulerError("CyclicLR has \(baseLRs.count) base_lrs, but \(maxLRs.count) max_lrs")
    }
    let lrs = zip(baseLRs, maxLRs).map { baseLR, maxLR in
      baseLR + (maxLR - baseLR) * scaleFactor * scale
    }
    if cycleMomentum {
      guard baseMomentums.count == maxMomentums.count,
        maxMomentums.count == optimizer.paramGroups.count
      else {
        throw SchedulerError(
          "CyclicLR has \(maxMomentums.count) momentum bounds, but the optimizer has \(optimizer.paramGroups.count) param groups"
        )
      }
      for (i, (baseMomentum, maxMomentum)) in zip(baseMomentums, maxMomentums).enumerated() {
        let momentum = maxMomentum - (maxMomentum - baseMomentum) * scaleFactor * scale
        try CycledMomentum.set(momentum, group: i, of: optimizer, useBeta1: usesBeta1)
      }
    }
    return lrs
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["max_lrs"] = maxLRs.stateValue
    dict["total_size"] = .double(totalSize)
    dict["step_ratio"] = .double(stepRatio)
    dict["mode"] = .string(mode.rawValue)
    dict["gamma"] = .double(gamma)
    dict["scale_mode"] = .string(scaleMode.rawValue)
    dict["cycle_momentum"] = .bool(cycleMomentum)
    if cycleMomentum {
      dict["use_beta1"] = .bool(usesBeta1)
      dict["base_momentums"] = baseMomentums.stateValue
      dict["max_momentums"] = maxMomentums.stateValue
    }
    dict["_scale_fn_custom"] = .null
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let maxLRs = try reader.doubles("max_lrs", or: self.maxLRs)
    let totalSize = try reader.double("total_size", or: self.totalSize)
    let stepRatio = try reader.double("step_ratio", or: self.stepRatio)
    let modeName = try reader.string("mode", or: self.mode.rawValue)
    guard let mode = Mode(rawValue: modeName) else {
      throw SchedulerError(
        "CyclicLR state dict: mode '\(modeName)' is not one of triangular, triangular2, exp_range")
    }
    let gamma = try reader.double("gamma", or: self.gamma)
    let scaleModeName = try reader.string("scale_mode", or: self.scaleMode.rawValue)
    guard var scaleMode = ScaleMode(rawValue: scaleModeName) else {
      throw SchedulerError(
        "CyclicLR state dict: scale_mode '\(scaleModeName)' is not one of cycle, iterations")
    }
    if scaleFn == nil { scaleMode = Self.scaleMode(of: mode) }
    let cycleMomentum = try reader.bool("cycle_momentum", or: self.cycleMomentum)
    let usesBeta1 = try reader.bool("use_beta1", or: self.usesBeta1)
    let baseMomentums = try reader.doubles("base_momentums", or: self.baseMomentums)
    let maxMomentums = try reader.doubles("max_momentums", or: self.maxMomentums)
    try reader.closures("_scale_fn_custom", count: 1)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.maxLRs = maxLRs
      self.totalSize = totalSize
      self.stepRatio = stepRatio
      self.mode = mode
      self.gamma = gamma
      self.scaleMode = scaleMode
      self.cycleMomentum = cycleMomentum
      self.usesBeta1 = usesBeta1
      self.baseMomentums = baseMomentums
      self.maxMomentums = maxMomentums
    }
  }
}
