import Descent
import DescentOptim
import Foundation
import Testing

/// One recorded PyTorch run: an optimizer and one of its configurations.
struct TrajectoryCase: Sendable, CustomTestStringConvertible {
  let optimizer: String
  let config: String
  var testDescription: String { "\(optimizer)/\(config)" }

  static let all: [TrajectoryCase] = Fixtures.optimizerNames.flatMap { name in
    Fixtures.optimizers[name]!.configs.map { TrajectoryCase(optimizer: name, config: $0.name) }
  }
}

/// Relative tolerances of the issue: 1e-12 in float64, 1e-5 in float32.
func relativeTolerance(_ dtype: DType) -> Double { dtype == .float64 ? 1e-12 : 1e-5 }

/// The absolute floor under the relative tolerance, per element: 16 ulps of that element's
/// scale, where the scale `Sᵢ` is the largest magnitude element `i` has held so far in
/// PyTorch's run: `atolᵢ = 16·ε·Sᵢ` (3.6e-15·Sᵢ in float64, 1.9e-6·Sᵢ in float32).
///
/// Why: an entry that is near zero (a parameter crossing zero, a momentum buffer or
/// exp_avg that a change of the gradient's sign brings near zero) is a difference of terms
/// as large as the entry once was, and the state recurrences carry absolute errors forward
/// from the steps where it was large. Its rounding error is a few ulps of that history, not
/// of its own size. The largest seen (`OPTIM_DIAG=1` prints the worst per implementation
/// and dtype) are on the BLAS path, which reassociates: 4.7e-7 absolute on a float32
/// momentum buffer entry of -0.0198 that had held -3.4 two steps before. The floor only
/// matters for entries below 16·ε·Sᵢ / rtol (Sᵢ/280 in float64, Sᵢ/5 in float32);
/// everything else keeps the full relative tolerance, and a formula mistake moves values
/// by far more.
func absoluteFloors(_ dtype: DType, scales: [Double]) -> [Double] {
  let epsilon = dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne)
  return scales.map { 16 * epsilon * $0 }
}

/// Element-wise running maximum of magnitudes.
func updatedScales(_ scales: [Double]?, _ values: [Double]) -> [Double] {
  guard let scales else { return values.map(Swift.abs) }
  return zip(scales, values).map { Swift.max($0, Swift.abs($1)) }
}

@Suite("PyTorch trajectories")
struct TrajectoryTests {
  @Test(
    "every parameter and state buffer matches PyTorch at every step",
    arguments: TrajectoryCase.all, OptimizerImplementation.allCases)
  func matchesPyTorch(_ test: TrajectoryCase, implementation: OptimizerImplementation) throws {
    let config = Fixtures.config(test.optimizer, test.config)
    let (params, optimizer) = try makeSetup(test.optimizer, config, implementation: implementation)
    #expect(config.steps.count == 25)
    // The largest magnitude each element of each parameter ("param") and state buffer has
    // held so far.
    var scales: [String: [Double]] = [:]
    for (i, initial) in config.initial.enumerated() { scales["\(i).param"] = initial.map(Swift.abs) }
    for (stepIndex, record) in config.steps.enumerated() {
      feedGradients(record, to: params)
      try optimizer.step()
      for (i, param) in params.enumerated() {
        let rtol = relativeTolerance(param.dtype)
        let scale = updatedScales(scales["\(i).param"], record.params[i])
        scales["\(i).param"] = scale
        let paramError = worstDiscrepancy(
          values(param), record.params[i], rtol: rtol, atol: absoluteFloors(param.dtype, scales: scale))
        TrajectoryDiagnostics.record(
          paramError, values(param), record.params[i], implementation, param.dtype, test.optimizer)
        #expect(paramError.passes, "step \(stepIndex + 1), parameter \(i): \(paramError)")
        let state = optimizer.state(for: param)
        let expected = record.state[i]
        #expect(
          Set(state.keys) == Set(expected.keys),
          "step \(stepIndex + 1), parameter \(i): state keys \(state.keys.sorted()) vs \(expected.keys.sorted())"
        )
        for (key, value) in expected {
          guard let tensor = state[key] else { continue }
          if let number = value.number {
            // `step` and scalar state (NAdam's mu_product, ASGD's eta and mu): float32 0-d
            // tensors in PyTorch whatever the parameter's dtype, rounded the same way.
            #expect(tensor.dtype == .float32 && tensor.shape == [], "\(key) of parameter \(i)")
            #expect(
              tensor.item() == number,
              "step \(stepIndex + 1), parameter \(i), \(key): \(tensor.item()) vs \(number)")
            if key != "step" {
              TrajectoryDiagnostics.recordScalar(tensor.item(), number, implementation, test.optimizer)
            }
          } else {
            #expect(tensor.dtype == param.dtype && tensor.shape == config.stateShape(key, of: i))
            let expectedValues = value.doubles!
            let scale = updatedScales(scales["\(i).\(key)"], expectedValues)
            scales["\(i).\(key)"] = scale
            let error = worstDiscrepancy(
              values(tensor), expectedValues, rtol: rtol, atol: absoluteFloors(param.dtype, scales: scale))
            TrajectoryDiagnostics.record(
              error, values(tensor), expectedValues, implementation, param.dtype, test.optimizer)
            #expect(error.passes, "step \(stepIndex + 1), parameter \(i), \(key): \(error)")
          }
        }
      }
    }
  }

  @Test("param_groups hold PyTorch's hyperparameters after the run", arguments: TrajectoryCase.all)
  func paramGroupsMatchPyTorch(_ test: TrajectoryCase) throws {
    let config = Fixtures.config(test.optimizer, test.config)
    let (_, optimizer) = try makeSetup(test.optimizer, config, implementation: .default)
    let saved = optimizer.stateDict().paramGroups
    #expect(saved.count == config.final_param_groups.count)
    for (group, expected) in zip(saved, config.final_param_groups) {
      #expect(group.hyperparameters == expected.mapValues(\.hyperValue))
    }
    #expect(saved.map(\.params) == config.groups.map(\.params))
  }

  @Test("constructor defaults are PyTorch 2.13's", arguments: Fixtures.optimizerNames)
  func defaultsMatchPyTorch(_ name: String) throws {
    let optimizer = try makeOptimizer(name, [Tensor.zeros([1], requiresGrad: true)], [:])
    #expect(optimizer.defaults == Fixtures.optimizers[name]!.defaults.mapValues(\.hyperValue))
  }
}

