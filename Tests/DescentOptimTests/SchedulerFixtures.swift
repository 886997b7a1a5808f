import Descent
import DescentOptim
import DescentTestSupport
import Foundation

// The fixture of scripts/gen_scheduler_fixtures.py, and the Swift side of its
// configurations: the same optimizers, the same named closures, and every PyTorch keyword
// argument passed under its Swift label.

struct ScheduleSnapshot: Decodable, Sendable {
  let lr: [Double]
  let momentum: [Double]?
}

struct ScheduleOptimizerSpec: Decodable, Sendable {
  let type: String
  let lrs: [Double]
}

struct ScheduleFailure: Decodable, Sendable {
  let step: Int
  let type: String
  let message: String
}

struct ScheduleConfig: Decodable, Sendable {
  let name: String
  let optimizer: ScheduleOptimizerSpec
  let scheduler: JSON
  let preset: [[String: Double]]?
  let set_lr: [String: [Double]]?
  let metrics: [Double]?
  let epochs: [Double?]?
  let initial: ScheduleSnapshot
  let trajectory: [ScheduleSnapshot]
  let error: ScheduleFailure?
  let state_dict: JSON?

  var type: String { scheduler["type"]!.string }
  var isCyclic: Bool { type == "CyclicLR" || type == "OneCycleLR" }
}

struct InvalidSchedulerCase: Decodable, Sendable {
  let `case`: String
  let type: String
  let message: String?
  let prefix: String?
  let suffix: String?
}

struct SchedulerDefaultsRecord: Decodable, Sendable {
  let state_dict: JSON
  let param_groups: [[String: JSON]]
}

struct SchedulerFixture: Decodable, Sendable {
  let configs: [ScheduleConfig]
  let defaults: [String: SchedulerDefaultsRecord]
  let invalid_arguments: [InvalidSchedulerCase]
  let step_order_warning: String
  let contract: JSON
}

enum SchedulerFixtures {
  static let file = FixtureLoader(bundle: .module, script: "scripts/gen_scheduler_fixtures.py")
    .load("schedulers", as: SchedulerFixture.self)
  static let steps = 150
  static let stateAt = 60

  static var configNames: [String] { file.configs.map(\.name) }
  static func config(_ name: String) -> ScheduleConfig { file.configs.first { $0.name == name }! }
}

/// The named functions of the generator's LAMBDAS, written the same way.
enum NamedClosures {
  static let epoch: [String: (Int) -> Double] = [
    "pow095": { pow(0.95, Double($0)) },
    "step30": { pow(0.1, Double($0 / 30)) },
    "warmup10": { min(1.0, Double($0 + 1) / 10) },
    "inv_sqrt": { 1.0 / sqrt(Double($0 + 1)) },
    "const095": { _ in 0.95 },
    "alternate": { $0 % 2 == 0 ? 1.05 : 0.9 },
    "linear_decay": { 1.0 - 0.002 * Double($0) },
  ]
  static let scale: [String: (Double) -> Double] = [
    "inv_cycle": { 1.0 / $0 },
    "decay_iter": { pow(0.99, $0) },
  ]
}

/// A plain scheduler or a ReduceLROnPlateau, stepped the way the generator steps it.
enum AnySchedule {
  case plain(any LRScheduler)
  case plateau(ReduceLROnPlateau)

  var lastLR: [Double] {
    switch self {
    case .plain(let s): s.lastLR
    case .plateau(let s): s.lastLR
    }
  }

  func stateDict() -> SchedulerStateDict {
    switch self {
    case .plain(let s): s.stateDict()
    case .plateau(let s): s.stateDict()
    }
  }

  func loadStateDict(_ dict: SchedulerStateDict) throws {
    switch self {
    case .plain(let s): try s.loadStateDict(dict)
    case .plateau(let s): try s.loadStateDict(dict)
    }
  }

  /// Step `step` (from 1) of `config`: with its metric, its epoch, or no argument.
  func step(_ step: Int, of config: ScheduleConfig) throws {
    switch self {
    case .plateau(let s):
      try s.step(metric: config.metrics![step - 1])
    case .plain(let s):
      if let epoch = config.epochs?[step - 1], let restarts = s as? CosineAnnealingWarmRestarts {
        try restarts.step(epoch: epoch)
      } else {
        try s.step()
      }
    }
  }
}

