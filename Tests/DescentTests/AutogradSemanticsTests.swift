import Descent
import DescentTestSupport
import Foundation
import Testing

private func values(_ t: Tensor?) -> [Double] { t?.asArray(Double.self) ?? [] }

@Suite("Autograd semantics")
struct AutogradSemanticsTests {
  @Test("leaves accumulate into .grad across backward calls until zeroed")
  func accumulation() {
    let x = Tensor([1.0, 2, 3], dtype: .float64, requiresGrad: true)
    (x * x).sum().backward()
    #expect(values(x.grad) == [2, 4, 6])
    (x * 3).sum().backward()
    #expect(values(x.grad) == [5, 7, 9])
    x.grad = nil
    x.sum().backward()
    #expect(values(x.grad) == [1, 1, 1])
    // A grad set by hand is accumulated into, in place.
    let manual = Tensor([10.0, 10, 10], dtype: .float64)
    x.grad = manual
    x.sum().backward()
    #expect(values(manual) == [11, 11, 11])
  }

  @Test("requiresGrad, isLeaf and gradFn propagate through ops")
  func graphStructure() {
    let a = Tensor([1.0, 2], requiresGrad: true)
    let b = Tensor([3.0, 4])
    #expect(a.isLeaf && a.requiresGrad && a.gradFn == nil)
    #expect(b.isLeaf && !b.requiresGrad)
    let c = a * b
    #expect(!c.isLeaf && c.requiresGrad)
    #expect(c.gradFn?.name == "MulBackward0")
    let d = (c + 1).exp()
    #expect(d.gradFn?.name == "ExpBackward0")
    #expect(d.gradFn?.nextFunctions.map(\.name) == ["AddBackward0"])
    #expect((b * 2).gradFn == nil && !(b * 2).requiresGrad)
    #expect(a.requiresGrad(false) === a && !a.requiresGrad)
  }

