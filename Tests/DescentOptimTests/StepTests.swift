import Descent
import DescentOptim
import Testing

@Suite("Steps")
struct StepTests {
  @Test(
    "step() without gradients changes nothing and creates no state (Adagrad's is made by its constructor)",
    arguments: Fixtures.optimizerNames, OptimizerImplementation.allCases)
  func noGradientsIsNoOp(_ name: String, implementation: OptimizerImplementation) throws {
    let p = Tensor([1.0, -2.0, 3.0], shape: [3], requiresGrad: true)
    // Rprop has no weight decay.
    let options: [String: JSONValue] =
      OptimizerKind(name: name)!.defaults["weight_decay"] != nil ? ["weight_decay": .number(0.5)] : [:]
    let optimizer = try makeOptimizer(name, [p], options, implementation: implementation)
    let initial = optimizer.state(for: p).mapValues { $0.asArray(Double.self) }
    try optimizer.step()
    try optimizer.step()
    #expect(p.asArray(Float.self) == [1, -2, 3])
    if Fixtures.makesStateUpFront(name) {
      // PyTorch's Adagrad makes the state in its constructor; a step without gradients
      // leaves it as it was.
      #expect(initial["step"] == [0])
      #expect(optimizer.state(for: p).mapValues { $0.asArray(Double.self) } == initial)
      #expect(optimizer.stateDict().state.count == 1)
    } else {
      #expect(optimizer.state(for: p).isEmpty)
      #expect(optimizer.stateDict().state.isEmpty)
    }
  }

  @Test(
    "parameters without a gradient are skipped and get no state",
    arguments: Fixtures.optimizerNames, OptimizerImplementation.allCases)
  func nilGradientsAreSkipped(_ name: String, implementation: OptimizerImplementation) throws {
    let withGrad = Tensor([1.0, 2.0], shape: [2], requiresGrad: true)
    let without = Tensor([3.0, 4.0], shape: [2], requiresGrad: true)
    let optimizer = try fullyFeatured(name, [withGrad, without], implementation)
    withGrad.grad = Tensor([0.5, -0.5], shape: [2])
    try optimizer.step()
    #expect(withGrad.asArray(Float.self) != [1, 2])
    #expect(without.asArray(Float.self) == [3, 4])
    #expect(!optimizer.state(for: withGrad).isEmpty)
    if Fixtures.makesStateUpFront(name) {
      #expect(optimizer.state(for: without)["step"]?.item() == 0)  // the constructor's state
    } else {
      #expect(optimizer.state(for: without).isEmpty)
    }
  }

  @Test("zeroGrad sets gradients to nil, or to zeros with setToNone: false")
  func zeroGrad() throws {
    let a = Tensor([1.0, 2.0], shape: [2], requiresGrad: true)
    let b = Tensor([3.0], shape: [1], requiresGrad: true)
    let optimizer = try SGD([a])
    try optimizer.addParamGroup(ParamGroup([b]))
    (a * b).sum().backward()
    #expect(a.grad != nil && b.grad != nil)
    let gradA = a.grad!
    optimizer.zeroGrad(setToNone: false)
    #expect(a.grad === gradA)  // zeroed in place
    #expect(a.grad!.asArray(Float.self) == [0, 0] && b.grad!.asArray(Float.self) == [0])
    optimizer.zeroGrad()
    #expect(a.grad == nil && b.grad == nil)
  }