/// One parameter per group, as in the generator (their values do not matter).
func makeScheduleOptimizer(_ spec: ScheduleOptimizerSpec) throws -> Optimizer {
  let params = spec.lrs.map { _ in Tensor.zeros([3], dtype: .float64, requiresGrad: true) }
  let opt: Optimizer =
    switch spec.type {
    case "SGD": try SGD([params[0]], lr: spec.lrs[0], momentum: 0.9)
    case "Adam": try Adam([params[0]], lr: spec.lrs[0])
    case "AdamW": try AdamW([params[0]], lr: spec.lrs[0])
    case "RMSprop": try RMSprop([params[0]], lr: spec.lrs[0], momentum: 0.5)
    default: fatalError("unknown optimizer \(spec.type)")
    }
  for (param, lr) in zip(params.dropFirst(), spec.lrs.dropFirst()) {
    try opt.addParamGroup(ParamGroup([param], ["lr": .number(lr)]))
  }
  return opt
}

extension JSON {
  /// A number or a list of numbers, as a scheduler's per-group argument.
  var groupValues: GroupValues {
    if case .array = self { return .each(doubles!) }
    return .all(double)
  }
}

/// The scheduler of a fixture spec, built through the Swift initialisers' labels. Keyword
/// arguments the spec leaves out get PyTorch's defaults here; the `defaults` test checks
/// the Swift defaults themselves.
func makeSchedule(_ spec: JSON, _ opt: Optimizer) throws -> AnySchedule {
  let type = spec["type"]!.string
  let k = spec["kwargs"] ?? .object([:])
  func int(_ key: String, _ standard: Int) -> Int { k[key].map(\.int) ?? standard }
  func double(_ key: String, _ standard: Double) -> Double { k[key].map(\.double) ?? standard }
  func flag(_ key: String, _ standard: Bool) -> Bool { k[key]?.bool ?? standard }
  func values(_ key: String, _ standard: Double) -> GroupValues { k[key]?.groupValues ?? .all(standard) }
  func text(_ key: String, _ standard: String) -> String { k[key].map(\.string) ?? standard }
  let lastEpoch = int("last_epoch", -1)
  func lambdas() -> (single: ((Int) -> Double)?, list: [(Int) -> Double]) {
    let value = k["lr_lambda"]!
    if case .array(let names) = value { return (nil, names.map { NamedClosures.epoch[$0.string]! }) }
    return (NamedClosures.epoch[value.string]!, [])
  }
  func subs() throws -> [any LRScheduler] {
    try spec["schedulers"]!.array.map { sub in
      guard case .plain(let s) = try makeSchedule(sub, opt) else { fatalError("plateau in a composite") }
      return s
    }
  }
  let scheduler: any LRScheduler
  switch type {
  case "LambdaLR":
    let (single, list) = lambdas()
    scheduler =
      if let single { try LambdaLR(opt, lrLambda: single, lastEpoch: lastEpoch) } else {
        try LambdaLR(opt, lrLambda: list, lastEpoch: lastEpoch)
      }
  case "MultiplicativeLR":
    let (single, list) = lambdas()
    scheduler =
      if let single { try MultiplicativeLR(opt, lrLambda: single, lastEpoch: lastEpoch) } else {
        try MultiplicativeLR(opt, lrLambda: list, lastEpoch: lastEpoch)
      }
  case "StepLR":
    scheduler = try StepLR(
      opt, stepSize: int("step_size", 0), gamma: double("gamma", 0.1), lastEpoch: lastEpoch)
  case "MultiStepLR":
    scheduler = try MultiStepLR(
      opt, milestones: k["milestones"]!.ints, gamma: double("gamma", 0.1), lastEpoch: lastEpoch)
  case "ConstantLR":
    scheduler = try ConstantLR(
      opt, factor: double("factor", 1.0 / 3), totalIters: int("total_iters", 5), lastEpoch: lastEpoch)
  case "LinearLR":
    scheduler = try LinearLR(
      opt, startFactor: double("start_factor", 1.0 / 3), endFactor: double("end_factor", 1.0),
      totalIters: int("total_iters", 5), lastEpoch: lastEpoch)
  case "ExponentialLR":
    scheduler = try ExponentialLR(opt, gamma: double("gamma", .nan), lastEpoch: lastEpoch)
  case "PolynomialLR":
    scheduler = try PolynomialLR(
      opt, totalIters: int("total_iters", 5), power: double("power", 1.0), lastEpoch: lastEpoch)
  case "CosineAnnealingLR":
    scheduler = try CosineAnnealingLR(
      opt, tMax: int("T_max", 0), etaMin: double("eta_min", 0), lastEpoch: lastEpoch)
  case "CosineAnnealingWarmRestarts":
    scheduler = try CosineAnnealingWarmRestarts(
      opt, t0: int("T_0", 0), tMult: int("T_mult", 1), etaMin: double("eta_min", 0), lastEpoch: lastEpoch)
  case "CyclicLR":
    let down = k["step_size_down"].flatMap { $0.isNull ? nil : $0.int }
    scheduler = try CyclicLR(
      opt, baseLR: k["base_lr"]!.groupValues, maxLR: k["max_lr"]!.groupValues,
      stepSizeUp: int("step_size_up", 2000), stepSizeDown: down,
      mode: CyclicLR.Mode(rawValue: text("mode", "triangular"))!, gamma: double("gamma", 1.0),
      scaleFn: k["scale_fn"].map { NamedClosures.scale[$0.string]! },
      scaleMode: CyclicLR.ScaleMode(rawValue: text("scale_mode", "cycle"))!,
      cycleMomentum: flag("cycle_momentum", true), baseMomentum: values("base_momentum", 0.8),
      maxMomentum: values("max_momentum", 0.9), lastEpoch: lastEpoch)
  case "OneCycleLR":
    scheduler = try OneCycleLR(
      opt, maxLR: k["max_lr"]!.groupValues, totalSteps: k["total_steps"]?.int, epochs: k["epochs"]?.int,
      stepsPerEpoch: k["steps_per_epoch"]?.int, pctStart: double("pct_start", 0.3),
      annealStrategy: OneCycleLR.AnnealStrategy(rawValue: text("anneal_strategy", "cos"))!,
      cycleMomentum: flag("cycle_momentum", true), baseMomentum: values("base_momentum", 0.85),
      maxMomentum: values("max_momentum", 0.95), threePhase: flag("three_phase", false),
      divFactor: double("div_factor", 25), finalDivFactor: double("final_div_factor", 1e4),
      lastEpoch: lastEpoch)
  case "ReduceLROnPlateau":
    return .plateau(
      try ReduceLROnPlateau(
        opt, mode: ReduceLROnPlateau.Mode(rawValue: text("mode", "min"))!, factor: double("factor", 0.1),
        patience: int("patience", 10), threshold: double("threshold", 1e-4),
        thresholdMode: ReduceLROnPlateau.ThresholdMode(rawValue: text("threshold_mode", "rel"))!,
        cooldown: int("cooldown", 0), minLR: values("min_lr", 0), eps: double("eps", 1e-8)))
  case "SequentialLR":
    scheduler = try SequentialLR(
      opt, schedulers: try subs(), milestones: spec["milestones"]!.ints, lastEpoch: lastEpoch)
  case "ChainedScheduler":
    scheduler = try ChainedScheduler(try subs(), optimizer: spec["pass_optimizer"]?.bool == true ? opt : nil)
  case "SWALR":
    scheduler = try SWALR(
      opt, swaLR: k["swa_lr"]!.groupValues, annealEpochs: int("anneal_epochs", 10),
      annealStrategy: SWALR.AnnealStrategy(rawValue: text("anneal_strategy", "cos"))!, lastEpoch: lastEpoch)
  default:
    fatalError("unknown scheduler \(type)")
  }
  return .plain(scheduler)
}

