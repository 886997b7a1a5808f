import Foundation

/// The 1cycle policy (`torch.optim.lr_scheduler.OneCycleLR`): each group's learning rate
/// rises from `maxLR / divFactor` to `maxLR`, then falls to
/// `maxLR / divFactor / finalDivFactor`, over `totalSteps` batches; momentum (or beta1)
/// moves the opposite way between `maxMomentum` and `baseMomentum`.
///
/// The phases, with `p = pct_start · total_steps`:
///
/// | phase | ends at step | lr | momentum |
/// | --- | --- | --- | --- |
/// | 1 | p − 1 | initial_lr → max_lr | max_momentum → base_momentum |
/// | 2 (two phases) | total_steps − 1 | max_lr → min_lr | base_momentum → max_momentum |
/// | 2 (three phases) | 2p − 2 | max_lr → initial_lr | base_momentum → max_momentum |
/// | 3 (three phases) | total_steps − 1 | initial_lr → min_lr | max_momentum |
///
/// Within a phase from step `a` to `b`, `pct = (t − a) / (b − a)` and the value is
/// `end + (start − end) / 2 · (cos(π · pct) + 1)` (``AnnealStrategy/cos``) or
/// `(end − start) · pct + start` (``AnnealStrategy/linear``).
///
/// Construction writes `initial_lr`, `max_lr` and `min_lr` (and `max_momentum`,
/// `base_momentum`) into every group. Stepping past `totalSteps` throws PyTorch's message.
/// The schedule reads its bounds from the groups, so it is not chainable.
public final class OneCycleLR: LRSchedulerBase {
  /// How each phase interpolates (`anneal_strategy`).
  public enum AnnealStrategy: String, Sendable {
    /// Cosine annealing.
    case cos
    /// Linear annealing.
    case linear
  }

  /// One phase of the schedule: where it ends and which group keys it goes between.
  struct Phase: Equatable {
    var endStep: Double
    var startLR: String
    var endLR: String
    var startMomentum: String
    var endMomentum: String
  }

