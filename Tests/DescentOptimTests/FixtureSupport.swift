import Descent
import DescentOptim
import DescentTestSupport

/// A JSON value of scripts/gen_optim_fixtures.py's fixtures.
typealias JSONValue = JSON

extension JSON {
  /// The hyperparameter this JSON value stands for.
  var hyperValue: HyperValue {
    switch self {
    case .bool(let b): .bool(b)
    // A tuple with None (Adafactor's eps) is a list of optional numbers.
    case .array(let items) where items.contains { $0.isNull }:
      .optionalNumbers(items.map(\.number))
    case .array: .numbers(doubles!)
    case .string(let s): .string(s)
    default: .number(number!)
    }
  }
}

struct ParamSpec: Decodable, Sendable {
  let shape: [Int]
  let dtype: String
  var dType: DType { dtype == "float32" ? .float32 : .float64 }
}

struct GroupSpec: Decodable, Sendable {
  let params: [Int]
  let options: [String: JSONValue]
}

struct StepRecord: Decodable, Sendable {
  let grads: [[Double]?]
  let params: [[Double]]
  let state: [[String: JSONValue]]
}

struct TrajectoryConfig: Decodable, Sendable {
  let name: String
  let kwargs: [String: JSONValue]
  let groups: [GroupSpec]
  let params: [ParamSpec]
  let initial: [[Double]]
  let steps: [StepRecord]
  let final_param_groups: [[String: JSONValue]]
  /// Per parameter, the shapes of the state tensors that are not shaped like it
  /// (Adafactor's `row_var`, `col_var`); absent when there are none.
  let state_shapes: [[String: [Int]]]?

  /// The shape PyTorch keeps state `key` of parameter `index` in.
  func stateShape(_ key: String, of index: Int) -> [Int] {
    state_shapes?[index][key] ?? params[index].shape
  }
}

struct OptimizerFixture: Decodable, Sendable {
  let optimizer: String
  let defaults: [String: JSONValue]
  let configs: [TrajectoryConfig]
}

struct InvalidCase: Decodable, Sendable {
  let optimizer: String
  let kwargs: [String: JSONValue]
  let message: String
}

struct ContractRecord: Decodable, Sendable {
  let w: [Double]
  let b: [Double]
  let state: [[String: JSONValue]]
  let param_groups: [[String: JSONValue]]
}

struct MiscFixture: Decodable, Sendable {
  let invalid_arguments: [InvalidCase]
  let base_messages: [String: String]
  let contract: ContractRecord
}

enum Fixtures {
  static let loader = FixtureLoader(bundle: .module, script: "scripts/gen_optim_fixtures.py")

  static func load<T: Decodable>(_ name: String, as type: T.Type) -> T { loader.load(name, as: type) }

  /// Every optimizer in the registry: each must have a fixture file.
  static let optimizerNames = OptimizerKind.allCases.map(\.name)
  static let optimizers: [String: OptimizerFixture] = Dictionary(
    uniqueKeysWithValues: optimizerNames.map { ($0, load($0.lowercased(), as: OptimizerFixture.self)) })
  static let misc = load("misc", as: MiscFixture.self)

  static func config(_ optimizer: String, _ name: String) -> TrajectoryConfig {
    optimizers[optimizer]!.configs.first { $0.name == name }!
  }
}

/// Builds an optimizer from PyTorch keyword arguments through the registry. With no
/// keyword arguments it has the Swift initialiser's defaults, so the `defaults`
/// configurations check them against PyTorch's.
func makeOptimizer(
  _ name: String, _ params: [Tensor], _ kwargs: [String: JSONValue],
  implementation: OptimizerImplementation = .default
) throws -> Optimizer {
  guard let kind = OptimizerKind(name: name) else { fatalError("no optimizer \(name) in the registry") }
  return try kind.make(params, kwargs.mapValues(\.hyperValue), implementation: implementation)
}

