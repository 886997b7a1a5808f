import Descent
import DescentOptim
import Testing

// Adafactor's trajectories are in the registry-wide suites (TrajectoryTests,
// StateDictTests, ImplementationAgreementTests, ...); these are its own contracts.

@Suite("Adafactor")
struct AdafactorTests {
  /// The line, verbatim.
  // swift-format-ignore
  @Test("the contract line compiles; eps (None, 1e-3) survives a state-dict round trip")
  func contract() throws {
    let params = [
      Tensor([0.5, -1.0, 2.0, 0.25, 1.5, -0.75], shape: [2, 3], dtype: .float64, requiresGrad: true),
      Tensor([1.0, -2.0], shape: [2], dtype: .float64, requiresGrad: true),
    ]
let i = try Adafactor(params, lr: 1e-2, beta2Decay: -0.8, eps: (nil, 1e-3), d: 1.0, weightDecay: 0, maximize: false)
    for p in params { p.grad = Tensor.onesLike(p) }
    try i.step()
    let saved = i.stateDict()
    #expect(saved.paramGroups[0]["eps"] == .optionalNumbers([nil, 1e-3]))
    #expect(saved.paramGroups[0]["eps"]!.description == "(None, 0.001)")
    #expect(saved.state[0]!["row_var"]!.shape == [2, 1] && saved.state[0]!["col_var"]!.shape == [1, 3])
    #expect(Set(saved.state[1]!.keys) == ["step", "variance"])

    let other = try Adafactor(params.map { $0.detach().clone().requiresGrad(true) }, eps: (1e-30, 1e-2))
    #expect(other.paramGroups[0]["eps"] == .numbers([1e-30, 1e-2]))
    try other.loadStateDict(saved)
    #expect(other.paramGroups[0]["eps"] == .optionalNumbers([nil, 1e-3]))
    #expect(other.stateDict().state[0]!["row_var"]!.asArray(Double.self) == saved.state[0]!["row_var"]!.asArray(Double.self))
  }

  @Test("eps through the registry and in added groups: None or a number, two entries")
  func epsKinds() throws {
    let p = Tensor.zeros([2], requiresGrad: true)
    let optimizer = try OptimizerKind.adafactor.make([p], ["eps": .optionalNumbers([nil, 0.1])])
    #expect(optimizer.defaults["eps"] == .optionalNumbers([nil, 0.1]))
    try optimizer.addParamGroup(ParamGroup([Tensor.zeros([1], requiresGrad: true)], ["eps": [1e-20, 1e-3]]))
    #expect(optimizer.paramGroups[1]["eps"] == .numbers([1e-20, 1e-3]))
    #expect(
      thrownMessage {
        try optimizer.addParamGroup(ParamGroup([Tensor.zeros([1], requiresGrad: true)], ["eps": [1e-3]]))
      } == "hyperparameter 'eps' of Adafactor must be a list of 2 numbers or None, got (0.001)")
    #expect(
      thrownMessage {
        try optimizer.addParamGroup(
          ParamGroup([Tensor.zeros([1], requiresGrad: true)], ["eps": .optionalNumbers([-1, 0.1])]))
      } == "epsilon1 should be >= 0 but is: -1.0")
  }

  @Test("loading checks the factors' shapes")
  func factorShapes() throws {
    let p = Tensor.zeros([3, 4], requiresGrad: true)
    let optimizer = try Adafactor([p])
    p.grad = Tensor.onesLike(p)
    try optimizer.step()
    var saved = optimizer.stateDict()
    saved.state[0]!["col_var"] = Tensor.zeros([3, 1])
    #expect(
      thrownMessage { try optimizer.loadStateDict(saved) }
        == "state 'col_var' of parameter 0 has shape [3, 1], but Adafactor keeps it in shape [1, 4] for a parameter of shape [3, 4]"
    )
    saved.state[0]!["col_var"] = nil
    #expect(
      thrownMessage { try optimizer.loadStateDict(saved) }
        == "loaded state dict has no 'col_var' for parameter 0, which Adafactor needs")
  }

  @Test("has no fused kernel: .fused runs the BLAS form")
  func noFusedKernel() throws {
    let p = Tensor.zeros([2], requiresGrad: true)
    #expect(try !Adafactor([p]).hasFusedKernels)
    #expect(try Adam([p]).hasFusedKernels)
    let g = Generator(seed: 5)
    let initial = Tensor.randn([4, 9], dtype: .float64, generator: g)
    let grads = (0..<4).map { _ in Tensor.randn([4, 9], dtype: .float64, generator: g) }
    func run(_ implementation: OptimizerImplementation) throws -> [Double] {
      let q = initial.clone().requiresGrad(true)
      let optimizer = try Adafactor([q], weightDecay: 0.1, implementation: implementation)
      for grad in grads {
        q.grad = grad
        try optimizer.step()
      }
      return q.asArray(Double.self)
    }
    #expect(try run(.fused) == run(.blas))
  }
}