  @Test(
    "a zero gradient still steps (unlike a nil one): state, counters and weight decay",
    arguments: Fixtures.optimizerNames, OptimizerImplementation.allCases)
  func zeroGradientSteps(_ name: String, implementation: OptimizerImplementation) throws {
    let p = Tensor([1.0, -2.0], shape: [2], dtype: .float64, requiresGrad: true)
    let optimizer = try makeOptimizer(name, [p], ["lr": .number(0.1)], implementation: implementation)
    p.grad = Tensor.zeros([2], dtype: .float64)
    try optimizer.step()
    let state = optimizer.state(for: p)
    switch name {
    case "SGD":
      #expect(state.isEmpty)  // no momentum, no state
      #expect(p.asArray(Double.self) == [1, -2])
    case "AdamW":
      // Decoupled decay shrinks the parameter even with a zero gradient.
      #expect(state["step"]!.item() == 1)
      let shrink: Double = 1 - 0.1 * 0.01
      #expect(p.asArray(Double.self) == [1 * shrink, -2 * shrink])
    case "ASGD":
      // θ ← θ·(1 - λ·η) with λ = 1e-4 and η = float32(0.1), even with a zero gradient.
      #expect(state["step"]!.item() == 1)
      let shrink = 1 - 1e-4 * Double(Float(0.1))
      #expect(p.asArray(Double.self) == [1 * shrink, -2 * shrink])
    default:
      #expect(state["step"]!.item() == 1)
      #expect(p.asArray(Double.self) == [1, -2])
    }
  }

  @Test("step(closure:) evaluates the closure with grad enabled and returns its loss")
  func closureReturnsLoss() throws {
    let w = Tensor([1.0, -1.0], shape: [2], dtype: .float64, requiresGrad: true)
    let optimizer = try SGD([w], lr: 0.1)
    var calls = 0
    let loss = try withNoGrad {
      try optimizer.step {
        calls += 1
        optimizer.zeroGrad()
        let loss = (w * w).sum()
        loss.backward()
        return loss
      }
    }
    #expect(calls == 1)
    #expect(loss.item() == 2)
    // The gradient 2w came from the closure's backward, then the step used it.
    let expected: [Double] = [1 - 0.1 * 2, -1 + 0.1 * 2]
    #expect(w.asArray(Double.self) == expected)
    let value: Double = try optimizer.step { 3.5 }
    #expect(value == 3.5)
  }

  @Test(
    "zero-size parameters work",
    arguments: Fixtures.optimizerNames, OptimizerImplementation.allCases)
  func zeroSizeParameters(_ name: String, implementation: OptimizerImplementation) throws {
    let empty = Tensor.zeros([0, 3], requiresGrad: true)
    let other = Tensor([1.0], shape: [1], requiresGrad: true)
    let optimizer = try fullyFeatured(name, [empty, other], implementation)
    for _ in 0..<3 {
      empty.grad = Tensor.zeros([0, 3])
      other.grad = Tensor([1.0], shape: [1])
      try optimizer.step()
    }
    #expect(empty.shape == [0, 3])
    // Adafactor's factors of a [0, 3] matrix are [0, 1] and [1, 3]; scalar state is 0-d.
    let factorShapes = ["row_var": [0, 1], "col_var": [1, 3]]
    let scalarKeys = Fixtures.scalarStateKeys(name)
    for (key, value) in optimizer.state(for: empty) {
      #expect(
        value.shape == (scalarKeys.contains(key) ? [] : factorShapes[key, default: [0, 3]]), "\(key)")
    }
    #expect(other.asArray(Float.self) != [1])
    let saved = optimizer.stateDict()
    try optimizer.loadStateDict(saved)
  }

  @Test(
    "a hand-assigned non-contiguous gradient is used as its values",
    arguments: Fixtures.optimizerNames)
  func nonContiguousGradient(_ name: String) throws {
    let a = Tensor([1.0, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .float64, requiresGrad: true)
    let b = Tensor([1.0, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .float64, requiresGrad: true)
    let optimizerA = try fullyFeatured(name, [a], .default)
    let optimizerB = try fullyFeatured(name, [b], .default)
    let source = Tensor([0.5, -1, 2, 0.25, 1.5, -0.75], shape: [3, 2], dtype: .float64)
    a.grad = source.t()
    b.grad = source.t().contiguous()
    #expect(!a.grad!.isContiguous)
    try optimizerA.step()
    try optimizerB.step()
    #expect(a.asArray(Double.self) == b.asArray(Double.self))
  }
}
