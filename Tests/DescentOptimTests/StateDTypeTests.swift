import Descent
import DescentOptim
import Testing

/// Adam's and AdamW's `stateDType:`: float32 parameters with half-precision moments.
@Suite("Adam with half-precision state")
struct StateDTypeTests {
  static func params(_ seed: UInt64) -> [Tensor] {
    let g = Generator(seed: seed)
    return [Tensor.randn([37], generator: g), Tensor.randn([5, 41], generator: g)].map {
      $0.requiresGrad(true)
    }
  }

  static func grads(_ params: [Tensor], step: Int) -> [Tensor] {
    let g = Generator(seed: 100 + UInt64(step))
    return params.map { Tensor.randn($0.shape, generator: g) * 0.3 }
  }

  /// Runs `steps` steps of `make`'s optimizer on fresh parameters.
  static func run(
    steps: Int, _ make: ([Tensor]) throws -> Optimizer
  ) throws -> (params: [Tensor], optimizer: Optimizer) {
    let params = Self.params(7)
    let optimizer = try make(params)
    for s in 0..<steps {
      for (p, g) in zip(params, grads(params, step: s)) { p.grad = g }
      try optimizer.step()
    }
    return (params, optimizer)
  }

  static func bits(_ t: Tensor) -> [UInt32] { t.asArray(Float.self).map(\.bitPattern) }

  @Test(
    "the fused kernel equals the reference form bit for bit",
    arguments: [DType.bfloat16, .float16], [false, true])
  func fusedEqualsReference(_ dtype: DType, _ amsgrad: Bool) throws {
    let fused = try Self.run(steps: 4) {
      try AdamW($0, lr: 1e-2, amsgrad: amsgrad, stateDType: dtype, implementation: .fused)
    }
    let reference = try Self.run(steps: 4) {
      try AdamW($0, lr: 1e-2, amsgrad: amsgrad, stateDType: dtype, implementation: .reference)
    }
    for (a, b) in zip(fused.params, reference.params) {
      #expect(a.dtype == .float32)
      #expect(Self.bits(a) == Self.bits(b))
      let sa = fused.optimizer.state(for: a)
      let sb = reference.optimizer.state(for: b)
      for key in ["exp_avg", "exp_avg_sq"] + (amsgrad ? ["max_exp_avg_sq"] : []) {
        #expect(sa[key]?.dtype == dtype, "\(key)")
        #expect(Self.bits(sa[key]!) == Self.bits(sb[key]!), "\(key)")
      }
    }
  }

  @Test("the moments are the float32 moments rounded to nearest after one step")
  func firstStepRoundsOnce() throws {
    let half = try Self.run(steps: 1) { try Adam($0, lr: 1e-2, stateDType: .bfloat16) }
    let full = try Self.run(steps: 1) { try Adam($0, lr: 1e-2) }
    for (a, b) in zip(half.params, full.params) {
      // The parameter update uses the unrounded moments: the same as with float32 state.
      #expect(Self.bits(a) == Self.bits(b))
      let m = half.optimizer.state(for: a)["exp_avg"]!
      let expected = full.optimizer.state(for: b)["exp_avg"]!.to(dtype: .bfloat16)
      #expect(Self.bits(m) == Self.bits(expected))
    }
  }

  @Test("stochastic rounding: reproducible, one of the two neighbours, seed-dependent")
  func stochasticRounding() throws {
    func make(_ seed: UInt64) -> ([Tensor]) throws -> Optimizer {
      { try Adam($0, lr: 1e-2, stateDType: .bfloat16, stateRounding: .stochastic(seed: seed)) }
    }
    let a = try Self.run(steps: 1, make(1))
    let b = try Self.run(steps: 1, make(1))
    let c = try Self.run(steps: 1, make(2))
    let full = try Self.run(steps: 1) { try Adam($0, lr: 1e-2) }
    var differs = false
    var roundedUp = 0
    var total = 0
    for i in a.params.indices {
      let ma = a.optimizer.state(for: a.params[i])["exp_avg"]!
      #expect(Self.bits(ma) == Self.bits(b.optimizer.state(for: b.params[i])["exp_avg"]!))
      differs = differs || Self.bits(ma) != Self.bits(c.optimizer.state(for: c.params[i])["exp_avg"]!)
      let exact = full.optimizer.state(for: full.params[i])["exp_avg"]!.asArray(Float.self)
      for (x, r) in zip(exact, ma.asArray(Float.self)) {
        // The bfloat16 neighbours of x: truncation and the next one away from zero.
        let down = Float(bitPattern: x.bitPattern & 0xFFFF_0000)
        let up = Float(bitPattern: (x.bitPattern & 0xFFFF_0000) &+ 0x1_0000)
        #expect(r == down || r == up, "\(x) rounded to \(r)")
        if r != down { roundedUp += 1 }
        if x != down { total += 1 }
      }
    }
    #expect(differs)
    // Not always down nor always up.
    #expect(roundedUp > total / 5 && roundedUp < total * 4 / 5)
  }

  @Test("half state goes through the state dict and back")
  func stateDictRoundTrip() throws {
    let (params, optimizer) = try Self.run(steps: 2) { try Adam($0, lr: 1e-2, stateDType: .bfloat16) }
    let saved = optimizer.stateDict()
    #expect(saved.state[0]?["exp_avg"]?.dtype == .bfloat16)
    let restored = try Adam(params, lr: 1e-2, stateDType: .bfloat16)
    try restored.loadStateDict(saved)
    for p in params {
      for key in ["exp_avg", "exp_avg_sq"] {
        let a = optimizer.state(for: p)[key]!
        let b = restored.state(for: p)[key]!
        #expect(b.dtype == .bfloat16)
        #expect(Self.bits(a) == Self.bits(b))
      }
    }
  }

  @Test("invalid settings throw")
  func invalidSettings() throws {
    let p = [Tensor.zeros([3], requiresGrad: true)]
    #expect(throws: OptimizerError.self) { try Adam(p, stateDType: .int64) }
    #expect(throws: OptimizerError.self) {
      try Adam(p, stateDType: .float16, stateRounding: .stochastic(seed: 1))
    }
    let reference = try Adam(
      p, stateDType: .bfloat16, stateRounding: .stochastic(seed: 1), implementation: .reference)
    p[0].grad = Tensor.ones([3])
    #expect(throws: OptimizerError.self) { try reference.step() }
  }
}
