import Descent
import DescentOptim
import Testing

/// Each optimizer's readable rule (``OptimizerImplementation/reference``) is the
/// specification its fused C kernel is held to, bit for bit: every recorded PyTorch
/// configuration of every optimizer in the registry runs on tensors of every size around
/// the vector widths (8 and 16 lanes) and one large enough to be split across threads
/// mid-tensor, in both dtypes, with a gradient missing at one step. (The BLAS form is held
/// to the reference within a tolerance: ImplementationAgreementTests. Optimizers without
/// fused kernels, whose `.fused` runs the BLAS form, are held to it there.)
@Suite("Kernel paths against the reference rule")
struct KernelPathTests {
  static let fusedOptimizers = Fixtures.optimizerNames.filter {
    try! makeOptimizer($0, [Tensor.zeros([1], requiresGrad: true)], [:]).hasFusedKernels
  }
  static let fusedCases = TrajectoryCase.all.filter { fusedOptimizers.contains($0.optimizer) }

  static let sizes = [1, 7, 8, 9, 15, 16, 17, 33, 1000, 2 * Threads.grainSize + 37]

  @Test(
    "the fused kernels compute the reference rule's bits", arguments: fusedCases,
    [DType.float32, .float64])
  func fusedIsBitwiseReference(_ test: TrajectoryCase, dtype: DType) throws {
    try compare(test, dtype: dtype, .fused) { actual, expected, what in
      let mismatches = zip(actual.asArray(Double.self), expected.asArray(Double.self)).filter {
        $0.bitPattern != $1.bitPattern
      }.count
      #expect(mismatches == 0, "\(what): \(mismatches) of \(actual.count) elements differ")
    }
  }

  @Test("a group that mixes float32 and float64 parameters", arguments: fusedOptimizers)
  func mixedDtypes(_ name: String) throws {
    func run(_ implementation: OptimizerImplementation) throws -> ([Tensor], Optimizer) {
      let g = Generator(seed: 7)
      let params = [
        Tensor.randn([40], dtype: .float32, generator: g),
        Tensor.randn([9], dtype: .float64, generator: g),
        Tensor.randn([17], dtype: .float32, generator: g),
      ].map { $0.requiresGrad(true) }
      let optimizer = try fullyFeatured(name, params, implementation)
      for _ in 1...3 {
        for p in params { p.grad = Tensor.randn(p.shape, dtype: p.dtype, generator: g) }
        try optimizer.step()
      }
      return (params, optimizer)
    }
    let (fused, fusedOptimizer) = try run(.fused)
    let (reference, referenceOptimizer) = try run(.reference)
    for (i, (p, q)) in zip(fused, reference).enumerated() {
      #expect(p.asArray(Double.self) == q.asArray(Double.self), "parameter \(i) (\(p.dtype))")
      let state = fusedOptimizer.state(for: p)
      for (key, value) in referenceOptimizer.state(for: q) {
        #expect(state[key]?.asArray(Double.self) == value.asArray(Double.self), "\(key) of \(i)")
      }
    }
  }

  /// Runs `test`'s configuration (its constructor options and extra groups) three steps on
  /// tensors of every size in ``sizes`` with `implementation` and with the reference rule,
  /// and hands each parameter and state tensor of both runs to `check` after every step.
  private func compare(
    _ test: TrajectoryCase, dtype: DType, _ implementation: OptimizerImplementation,
    check: (Tensor, Tensor, String) -> Void
  ) throws {
    let config = Fixtures.config(test.optimizer, test.config)
    let kind = OptimizerKind(name: test.optimizer)!
    func setup(_ implementation: OptimizerImplementation) throws -> ([Tensor], Optimizer) {
      let g = Generator(seed: 11)
      var groups = [Self.sizes.map { Tensor.randn([$0], dtype: dtype, generator: g).requiresGrad(true) }]
      for _ in config.groups.dropFirst() {
        groups.append([5, 33].map { Tensor.randn([$0], dtype: dtype, generator: g).requiresGrad(true) })
      }
      let optimizer = try kind.make(
        groups[0], config.kwargs.mapValues(\.hyperValue), implementation: implementation)
      for (params, spec) in zip(groups.dropFirst(), config.groups.dropFirst()) {
        try optimizer.addParamGroup(ParamGroup(params, spec.options.mapValues(\.hyperValue)))
      }
      return (groups.flatMap { $0 }, optimizer)
    }
    let (params, optimizer) = try setup(implementation)
    let (expectedParams, reference) = try setup(.reference)
    let g = Generator(seed: 12)
    for step in 1...3 {
      for (i, (p, q)) in zip(params, expectedParams).enumerated() {
        // The first parameter misses its gradient at step 2: it is skipped, and its counters
        // fall behind the others'.
        let grad = step == 2 && i == 0 ? nil : Tensor.randn(p.shape, dtype: dtype, generator: g)
        p.grad = grad
        q.grad = grad?.clone()
      }
      try optimizer.step()
      try reference.step()
      for (i, (p, q)) in zip(params, expectedParams).enumerated() {
        let what = "step \(step), parameter \(i) (size \(p.count))"
        check(p, q, what)
        let state = optimizer.state(for: p)
        let expectedState = reference.state(for: q)
        #expect(Set(state.keys) == Set(expectedState.keys), "\(what): state keys")
        for (key, value) in expectedState {
          guard let actual = state[key] else { continue }
          check(actual, value, "\(what), \(key)")
        }
      }
    }
  }
}