  /// The number of steps in the cycle (`total_steps`).
  public private(set) var totalSteps: Int
  /// How each phase interpolates (`anneal_strategy`).
  public private(set) var annealStrategy: AnnealStrategy
  /// Whether momentum is cycled (`cycle_momentum`).
  public private(set) var cycleMomentum: Bool
  /// Whether the first of `betas` is cycled rather than `momentum` (`use_beta1`).
  public private(set) var usesBeta1: Bool
  private(set) var phases: [Phase]

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` (and momentum) is scheduled.
  ///   - maxLR: the peak rate, for every group or one per group.
  ///   - totalSteps: the number of steps in the cycle (default `nil`: `epochs ·
  ///     stepsPerEpoch`).
  ///   - epochs: the number of epochs, with `stepsPerEpoch` (default `nil`).
  ///   - stepsPerEpoch: the number of steps per epoch, with `epochs` (default `nil`).
  ///   - pctStart: the fraction of the cycle spent rising, in [0, 1] (default 0.3).
  ///   - annealStrategy: ``AnnealStrategy/cos`` (default) or ``AnnealStrategy/linear``.
  ///   - cycleMomentum: cycle momentum (or beta1) inversely to the rate (default `true`).
  ///   - baseMomentum: the lower momentum bound (default 0.85).
  ///   - maxMomentum: the upper momentum bound (default 0.95).
  ///   - threePhase: use a third phase that brings the rate from `initial_lr` to
  ///     `min_lr`, the first two being symmetric (default `false`). PyTorch lists it last;
  ///     Swift's labelled arguments keep declaration order, so it comes before `divFactor`.
  ///   - divFactor: `initial_lr = maxLR / divFactor` (default 25).
  ///   - finalDivFactor: `min_lr = initial_lr / finalDivFactor` (default 1e4).
  ///   - lastEpoch: the index of the last batch when resuming (default -1: start).
  /// - Throws: PyTorch's messages for a missing or non-positive step count, a `pctStart`
  ///   outside [0, 1], lists of the wrong length, or `cycleMomentum` with an optimizer
  ///   that has neither momentum nor betas.
  public init(
    _ optimizer: Optimizer, maxLR: some GroupValuesConvertible, totalSteps: Int? = nil, epochs: Int? = nil,
    stepsPerEpoch: Int? = nil, pctStart: Double = 0.3, annealStrategy: AnnealStrategy = .cos,
    cycleMomentum: Bool = true, baseMomentum: some GroupValuesConvertible = 0.85,
    maxMomentum: some GroupValuesConvertible = 0.95, threePhase: Bool = false, divFactor: Double = 25.0,
    finalDivFactor: Double = 1e4, lastEpoch: Int = -1
  ) throws {
    // Every check before any change to the optimizer, in PyTorch's order.
    let total: Int
    if let totalSteps {
      if totalSteps <= 0 {
        throw SchedulerError("Expected positive integer total_steps, but got \(totalSteps)")
      }
      total = totalSteps
    } else if let epochs, let stepsPerEpoch {
      if epochs <= 0 { throw SchedulerError("Expected positive integer epochs, but got \(epochs)") }
      if stepsPerEpoch <= 0 {
        throw SchedulerError("Expected positive integer steps_per_epoch, but got \(stepsPerEpoch)")
      }
      total = epochs * stepsPerEpoch
    } else {
      throw SchedulerError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    }
    if pctStart < 0 || pctStart > 1 || pctStart.isNaN {
      throw SchedulerError("Expected float between 0 and 1 pct_start, but got \(Py.repr(pctStart))")
    }
    let maxLRs = try maxLR.groupValues.perGroup("max_lr", optimizer)
    var usesBeta1 = false
    var maxMomentums: [Double] = []
    var baseMomentums: [Double] = []
    if cycleMomentum {
      usesBeta1 = try CycledMomentum.usesBeta1(optimizer)
      maxMomentums = try maxMomentum.groupValues.perGroup("max_momentum", optimizer)
      baseMomentums = try baseMomentum.groupValues.perGroup("base_momentum", optimizer)
    }

    // Written only when starting, so only then can they fail.
    let starting = lastEpoch == -1
    let initialLRs = try maxLRs.map {
      starting ? try Py.divide($0, divFactor, "OneCycleLR's div_factor is 0") : 0
    }
    let minLRs = try initialLRs.map {
      starting ? try Py.divide($0, finalDivFactor, "OneCycleLR's final_div_factor is 0") : 0
    }

    let snapshot = optimizer.paramGroups.map(\.hyperparameters)
    if starting {
      for i in optimizer.paramGroups.indices {
        optimizer.paramGroups[i]["initial_lr"] = .number(initialLRs[i])
        optimizer.paramGroups[i]["max_lr"] = .number(maxLRs[i])
        optimizer.paramGroups[i]["min_lr"] = .number(minLRs[i])
      }
      if cycleMomentum {
        for i in optimizer.paramGroups.indices {
          try CycledMomentum.set(maxMomentums[i], group: i, of: optimizer, useBeta1: usesBeta1)
          optimizer.paramGroups[i]["max_momentum"] = .number(maxMomentums[i])
          optimizer.paramGroups[i]["base_momentum"] = .number(baseMomentums[i])
        }
      }
    }
    self.totalSteps = total
    self.annealStrategy = annealStrategy
    self.cycleMomentum = cycleMomentum
    self.usesBeta1 = usesBeta1
    let rise = pctStart * Double(total)
    if threePhase {
      phases = [
        Phase(
          endStep: rise - 1, startLR: "initial_lr", endLR: "max_lr", startMomentum: "max_momentum",
          endMomentum: "base_momentum"),
        Phase(
          endStep: 2 * pctStart * Double(total) - 2, startLR: "max_lr", endLR: "initial_lr",
          startMomentum: "base_momentum", endMomentum: "max_momentum"),
        Phase(
          endStep: Double(total - 1), startLR: "initial_lr", endLR: "min_lr", startMomentum: "max_momentum",
          endMomentum: "max_momentum"),
      ]
    } else {
      phases = [
        Phase(
          endStep: rise - 1, startLR: "initial_lr", endLR: "max_lr", startMomentum: "max_momentum",
          endMomentum: "base_momentum"),
        Phase(
          endStep: Double(total - 1), startLR: "max_lr", endLR: "min_lr", startMomentum: "base_momentum",
          endMomentum: "max_momentum"),
      ]
    }
    try super.init(optimizer, lastEpoch: lastEpoch, snapshot: snapshot)
  }

