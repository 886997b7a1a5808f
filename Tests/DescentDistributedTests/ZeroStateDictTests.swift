import Descent
import DescentOptim
import Foundation
import Testing

/// A consolidated ZeRO state dict is the single-process optimizer's state dict, and it
/// loads into a sharded run of another world size, which then continues as if nothing had
/// changed.
@Suite struct ZeroStateDictTests {
  @Test func consolidatedOnTwoRanksResumesOnThree() throws {
    let scenario = TrainingScenario(dtype: .float64)
    let first = try MPIJob.scratch("zero-first")
    let second = try MPIJob.scratch("zero-second")
    let before = try scenario.runWorker(ranks: 2, scenario.spec(zero: true, steps: 2), folder: first)
    let after = try scenario.runWorker(
      ranks: 3,
      scenario.spec(
        zero: true, firstStep: 2, steps: 2,
        resume: first.appendingPathComponent("rank0.json").path),
      folder: second)
    for kind in OptimizerKind.allCases {
      let twoSteps = try scenario.reference(kind, steps: 2)
      let dict = try #require(before[0][kind.name]?["stateDict"] as? [String: Any])
      try compare(dict, twoSteps.state, kind: kind, tolerance: 1e-12)

      let fourSteps = try scenario.reference(kind, steps: 4)
      for (r, results) in after.enumerated() {
        let params = try (results[kind.name]?["params"] as? [Any] ?? []).map(decodeTensor)
        try #require(params.count == fourSteps.params.count, "\(kind.name) rank \(r)")
        for (i, (got, want)) in zip(params, fourSteps.params).enumerated() {
          let error = relativeError(got, want)
          #expect(error <= 1e-12, "\(kind.name) rank \(r) parameter \(i) after resuming: \(error)")
        }
      }
      let resumed = try #require(after[0][kind.name]?["stateDict"] as? [String: Any])
      try compare(resumed, fourSteps.state, kind: kind, tolerance: 1e-12)
    }
  }
}