/// With `OPTIM_DIAG=1`, prints the worst per-element errors against PyTorch for each
/// implementation and dtype when the process ends: the largest relative error among
/// elements above the absolute floor, and the largest fraction of the tolerance used; then
/// the same per optimizer, implementation and dtype (`OPTIM_DIAG optimizer ...` lines, which
/// also count the scalar state besides `step`, under the dtype `scalar`).
enum TrajectoryDiagnostics {
  struct Worst {
    var relative = 0.0
    var ratio = 0.0
    var bitwise = 0
    var total = 0
  }
  nonisolated(unsafe) static var worst: [String: Worst] = [:]
  static let enabled = ProcessInfo.processInfo.environment["OPTIM_DIAG"] == "1"
  static let lock = NSLock()
  nonisolated(unsafe) static var registered = false

  nonisolated(unsafe) static var perOptimizer: [String: Worst] = [:]

  static func record(
    _ discrepancy: Discrepancy, _ actual: [Double], _ expected: [Double],
    _ implementation: OptimizerImplementation, _ dtype: DType, _ optimizer: String
  ) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    registerPrinter()
    func add(_ w: inout Worst) {
      w.ratio = Swift.max(w.ratio, discrepancy.ratio)
      for (a, e) in zip(actual, expected) {
        w.total += 1
        if a.bitPattern == e.bitPattern { w.bitwise += 1 }
        if e != 0 { w.relative = Swift.max(w.relative, Swift.abs(a - e) / Swift.abs(e)) }
      }
    }
    add(&worst["\(implementation.rawValue) \(dtype)", default: Worst()])
    add(&perOptimizer["\(optimizer) \(implementation.rawValue) \(dtype)", default: Worst()])
  }

  /// One scalar state entry (compared exactly).
  static func recordScalar(
    _ actual: Double, _ expected: Double, _ implementation: OptimizerImplementation, _ optimizer: String
  ) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    registerPrinter()
    let key = "\(optimizer) \(implementation.rawValue) scalar"
    var w = perOptimizer[key, default: Worst()]
    w.total += 1
    if actual.bitPattern == expected.bitPattern { w.bitwise += 1 }
    if expected != 0 {
      w.relative = Swift.max(w.relative, Swift.abs(actual - expected) / Swift.abs(expected))
    }
    perOptimizer[key] = w
  }

  private static func registerPrinter() {
    guard !registered else { return }
    registered = true
    atexit {
      for (key, w) in TrajectoryDiagnostics.worst.sorted(by: { $0.key < $1.key }) {
        print(
          "OPTIM_DIAG \(key): worst relative error \(w.relative), worst tolerance ratio \(w.ratio), bit-identical \(w.bitwise)/\(w.total)"
        )
      }
      for (key, w) in TrajectoryDiagnostics.perOptimizer.sorted(by: { $0.key < $1.key }) {
        print(
          "OPTIM_DIAG optimizer \(key): worst relative error \(w.relative), worst tolerance ratio \(w.ratio), bit-identical \(w.bitwise)/\(w.total)"
        )
      }
    }
  }
}
