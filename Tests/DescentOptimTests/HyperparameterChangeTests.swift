import Descent
import DescentOptim
import Testing

/// A value set in a group before a step of a recorded run.
struct HyperparameterChange: Decodable, Sendable {
  let step: Int
  let group: Int
  let options: [String: JSONValue]
}

/// The runs of an optimizer's fixture whose hyperparameters change between steps.
struct HyperparameterChangeFixture: Decodable, Sendable {
  struct Changes: Decodable, Sendable {
    let name: String
    let changes: [HyperparameterChange]
  }
  let hyperparameter_changes: [TrajectoryConfig]?
  let changes: [Changes]

  private enum CodingKeys: String, CodingKey { case hyperparameter_changes }

  init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    hyperparameter_changes = try container.decodeIfPresent(
      [TrajectoryConfig].self, forKey: .hyperparameter_changes)
    changes =
      try container.decodeIfPresent([Changes].self, forKey: .hyperparameter_changes) ?? []
  }
}

/// One recorded run with hyperparameter changes.
struct HyperparameterChangeCase: Sendable, CustomTestStringConvertible {
  let optimizer: String
  let index: Int
  var testDescription: String { "\(optimizer)/\(Self.fixtures[optimizer]!.changes[index].name)" }

  static let fixtures: [String: HyperparameterChangeFixture] = Dictionary(
    uniqueKeysWithValues: Fixtures.optimizerNames.map {
      ($0, Fixtures.load($0.lowercased(), as: HyperparameterChangeFixture.self))
    })
  static let all: [HyperparameterChangeCase] = Fixtures.optimizerNames.flatMap { name in
    fixtures[name]!.changes.indices.map { HyperparameterChangeCase(optimizer: name, index: $0) }
  }
}

/// Each optimizer reads its group's hyperparameters at every step, as PyTorch's do: a value
/// changed between steps (as a scheduler or a user changes it) takes effect from the next
/// step, and values that only seed state (Rprop's `lr`, ASGD's first `eta`) matter only
/// where state is made after the change.
@Suite("Hyperparameters changed between steps")
struct HyperparameterChangeTests {
  @Test(
    "every parameter and state entry matches PyTorch when hyperparameters change",
    arguments: HyperparameterChangeCase.all, OptimizerImplementation.allCases)
  func matchesPyTorch(_ test: HyperparameterChangeCase, implementation: OptimizerImplementation)
    throws
  {
    let fixture = HyperparameterChangeCase.fixtures[test.optimizer]!
    let config = fixture.hyperparameter_changes![test.index]
    let changes = fixture.changes[test.index].changes
    #expect(!changes.isEmpty)
    let (params, optimizer) = try makeSetup(test.optimizer, config, implementation: implementation)
    var scales: [String: [Double]] = [:]
    for (stepIndex, record) in config.steps.enumerated() {
      for change in changes where change.step == stepIndex {
        for (key, value) in change.options {
          optimizer.paramGroups[change.group][key] = value.hyperValue
        }
      }
      feedGradients(record, to: params)
      try optimizer.step()
      for (i, param) in params.enumerated() {
        let rtol = relativeTolerance(param.dtype)
        let what = "step \(stepIndex + 1), parameter \(i)"
        var entries = optimizer.state(for: param).mapValues(values)
        entries["param"] = values(param)
        var expected = record.state[i].mapValues { $0.doubles ?? [$0.number!] }
        expected["param"] = record.params[i]
        #expect(Set(entries.keys) == Set(expected.keys), "\(what): keys")
        for (key, expectedValues) in expected {
          guard let actual = entries[key] else { continue }
          if record.state[i][key]?.number != nil {
            #expect(actual == expectedValues, "\(what), \(key)")  // float32 scalars, exactly
            continue
          }
          let previous = scales["\(i).\(key)"] ?? (key == "param" ? config.initial[i].map(Swift.abs) : nil)
          let scale = updatedScales(previous, expectedValues)
          scales["\(i).\(key)"] = scale
          let error = worstDiscrepancy(
            actual, expectedValues, rtol: rtol, atol: absoluteFloors(param.dtype, scales: scale))
          #expect(error.passes, "\(what), \(key): \(error)")
        }
      }
    }
    let saved = optimizer.stateDict().paramGroups.map(\.hyperparameters)
    #expect(saved == config.final_param_groups.map { $0.mapValues(\.hyperValue) })
  }

  @Test("Rprop's lr seeds step_size and does nothing else")
  func rpropLearningRateSeedsStepSize() throws {
    let a = Tensor([1.0, -1.0], shape: [2], dtype: .float64, requiresGrad: true)
    let b = Tensor([1.0, -1.0], shape: [2], dtype: .float64, requiresGrad: true)
    let optimizer = try Rprop([a, b], lr: 0.1)
    a.grad = Tensor([0.5, -0.5], shape: [2], dtype: .float64)
    try optimizer.step()
    optimizer.paramGroups[0].lr = 0.3
    b.grad = Tensor([0.5, -0.5], shape: [2], dtype: .float64)
    try optimizer.step()
    // a: its second step grows its step size from the seed 0.1 (·1.2); b: seeded with 0.3.
    #expect(optimizer.state(for: a)["step_size"]!.asArray(Double.self) == [0.1 * 1.2, 0.1 * 1.2])
    #expect(optimizer.state(for: b)["step_size"]!.asArray(Double.self) == [0.3, 0.3])
  }
}
