import Descent
import DescentOptim
import Testing

/// Compares two runs tensor by tensor with `rtol = 32·ε` and the absolute floor `16·ε·S` of
/// the trajectory tests (`S`: the largest magnitude the tensor holds).
func expectAgreement(
  _ a: Tensor, _ b: Tensor, _ what: @autoclosure () -> String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let epsilon = a.dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne)
  let expected = b.asArray(Double.self)
  let worst = worstDiscrepancy(
    a.asArray(Double.self), expected, rtol: 32 * epsilon, atol: 16 * epsilon * maxMagnitude(expected))
  #expect(worst.passes, "\(what()): \(worst)", sourceLocation: sourceLocation)
}

@Suite("The BLAS form against the reference rule")
struct ImplementationAgreementTests {
  @Test("agree to a few ulps on every recorded configuration", arguments: TrajectoryCase.all)
  func agreeOnFixtures(_ test: TrajectoryCase) throws {
    let config = Fixtures.config(test.optimizer, test.config)
    let (blasParams, blas) = try makeSetup(test.optimizer, config, implementation: .blas)
    let (referenceParams, reference) = try makeSetup(test.optimizer, config, implementation: .reference)
    for (stepIndex, record) in config.steps.enumerated() {
      feedGradients(record, to: blasParams)
      feedGradients(record, to: referenceParams)
      try blas.step()
      try reference.step()
      for (i, (p, q)) in zip(blasParams, referenceParams).enumerated() {
        expectAgreement(p, q, "step \(stepIndex + 1), parameter \(i)")
        let blasState = blas.state(for: p)
        let referenceState = reference.state(for: q)
        #expect(Set(blasState.keys) == Set(referenceState.keys))
        for (key, value) in referenceState {
          expectAgreement(blasState[key]!, value, "step \(stepIndex + 1), parameter \(i), \(key)")
        }
      }
    }
  }

  /// Large enough for `parallelChunks` to split the loops, with a size that is not a
  /// multiple of the chunk rounding, and with every state buffer in use.
  @Test(
    "agree on large tensors split across threads",
    arguments: Fixtures.optimizerNames, [DType.float32, .float64])
  func agreeOnLargeTensors(_ name: String, dtype: DType) throws {
    let count = 3 * Threads.grainSize + 7
    let generator = Generator(seed: 42)
    let initial = Tensor.randn([count], dtype: dtype, generator: generator)
    let grads = (0..<6).map { _ in Tensor.randn([count], dtype: dtype, generator: generator) }
    func trajectory(_ implementation: OptimizerImplementation) throws -> (Tensor, Optimizer) {
      let p = initial.clone().requiresGrad(true)
      let optimizer = try fullyFeatured(name, [p], implementation)
      optimizer.paramGroups[0].weightDecay = 0.05
      for g in grads {
        p.grad = g
        try optimizer.step()
      }
      return (p, optimizer)
    }
    let (p, blas) = try trajectory(.blas)
    let (q, reference) = try trajectory(.reference)
    expectAgreement(p, q, "parameter")
    for (key, value) in reference.state(for: q) {
      expectAgreement(blas.state(for: p)[key]!, value, key)
    }
  }
}