  @Test("no-grad scopes record nothing, nest, restore after throwing, and are per thread")
  func noGrad() throws {
    let a = Tensor([1.0, 2], requiresGrad: true)
    #expect(GradMode.isEnabled)
    let inside = withNoGrad { a * 2 }
    #expect(inside.gradFn == nil && !inside.requiresGrad && inside.isLeaf)
    withNoGrad {
      #expect(!GradMode.isEnabled)
      let again = withGrad { a * 2 }
      #expect(again.gradFn != nil)
      withNoGrad { #expect(!GradMode.isEnabled) }
      #expect(!GradMode.isEnabled)
    }
    #expect(GradMode.isEnabled)
    struct Boom: Error {}
    #expect(throws: Boom.self) { try withNoGrad { throw Boom() } }
    #expect(GradMode.isEnabled)

    // Another thread starts with grad enabled while this one is in a no-grad scope.
    let otherThread = CrossThreadFlag()
    withNoGrad {
      let thread = Thread { otherThread.set(GradMode.isEnabled) }
      thread.start()
      while !otherThread.isDone { usleep(1000) }
      #expect(!GradMode.isEnabled)
    }
    #expect(otherThread.value == true)
  }

  @Test("in-place ops on a leaf that requires grad are allowed inside withNoGrad")
  func inPlaceUnderNoGrad() {
    let w = Tensor([1.0, 2], dtype: .float64, requiresGrad: true)
    withNoGrad { w.subInPlace(Tensor([0.5, 0.5], dtype: .float64)) }
    #expect(values(w) == [0.5, 1.5])
    #expect(w.isLeaf && w.requiresGrad)
  }

  @Test("retainGrad keeps a non-leaf's gradient; others don't get one")
  func retainGrad() {
    let x = Tensor([1.0, -2, 3], dtype: .float64, requiresGrad: true)
    let h = x * 2
    let k = h * h
    h.retainGrad()
    #expect(h.retainsGrad && !k.retainsGrad)
    k.sum().backward(retainGraph: true)
    #expect(values(h.grad) == [4, -8, 12])
    #expect(k.grad == nil)
    k.sum().backward()
    #expect(values(h.grad) == [8, -16, 24])
    #expect(values(x.grad) == [16, -32, 48])
  }

  @Test("detach shares storage and leaves the graph")
  func detach() {
    let x = Tensor([1.0, 2], dtype: .float64, requiresGrad: true)
    let y = x * 3
    let d = y.detach()
    #expect(d.isLeaf && !d.requiresGrad && d.storage === y.storage)
    (d * x).sum().backward()
    #expect(values(x.grad) == [3, 6])
  }

  @Test("backward frees intermediates even while the output is kept")
  func freesIntermediates() {
    let x = Tensor([1.0, 2], dtype: .float64, requiresGrad: true)
    weak var hidden: Tensor?
    let loss: Tensor
    do {
      let h = (x * 2).exp()
      hidden = h
      loss = (h * h).sum()
    }
    #expect(hidden != nil, "the graph holds the intermediate")
    loss.backward()
    #expect(hidden == nil, "backward released it")
    #expect(loss.gradFn != nil && loss.requiresGrad)
  }

  @Test("retainGraph keeps intermediates for another pass")
  func retainKeeps() {
    let x = Tensor([1.0, 2], dtype: .float64, requiresGrad: true)
    weak var hidden: Tensor?
    let loss: Tensor
    do {
      let h = x * 2
      hidden = h
      loss = (h * h).sum()
    }
    loss.backward(retainGraph: true)
    #expect(hidden != nil)
    loss.backward()
    #expect(values(x.grad) == [16, 32])
  }

  @Test("retainGraph lets backward run twice")
  func retainGraph() {
    let x = Tensor([2.0], dtype: .float64, requiresGrad: true)
    let y = (x * x * x).sum()
    y.backward(retainGraph: true)
    y.backward()
    #expect(values(x.grad) == [24])
  }

  @Test("non-scalar backward with an explicit gradient")
  func explicitGradient() {
    let x = Tensor([1.0, 2, 3], dtype: .float64, requiresGrad: true)
    (x * x).backward(gradient: Tensor([1.0, 0.5, -1], dtype: .float64))
    #expect(values(x.grad) == [2, 2, -6])
  }

  @Test("broadcast gradients are summed back to each input's shape")
  func broadcasting() {
    let a = Tensor([1.0, 2, 3], shape: [3, 1], dtype: .float64, requiresGrad: true)
    let b = Tensor([10.0, 20, 30, 40], dtype: .float64, requiresGrad: true)
    (a * b).sum().backward()
    #expect(a.grad?.shape == [3, 1] && values(a.grad) == [100, 100, 100])
    #expect(b.grad?.shape == [4] && values(b.grad) == [6, 6, 6, 6])
  }

  @Test("gradients of views reach the base leaf")
  func views() {
    let x = Tensor((0..<12).map(Double.init), shape: [3, 4], dtype: .float64, requiresGrad: true)
    (x.t().slice(dim: 0, start: 1, step: 2) * 2).sum().backward()
    #expect(values(x.grad) == [0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2])
  }

  @Test("a tensor used twice and a diamond graph get the summed gradient")
  func sharedUses() {
    let x = Tensor([1.0, 2], dtype: .float64, requiresGrad: true)
    let a = x * 2
    let b = x * 3
    (a * b + x * x).sum().backward()
    #expect(values(x.grad) == [14, 28])
  }

  @Test("gradients keep each leaf's dtype across promotion")
  func dtypes() {
    let x = Tensor([1.0, 2], dtype: .float32, requiresGrad: true)
    let y = Tensor([0.5, 0.25], dtype: .float64, requiresGrad: true)
    let z = (x.to(dtype: .float64) * 3 + x * y).sum()
    #expect(z.dtype == .float64)
    z.backward()
    #expect(x.grad?.dtype == .float32 && values(x.grad) == [3.5, 3.25])
    #expect(y.grad?.dtype == .float64 && values(y.grad) == [1, 2])
  }

  @Test("zero-size tensors backprop to empty gradients")
  func zeroSize() {
    let x = Tensor.zeros([0, 3], dtype: .float64, requiresGrad: true)
    (x * 2).sum().backward()
    #expect(x.grad?.shape == [0, 3])
  }

  @Test("Autograd.grad returns gradients without touching .grad")
  func functionalGrad() {
    let x = Tensor([1.0, 2], dtype: .float64, requiresGrad: true)
    let w = Tensor([3.0, 4], dtype: .float64, requiresGrad: true)
    let h = x * w
    let y = (h * h).sum()
    let grads = Autograd.grad(y, inputs: [x, h], retainGraph: true)
    #expect(values(grads[0]) == [18, 64])
    #expect(values(grads[1]) == [6, 16])
    #expect(x.grad == nil && w.grad == nil && h.grad == nil)
    let z = x * 5
    let unused = Autograd.grad(z.sum(), inputs: [x, w], allowUnused: true)
    #expect(values(unused[0]) == [5, 5] && unused[1] == nil)
    // Several outputs, each with its grad_output.
    let both = Autograd.grad([x * 2, w * x], inputs: [x], gradOutputs: [Tensor.onesLike(x), w.detach()])
    #expect(values(both[0]) == [2 + 9, 2 + 16])
  }

  @Test("Autograd.function records its backward rule")
  func customFunction() {
    let x = Tensor([1.0, 2], dtype: .float64, requiresGrad: true)
    let y = Autograd.function("CubeBackward", inputs: [x]) { t in
      t[0] * t[0] * t[0]
    } backward: { g, t, _ in
      [g * t[0] * t[0] * 3]
    }
    #expect(y.gradFn?.name == "CubeBackward")
    y.sum().backward()
    #expect(values(x.grad) == [3, 12])
  }

  /// A 100,000-op chain: backward is iterative and so is the release of the graph.
  @Test("a chain of 100,000 ops backprops and deallocates without overflowing the stack")
  func longChain() {
    let x = Tensor([1.0], dtype: .float64, requiresGrad: true)
    weak var firstNode: GradNode?
    weak var middle: Tensor?
    do {
      var y = x * 1
      firstNode = y.gradFn
      for i in 0..<100_000 {
        y = y + 1e-5
        if i == 50_000 { middle = y }
      }
      #expect(firstNode != nil && middle != nil)
      y.sum().backward()
      #expect(values(x.grad) == [1])
      #expect(Swift.abs(values(y)[0] - 2) < 1e-9)
    }
    #expect(firstNode == nil, "the graph was released")
    #expect(middle == nil)

    // Released without ever running backward, too.
    do {
      var y = x * 1
      firstNode = y.gradFn
      for _ in 0..<100_000 { y = y * 1.0 }
    }
    #expect(firstNode == nil)
  }
}

/// A flag set from another thread.
final class CrossThreadFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Bool?
  func set(_ v: Bool) { lock.withLock { stored = v } }
  var isDone: Bool { lock.withLock { stored != nil } }
  var value: Bool? { lock.withLock { stored } }
}