/// An optimizer of kind `name` with every state buffer switched on: the options of its
/// recorded configuration whose state has the most keys.
func fullyFeatured(_ name: String, _ params: [Tensor], _ implementation: OptimizerImplementation)
  throws -> Optimizer
{
  let richest = Fixtures.optimizers[name]!.configs.max { a, b in
    (a.steps.last?.state.map(\.count).max() ?? 0) < (b.steps.last?.state.map(\.count).max() ?? 0)
  }!
  return try makeOptimizer(name, params, richest.kwargs, implementation: implementation)
}

/// The parameters of a configuration, at their initial values, and an optimizer over them
/// with the configuration's groups.
func makeSetup(
  _ optimizer: String, _ config: TrajectoryConfig, implementation: OptimizerImplementation
) throws -> (params: [Tensor], optimizer: Optimizer) {
  let params = zip(config.params, config.initial).map { spec, values in
    Tensor(values, shape: spec.shape, dtype: spec.dType, requiresGrad: true)
  }
  let first = config.groups[0].params.map { params[$0] }
  let opt = try makeOptimizer(optimizer, first, config.kwargs, implementation: implementation)
  for group in config.groups.dropFirst() {
    try opt.addParamGroup(
      ParamGroup(group.params.map { params[$0] }, group.options.mapValues(\.hyperValue)))
  }
  return (params, opt)
}

/// Sets each parameter's gradient from a recorded step (`nil` where PyTorch had none).
func feedGradients(_ step: StepRecord, to params: [Tensor]) {
  for (param, grad) in zip(params, step.grads) {
    param.grad = grad.map { Tensor($0, shape: param.shape, dtype: param.dtype) }
  }
}

/// The worst element of a comparison against PyTorch: the one with the largest
/// |actual - expected| / allowed, where allowed = max(rtol·|expected|, atol).
struct Discrepancy: CustomStringConvertible {
  var ratio = 0.0
  var index = -1
  var actual = 0.0
  var expected = 0.0
  var passes: Bool { ratio <= 1 }
  var description: String {
    "element \(index): \(actual) vs the reference \(expected), \(ratio)× the tolerance"
  }
}

func worstDiscrepancy(_ a: [Double], _ b: [Double], rtol: Double, atol: Double) -> Discrepancy {
  worstDiscrepancy(a, b, rtol: rtol, atol: Array(repeating: atol, count: b.count))
}

/// The same with an absolute floor per element.
func worstDiscrepancy(_ a: [Double], _ b: [Double], rtol: Double, atol: [Double]) -> Discrepancy {
  precondition(a.count == b.count && b.count == atol.count, "length \(a.count) vs \(b.count)")
  var worst = Discrepancy()
  for (i, (x, y)) in zip(a, b).enumerated() {
    // An exact match passes even where the allowance is 0 (a state entry that is still 0).
    let ratio = x == y ? 0 : Swift.abs(x - y) / Swift.max(rtol * Swift.abs(y), atol[i])
    if !(ratio <= worst.ratio) {  // NaN counts as worst
      worst = Discrepancy(ratio: ratio, index: i, actual: x, expected: y)
    }
  }
  return worst
}

/// Largest magnitude in `values` (0 when empty).
func maxMagnitude(_ values: [Double]) -> Double { values.reduce(0) { Swift.max($0, Swift.abs($1)) } }

func values(_ t: Tensor) -> [Double] { t.asArray(Double.self) }

extension Fixtures {
  /// Whether PyTorch's constructor gives every parameter its state (Adagrad), as its runs
  /// show: a parameter without a gradient at the first step already has state.
  static func makesStateUpFront(_ name: String) -> Bool {
    optimizers[name]!.configs.contains { config in
      guard let first = config.steps.first else { return false }
      return zip(first.grads, first.state).contains { grad, state in grad == nil && !state.isEmpty }
    }
  }

  /// The state keys PyTorch keeps as 0-d float32 tensors rather than shaped like the
  /// parameter: `step`, and for instance NAdam's `mu_product`.
  static func scalarStateKeys(_ name: String) -> Set<String> {
    var keys: Set<String> = []
    for config in optimizers[name]!.configs {
      for step in config.steps {
        for state in step.state {
          for (key, value) in state where value.number != nil { keys.insert(key) }
        }
      }
    }
    return keys
  }
}