  private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
    switch annealStrategy {
    case .cos:
      let cosOut = cos(Double.pi * pct) + 1
      return end + (start - end) / 2.0 * cosOut
    case .linear:
      return (end - start) * pct + start
    }
  }

  override func computeLRs() throws -> [Double] {
    let stepNum = lastEpoch
    if stepNum > totalSteps {
      throw SchedulerError(
        "Tried to step \(stepNum) times. The specified number of total steps is \(totalSteps)")
    }
    var lrs: [Double] = []
    for i in optimizer.paramGroups.indices {
      var startStep = 0.0
      for (p, phase) in phases.enumerated() {
        let endStep = phase.endStep
        if Double(stepNum) <= endStep || p == phases.count - 1 {
          let pct = try Py.divide(
            Double(stepNum) - startStep, endStep - startStep, "OneCycleLR's phase \(p + 1) has no steps")
          lrs.append(
            anneal(
              try CycledMomentum.number(phase.startLR, group: i, of: optimizer),
              try CycledMomentum.number(phase.endLR, group: i, of: optimizer), pct))
          if cycleMomentum {
            let momentum = anneal(
              try CycledMomentum.number(phase.startMomentum, group: i, of: optimizer),
              try CycledMomentum.number(phase.endMomentum, group: i, of: optimizer), pct)
            try CycledMomentum.set(momentum, group: i, of: optimizer, useBeta1: usesBeta1)
          }
          break
        }
        startStep = phase.endStep
      }
    }
    return lrs
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["total_steps"] = .int(totalSteps)
    dict["_schedule_phases"] = .list(
      phases.enumerated().map { index, phase in
        // PyTorch's last phase ends at an int, the others at floats.
        let end: SchedulerStateValue =
          index == phases.count - 1 ? .int(Int(phase.endStep)) : .double(phase.endStep)
        return .dict([
          "end_step": end, "start_lr": .string(phase.startLR), "end_lr": .string(phase.endLR),
          "start_momentum": .string(phase.startMomentum), "end_momentum": .string(phase.endMomentum),
        ])
      })
    dict["_anneal_func_type"] = .string(annealStrategy.rawValue)
    dict["cycle_momentum"] = .bool(cycleMomentum)
    if cycleMomentum { dict["use_beta1"] = .bool(usesBeta1) }
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let totalSteps = try reader.int("total_steps", or: self.totalSteps)
    var phases = self.phases
    if let saved = reader.dict["_schedule_phases"] {
      reader.ignore("_schedule_phases")
      let problem = SchedulerError(
        "OneCycleLR state dict: '_schedule_phases' must be a list of phases, got \(saved)")
      guard case .list(let items) = saved, !items.isEmpty else { throw problem }
      phases = try items.map { item in
        guard case .dict(let d) = item, let end = d["end_step"]?.number,
          case .string(let startLR)? = d["start_lr"], case .string(let endLR)? = d["end_lr"],
          case .string(let startMomentum)? = d["start_momentum"],
          case .string(let endMomentum)? = d["end_momentum"]
        else { throw problem }
        return Phase(
          endStep: end, startLR: startLR, endLR: endLR, startMomentum: startMomentum,
          endMomentum: endMomentum)
      }
    }
    let strategyName = try reader.string("_anneal_func_type", or: annealStrategy.rawValue)
    guard let strategy = AnnealStrategy(rawValue: strategyName) else {
      throw SchedulerError("Unknown _anneal_func_type: \(strategyName)")
    }
    let cycleMomentum = try reader.bool("cycle_momentum", or: self.cycleMomentum)
    let usesBeta1 = try reader.bool("use_beta1", or: self.usesBeta1)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.totalSteps = totalSteps
      self.phases = phases
      self.annealStrategy = strategy
      self.cycleMomentum = cycleMomentum
      self.usesBeta1 = usesBeta1
    }
  }
}