@Suite("Autograd preconditions (PyTorch's messages)")
struct AutogradPreconditionTests {
  @Test func backwardThroughFreedGraph() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([1.0, 2], requiresGrad: true)
      let y = (x * x).sum()
      y.backward()
      y.backward()
    }
    expectStopMessage(result, "Trying to backward through the graph a second time")
  }

  @Test func backwardThroughFreedSubgraph() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([1.0, 2], requiresGrad: true)
      let h = x * x
      h.sum().backward()
      (h * 2).sum().backward()
    }
    expectStopMessage(result, "Trying to backward through the graph a second time")
  }

  @Test func inPlaceOnLeafRequiringGrad() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([1.0, 2], requiresGrad: true)
      x.addInPlace(Tensor([1.0, 1.0]))
    }
    expectStopMessage(result, "a leaf Variable that requires grad is being used in an in-place operation.")
  }

  @Test func nonScalarBackwardWithoutGradient() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([1.0, 2], requiresGrad: true)
      (x * 2).backward()
    }
    expectStopMessage(result, "grad can be implicitly created only for scalar outputs")
  }

  @Test func backwardWithoutGrad() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor([1.0, 2]).sum().backward()
    }
    expectStopMessage(result, "element 0 of tensors does not require grad and does not have a grad_fn")
  }

  @Test func gradientShapeMismatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([1.0, 2], requiresGrad: true)
      (x * 2).backward(gradient: Tensor([1.0, 2, 3]))
    }
    expectStopMessage(
      result, "Mismatch in shape: grad_output[0] has a shape of [3] and output[0] has a shape of [2].")
  }

  @Test func integerRequiresGrad() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([1, 2]).requiresGrad(true)
    }
    expectStopMessage(result, "only Tensors of floating point dtype can require gradients")
  }

  @Test func nonLeafRequiresGradFalse() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let y = Tensor([1.0], requiresGrad: true) * 2
      y.requiresGrad = false
    }
    expectStopMessage(result, "you can only change requires_grad flags of leaf variables.")
  }

  @Test func retainGradWithoutGrad() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor([1.0]).retainGrad()
    }
    expectStopMessage(result, "can't retain_grad on Tensor that has requires_grad=False")
  }

  @Test func unusedInputInAutogradGrad() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([1.0], requiresGrad: true)
      let w = Tensor([1.0], requiresGrad: true)
      _ = Autograd.grad((x * 2).sum(), inputs: [w])
    }
    expectStopMessage(result, "appears to not have been used in the graph. Set allow_unused=True")
  }

  @Test func gradcheckOnExpandedInput() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([1.0, 2], dtype: .float64).expand([3, 2]).requiresGrad(true)
      _ = try? gradcheck({ $0[0] * 2 }, inputs: [x])
    }
    expectStopMessage(
      result, "has a dimension with stride 0. gradcheck only supports inputs that are non-overlapping")
  }
}

@Suite("gradcheck itself")
struct GradcheckSelfTests {
  /// A deliberately wrong backward rule (missing a factor of 2).
  func wrongSquare(_ t: [Tensor]) -> Tensor {
    Autograd.function("WrongSquareBackward", inputs: t) {
      $0[0] * $0[0]
    } backward: { g, x, _ in
      [g * x[0]]
    }
  }