/// The optimizer and scheduler of a configuration, as constructed.
func makeScheduleSetup(_ config: ScheduleConfig) throws -> (Optimizer, AnySchedule) {
  let opt = try makeScheduleOptimizer(config.optimizer)
  for (i, preset) in (config.preset ?? []).enumerated() {
    for (key, value) in preset { opt.paramGroups[i][key] = .number(value) }
  }
  return (opt, try makeSchedule(config.scheduler, opt))
}

/// Each group's `momentum`, or the first of its `betas`.
func momenta(_ opt: Optimizer) -> [Double] {
  opt.paramGroups.map { $0["betas"]?.numbers?.first ?? $0["momentum"]!.number! }
}

/// Runs steps `range` of `config` as the generator does: hand changes, `optimizer.step()`,
/// then the scheduler's step. Calls `record` after each step; stops at the first throw and
/// returns its step and error.
@discardableResult
func runSchedule(
  _ config: ScheduleConfig, _ opt: Optimizer, _ schedule: AnySchedule, steps range: ClosedRange<Int>,
  record: (Int) throws -> Void = { _ in }
) throws -> (step: Int, error: Error)? {
  for step in range {
    if let lrs = config.set_lr?["\(step)"] {
      for (i, lr) in lrs.enumerated() { opt.paramGroups[i].lr = lr }
    }
    try opt.step()
    do {
      try schedule.step(step, of: config)
    } catch {
      return (step, error)
    }
    try record(step)
  }
  return nil
}

