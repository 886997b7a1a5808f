import Descent
import DescentOptim
import Foundation
import Testing

/// N-rank data-parallel training with global batch B against single-process training with
/// batch B, for every optimizer of the registry, with and without ZeRO.
@Suite struct EquivalenceTests {
  struct Setup: CustomTestStringConvertible, Sendable {
    let ranks: Int
    let zero: Bool
    let accumulate: Bool
    let bucketCapMB: Double
    var testDescription: String {
      "\(ranks) ranks\(zero ? ", ZeRO" : ""), buckets of \(bucketCapMB) MiB\(accumulate ? ", noSync accumulation" : "")"
    }
  }

  /// 100 bytes per bucket puts nearly every parameter in a bucket of its own.
  static let float64Setups = [
    Setup(ranks: 2, zero: false, accumulate: false, bucketCapMB: 25),
    Setup(ranks: 3, zero: false, accumulate: true, bucketCapMB: 0.0001),
    Setup(ranks: 2, zero: true, accumulate: false, bucketCapMB: 0.0001),
    Setup(ranks: 3, zero: true, accumulate: true, bucketCapMB: 25),
  ]

  /// float64: parameters and state dict (consolidated, under ZeRO) equal the single
  /// process's to 1e-12 relative; the only difference is the order in which the batch's
  /// gradient contributions are added (per rank, then across ranks).
  @Test(arguments: float64Setups)
  func float64MatchesSingleProcess(_ setup: Setup) throws {
    try check(setup, dtype: .float64, tolerance: 1e-12)
  }

  /// float32 tolerance, 2e-5 relative (≈ 340 float32 ulps). Each gradient element is a
  /// sum over the 12 samples of the global batch; data parallelism adds them per rank and
  /// then across ranks instead of in one pass, a different association whose error is
  /// bounded by 11 u Σ|gᵢ| (u = 2⁻²⁴ ≈ 6e-8), about 7e-7 relative to the sum's magnitude
  /// and more where terms cancel. Four steps carry that into the parameters, and the
  /// adaptive optimizers divide by √v, so a relative error in g shows up almost unchanged
  /// in each step's update (lr 0.05 against parameters of order 0.3). Observed: up to
  /// 8e-7 (float64 runs: up to 1e-15). The bound leaves room for cancellation without
  /// admitting a wrong update, which is off by the size of a step (≥ 1e-2 relative).
  @Test(arguments: [
    Setup(ranks: 2, zero: true, accumulate: false, bucketCapMB: 25),
    Setup(ranks: 3, zero: false, accumulate: false, bucketCapMB: 0.0001),
  ])
  func float32MatchesSingleProcessWithinReductionOrder(_ setup: Setup) throws {
    try check(setup, dtype: .float32, tolerance: 2e-5)
  }

  private func check(_ setup: Setup, dtype: DType, tolerance: Double) throws {
    let scenario = TrainingScenario(dtype: dtype)
    let folder = try MPIJob.scratch("train")
    let ranks = try scenario.runWorker(
      ranks: setup.ranks,
      scenario.spec(zero: setup.zero, accumulate: setup.accumulate, bucketCapMB: setup.bucketCapMB),
      folder: folder)
    for kind in OptimizerKind.allCases {
      let reference = try scenario.reference(kind, steps: 4)
      var stateBytes: [Int] = []
      for (r, results) in ranks.enumerated() {
        let result = try #require(results[kind.name], "rank \(r) has no result for \(kind.name)")
        let params = try (result["params"] as? [Any] ?? []).map(decodeTensor)
        try #require(params.count == reference.params.count)
        for (i, (got, want)) in zip(params, reference.params).enumerated() {
          let error = relativeError(got, want)
          #expect(error <= tolerance, "\(kind.name) rank \(r) parameter \(i): relative error \(error)")
        }
        if let bytes = result["stateBytes"] as? Int { stateBytes.append(bytes) }
      }
      let dict = try #require(ranks[0][kind.name]?["stateDict"] as? [String: Any])
      try compare(dict, reference.state, kind: kind, tolerance: tolerance)
      if setup.zero {
        // The shards add up to the whole state, and no rank holds all of it.
        let total = reference.state.state.values.reduce(0) { sum, entries in
          sum + entries.values.reduce(0) { $0 + $1.count * $1.dtype.byteSize }
        }
        #expect(stateBytes.count == setup.ranks)
        #expect(stateBytes.reduce(0, +) == total, "\(kind.name): shards \(stateBytes), whole \(total)")
        if total > 0 { #expect(stateBytes.allSatisfy { $0 < total }, "\(kind.name): \(stateBytes)") }
      }
    }
  }
}

/// Checks a worker's state dict (as JSON) against the single-process one: the same
/// parameter indices and keys, every tensor to `tolerance` relative, `step` exactly, and the
/// same hyperparameters.
func compare(
  _ dict: [String: Any], _ reference: OptimizerStateDict, kind: OptimizerKind, tolerance: Double
) throws {
  let state = try #require(dict["state"] as? [String: Any])
  #expect(Set(state.keys) == Set(reference.state.keys.map { "\($0)" }), "\(kind.name) state indices")
  for (index, entries) in reference.state {
    let got = try #require(state["\(index)"] as? [String: Any], "\(kind.name) has no state for \(index)")
    #expect(Set(got.keys) == Set(entries.keys), "\(kind.name) parameter \(index) keys")
    for (key, want) in entries {
      let tensor = try decodeTensor(got[key])
      #expect(tensor.shape == want.shape && tensor.dtype == want.dtype, "\(kind.name) \(index).\(key)")
      if key == "step" {
        #expect(tensor.item() == want.item(), "\(kind.name) \(index).step")
      } else {
        let error = relativeError(tensor, want)
        #expect(error <= tolerance, "\(kind.name) parameter \(index) \(key): relative error \(error)")
      }
    }
  }
  let groups = try #require(dict["param_groups"] as? [[String: Any]])
  #expect(groups.count == reference.paramGroups.count)
  for (got, want) in zip(groups, reference.paramGroups) {
    #expect(got["params"] as? [Int] == want.params)
    let hyper = try #require(got["hyperparameters"] as? [String: Any])
    #expect(Set(hyper.keys) == Set(want.hyperparameters.keys), "\(kind.name) hyperparameter names")
  }
}