  @Test("a wrong backward rule is reported, by throwing or by returning false")
  func catchesWrongGradient() throws {
    let x = Tensor([0.5, -1.25, 2], dtype: .float64, requiresGrad: true)
    let error = #expect(throws: GradcheckError.self) { try gradcheck(wrongSquare, inputs: [x]) }
    #expect(error?.message.contains("Jacobian mismatch for output 0 with respect to input 0") == true)
    #expect(try gradcheck(wrongSquare, inputs: [x], raiseException: false) == false)
  }

  @Test("a backward rule that is only slightly off is caught at the default tolerances")
  func catchesSmallError() throws {
    let x = Tensor([0.5, -1.25, 2], dtype: .float64, requiresGrad: true)
    let slightlyOff: ([Tensor]) -> Tensor = { t in
      Autograd.function("OffBackward", inputs: t) {
        $0[0].exp()
      } backward: { g, _, y in
        [g * y * 1.01]
      }
    }
    #expect(try gradcheck(slightlyOff, inputs: [x], raiseException: false) == false)
    #expect(try gradcheck(slightlyOff, inputs: [x], rtol: 0.02))
  }

  @Test("inputs that don't require grad are not checked; several outputs are")
  func selection() throws {
    let x = Tensor([0.5, 1.5], dtype: .float64, requiresGrad: true)
    let c = Tensor([2.0, 3.0], dtype: .float64)
    let outputs: ([Tensor]) -> [Tensor] = { t in [t[0] * t[1], (t[0] * t[0]).sum(), Tensor([1, 2])] }
    #expect(try gradcheck(outputs, inputs: [x, c]))
    #expect(throws: GradcheckError.self) {
      try gradcheck({ t in [t[0] * 2, self.wrongSquare([t[0]])] }, inputs: [x])
    }
  }

  @Test("non-contiguous inputs are perturbed element by element")
  func nonContiguous() throws {
    let base = Tensor((0..<12).map { Double($0) / 7 }, shape: [3, 4], dtype: .float64)
    let x = base.t().requiresGrad(true)
    #expect(!x.isContiguous && x.isLeaf)
    #expect(
      try gradcheck({ t in (t[0] * t[0]).sum(dim: 0) * Tensor([1.0, 2, 3], dtype: .float64) }, inputs: [x]))
    #expect(values(base) == (0..<12).map { Double($0) / 7 }, "inputs restored after perturbation")
  }
}

/// A leaf's first gradient may be the engine's own temporary (PyTorch's AccumulateGrad
/// steals it), but never a tensor that something else still refers to.
@Suite("Leaf gradients don't alias")
struct LeafGradientAliasingTests {
  @Test("two leaves fed the same gradient get separate .grad tensors")
  func sharedIncomingGradient() {
    let a = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
    let b = Tensor([4.0, 5.0, 6.0], requiresGrad: true)
    (a + b).sum().backward()
    a.grad!.mulInPlace(10)
    #expect(b.grad!.asArray(Float.self) == [1, 1, 1])
    #expect(a.grad!.asArray(Float.self) == [10, 10, 10])
  }

  @Test("a leaf's .grad is not the gradient passed to backward")
  func userGradient() {
    let x = Tensor([1.0, 2.0], requiresGrad: true)
    let g = Tensor([0.5, -1.0])
    x.backward(gradient: g)
    g.mulInPlace(4)
    #expect(x.grad!.asArray(Float.self) == [0.5, -1.0])
  }

  @Test("a gradient that is a view of another gradient is copied")
  func viewOfAnotherGradient() {
    let w = Tensor([1.0, 2.0, 3.0, 4.0], shape: [2, 2], requiresGrad: true)
    let y = w.t() * Tensor([1.0, 10.0], shape: [1, 2])
    y.sum().backward()
    #expect(w.grad!.isContiguous)
    #expect(w.grad!.asArray(Float.self) == [1, 1, 10, 10])
  }

  @Test("Linear's weight gradient arrives contiguous, as computed by PyTorch's layout rule")
  func linearWeightGradient() {
    let w = Tensor.randn([3, 4], generator: Generator(seed: 1)).requiresGrad(true)
    let bias = Tensor.randn([3], generator: Generator(seed: 2)).requiresGrad(true)
    let x = Tensor.randn([5, 4], generator: Generator(seed: 3))
    let y = Tensor.linear(x, weight: w, bias: bias)
    #expect(y.gradFn?.name == "AddmmBackward0")
    y.sum().backward()
    #expect(w.grad!.isContiguous)
    // dL/dW = 1ᵀ x for every row of W.
    let expected = x.sum(dim: 0).asArray(Float.self)
    for r in 0..<3 {
      let row = w.grad!.select(dim: 0, index: r).asArray(Float.self)
      #expect(zip(row, expected).allSatisfy { Swift.abs($0 - $1) <= 1e-5 })
    }
    #expect(bias.grad!.asArray(Float.self) == [5, 5, 5])
  }
}