/// The largest |a − b| / (1e-12·|b|) over two lists (0 for equal lists; lengths must match).
func relativeMismatch(_ actual: [Double], _ expected: [Double]) -> Discrepancy {
  worstDiscrepancy(actual, expected, rtol: 1e-12, atol: .leastNonzeroMagnitude)
}

/// Differences between a PyTorch state-dict value (from the fixture) and Descent's, by
/// path; numbers agree to 1e-12 relative, whatever their int/float kind.
func stateDifferences(_ expected: JSON, _ actual: SchedulerStateValue, at path: String = "") -> [String] {
  switch (expected, actual) {
  case (.null, .null): return []
  case (.bool(let a), .bool(let b)): return a == b ? [] : ["\(path): \(b) vs PyTorch's \(a)"]
  case (.string(let a), .string(let b)) where Double(a) == nil:
    return a == b ? [] : ["\(path): '\(b)' vs PyTorch's '\(a)'"]
  case (.array(let a), .list(let b)):
    guard a.count == b.count else { return ["\(path): \(b.count) entries vs PyTorch's \(a.count)"] }
    return zip(a, b).enumerated().flatMap { i, pair in stateDifferences(pair.0, pair.1, at: "\(path)[\(i)]") }
  case (.object(let a), .dict(let b)):
    return objectDifferences(a, b, at: path)
  default:
    if let a = expected.number, let b = actual.number {
      let ok = a == b || (a.isNaN && b.isNaN) || Swift.abs(a - b) <= 1e-12 * Swift.abs(a)
      return ok ? [] : ["\(path): \(b) vs PyTorch's \(a)"]
    }
    return ["\(path): \(actual) vs PyTorch's \(expected)"]
  }
}

func objectDifferences(_ a: [String: JSON], _ b: [String: SchedulerStateValue], at path: String) -> [String] {
  let missing = Set(a.keys).subtracting(b.keys).sorted()
  let extra = Set(b.keys).subtracting(a.keys).sorted()
  var out: [String] = []
  if !missing.isEmpty { out.append("\(path): lacks PyTorch's keys \(missing)") }
  if !extra.isEmpty { out.append("\(path): has keys PyTorch lacks \(extra)") }
  for key in a.keys.sorted() where b[key] != nil {
    out += stateDifferences(a[key]!, b[key]!, at: "\(path).\(key)")
  }
  return out
}

extension HyperValue {
  /// As a state-dict value, to compare param groups with PyTorch's.
  var stateValue: SchedulerStateValue {
    switch self {
    case .number(let v): .double(v)
    case .bool(let v): .bool(v)
    case .numbers(let v): .list(v.map { .double($0) })
    case .string(let v): .string(v)
    case .null: .null
    case .optionalNumbers(let v): .list(v.map { $0.map { .double($0) } ?? .null })
    }
  }
}
