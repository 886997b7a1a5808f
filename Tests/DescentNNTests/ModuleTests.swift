import Descent
import DescentNN
import DescentTestSupport
import Testing

/// A user-defined model, written as the Module documentation suggests.
final class TwoTower: Module {
  let encoder = Sequential(Linear(4, 3), ReLU())
  let head = Linear(3, 2)
  let norm = BatchNorm1d(3)
  let scale = Tensor.ones([2])

  override init() {
    super.init()
    registerModule("encoder", encoder)
    registerModule("norm", norm)
    registerModule("head", head)
    registerParameter("scale", scale)
  }

  override func forward(_ x: Tensor) -> Tensor { head(norm(encoder(x))) * scale }
}

@Suite("Module")
struct ModuleTests {
  @Test("parameters come in registration order with dotted names")
  func namedParameters() {
    let model = TwoTower()
    #expect(
      model.namedParameters().map(\.name) == [
        "scale", "encoder.0.weight", "encoder.0.bias", "norm.weight", "norm.bias", "head.weight", "head.bias",
      ])
    #expect(model.parameters().count == 7)
    #expect(model.parameters()[0] === model.scale)
    #expect(model.parameters(recurse: false).count == 1)
    #expect(model.namedParameters(prefix: "model").first?.name == "model.scale")
    #expect(model.parameters().allSatisfy { $0.requiresGrad && $0.isLeaf })
  }

  @Test("buffers, children, modules and the state dict")
  func traversal() {
    let model = TwoTower()
    #expect(
      model.namedBuffers().map(\.name) == [
        "norm.running_mean", "norm.running_var", "norm.num_batches_tracked",
      ])
    #expect(model.namedChildren.map(\.name) == ["encoder", "norm", "head"])
    #expect(model.children.count == 3)
    #expect(model.namedModules().map(\.name) == ["", "encoder", "encoder.0", "encoder.1", "norm", "head"])
    #expect(model.modules().count == 6)
    #expect(
      Array(model.stateDict().keys) == [
        "scale", "encoder.0.weight", "encoder.0.bias", "norm.weight", "norm.bias", "norm.running_mean",
        "norm.running_var", "norm.num_batches_tracked", "head.weight", "head.bias",
      ])
    // State-dict tensors alias the live ones.
    let weight = model.stateDict()["head.weight"]!
    withNoGrad { model.head.weight.fill(3) }
    #expect(weight.asArray(Double.self).allSatisfy { $0 == 3 })
  }

  @Test("a shared module or parameter is listed once")
  func sharing() {
    let shared = Linear(2, 2)
    let model = Sequential(shared, ReLU(), shared)
    #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias"])
    #expect(model.modules().count == 3)
    #expect(model.children.count == 2)
  }

  @Test("train() and eval() reach every descendant")
  func modes() {
    let model = TwoTower()
    #expect(model.modules().allSatisfy { $0.isTraining })
    model.eval()
    #expect(model.modules().allSatisfy { !$0.isTraining })
    model.train()
    #expect(model.modules().allSatisfy { $0.isTraining })
    model.train(false)
    #expect(!model.norm.isTraining)
  }

  @Test("zeroGrad sets gradients to nil by default, or to zeros")
  func zeroGrad() {
    let model = Sequential(Linear(3, 2), Tanh(), Linear(2, 1))
    let x = Tensor.randn([5, 3])
    model(x).sum().backward()
    #expect(model.parameters().allSatisfy { $0.grad != nil })
    model.zeroGrad(setToNone: false)
    #expect(model.parameters().allSatisfy { $0.grad!.asArray(Double.self).allSatisfy { $0 == 0 } })
    model(x).sum().backward()
    model.zeroGrad()
    #expect(model.parameters().allSatisfy { $0.grad == nil })
  }

  @Test("gradients accumulate across backward passes until zeroed")
  func accumulation() {
    let model = Linear(3, 1, dtype: .float64)
    let x = Tensor([1.0, 2, 3], shape: [1, 3], dtype: .float64)
    model(x).sum().backward()
    model(x).sum().backward()
    #expect(model.weight.grad!.asArray(Double.self) == [2, 4, 6])
    #expect(model.bias!.grad!.asArray(Double.self) == [2])
  }

  @Test("apply visits children before parents")
  func applyOrder() {
    let model = Sequential(Sequential(ReLU(), Tanh()), Sigmoid())
    var visited: [String] = []
    model.apply { visited.append(String(describing: type(of: $0))) }
    #expect(visited == ["ReLU", "Tanh", "Sequential", "Sigmoid", "Sequential"])
  }

  @Test("Sequential indexing, append and named form")
  func sequential() {
    let model = Sequential(Linear(2, 3), ReLU())
    model.append(Linear(3, 1))
    #expect(model.count == 3)
    #expect(model[-1] is Linear)
    #expect(model[1] is ReLU)
    #expect(model(Tensor.zeros([4, 2])).shape == [4, 1])
    let named = Sequential(named: [("fc", Linear(2, 2)), ("act", ReLU())])
    #expect(named.namedParameters().map(\.name) == ["fc.weight", "fc.bias"])
  }

  @Test("Linear handles batch dims, no bias and float64")
  func linear() {
    let layer = Linear(inFeatures: 4, outFeatures: 3, bias: false, dtype: .float64)
    #expect(layer.bias == nil)
    #expect(layer.namedParameters().map(\.name) == ["weight"])
    let y = layer(Tensor.randn([2, 5, 4], dtype: .float64))
    #expect(y.shape == [2, 5, 3] && y.dtype == .float64)
    #expect(layer(Tensor.randn([4], dtype: .float64)).shape == [3])
  }

  @Test("Embedding looks up rows from int64 tensors and [Int]")
  func embedding() {
    let table = Embedding(4, 2, paddingIdx: -1, dtype: .float64)
    #expect(table.paddingIdx == 3)
    #expect(table.weight[3].asArray(Double.self) == [0, 0])
    let rows = table([2, 3, 2])
    #expect(rows.shape == [3, 2])
    #expect(rows[0].asArray(Double.self) == table.weight[2].asArray(Double.self))
    rows.sum().backward()
    #expect(table.weight.grad!.asArray(Double.self) == [0, 0, 0, 0, 2, 2, 0, 0])
  }

  @Test("Dropout: seeded mask in training, identity in evaluation", arguments: [0.0, 0.25, 0.5, 1.0])
  func dropout(_ p: Double) throws {
    let x = Tensor.ones([200, 100], dtype: .float64, requiresGrad: true)
    let layer = try Dropout(p: p, generator: Generator(seed: 9))
    let y = layer(x)
    let v = y.asArray(Double.self)
    let zeros = Double(v.filter { $0 == 0 }.count) / Double(v.count)
    #expect(Swift.abs(zeros - p) < 0.02, "zeroed fraction \(zeros)")
    if p < 1 { #expect(v.allSatisfy { $0 == 0 || $0 == 1 / (1 - p) }) }
    y.sum().backward()
    #expect(x.grad!.asArray(Double.self) == v)
    let again = try Dropout(p: p, generator: Generator(seed: 9))(x)
    #expect(again.asArray(Double.self) == v)
    layer.eval()
    #expect(layer(x) === x)
  }

  @Test("invalid hyperparameters throw NNError naming the value")
  func invalidHyperparameters() {
    expectNNError("dropout probability has to be between 0 and 1, but got 1.5") { _ = try Dropout(p: 1.5) }
    expectNNError("label_smoothing must be between 0.0 and 1.0. Got: -0.1") {
      _ = try CrossEntropyLoss(labelSmoothing: -0.1)
    }
    expectNNError("huber_loss does not support non-positive values for delta, got 0.0") {
      _ = try HuberLoss(delta: 0)
    }
    expectNNError("smooth_l1_loss does not support negative values for beta, got -1.0") {
      _ = try SmoothL1Loss(beta: -1)
    }
  }

  @Test("loss modules take [Int] class targets and register weights as buffers")
  func lossModules() {
    let logits = Tensor([1.0, 2, 0.5, -1, 0, 3], shape: [2, 3], dtype: .float64)
    let weight = Tensor([1.0, 2, 3], dtype: .float64)
    let ce = CrossEntropyLoss(weight: weight)
    #expect(ce.namedBuffers().map(\.name) == ["weight"])
    #expect(ce(logits, [1, 2]).item() == ce(logits, Tensor([1, 2])).item())
    let nll = NLLLoss(reduction: .sum)
    #expect(
      nll(logits.logSoftmax(dim: 1), [0, 0]).item() == crossEntropy(logits, [0, 0], reduction: .sum).item())
    let bce = BCEWithLogitsLoss(posWeight: Tensor([2.0], dtype: .float64))
    #expect(bce.namedBuffers().map(\.name) == ["pos_weight"])
    #expect(Reduction.allCases.map(\.rawValue) == ["none", "mean", "sum"])
  }
}

/// Expects `body` to throw an ``NNError`` with exactly `message`.
func expectNNError(
  _ message: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
  let error = #expect(throws: NNError.self, sourceLocation: sourceLocation) { try body() }
  #expect(error?.message == message, sourceLocation: sourceLocation)
}

@Suite("nn preconditions")
struct NNPreconditionTests {
  @Test func dottedParameterName() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let m = Module()
      m.registerParameter("a.b", Tensor.zeros([1]))
    }
    expectStopMessage(result, "parameter name can't contain \".\"")
  }

  @Test func duplicateName() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let m = Module()
      m.registerParameter("w", Tensor.zeros([1]))
      m.registerBuffer("w", Tensor.zeros([1]))
    }
    expectStopMessage(result, "attribute 'w' already exists")
  }

  @Test func nonLeafParameter() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let w = Tensor.zeros([2], requiresGrad: true) * 2
      Module().registerParameter("w", w)
    }
    expectStopMessage(result, "Cannot assign non-leaf Tensor to parameter 'w'")
  }

  @Test func missingForward() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Module()(Tensor.zeros([1]))
    }
    expectStopMessage(result, "is missing the required \"forward\" function")
  }

  @Test func linearShapeMismatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Linear(3, 2)(Tensor.zeros([4, 5]))
    }
    expectStopMessage(result, "Linear: mat1 and mat2 shapes cannot be multiplied")
  }

  @Test func batchNormSingleValuePerChannel() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = BatchNorm1d(3)(Tensor.zeros([1, 3]))
    }
    expectStopMessage(result, "Expected more than 1 value per channel when training, got input size [1, 3]")
  }

  @Test func crossEntropyTargetOutOfBounds() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = crossEntropy(Tensor.zeros([2, 3]), [0, 3])
    }
    expectStopMessage(result, "Target 3 is out of bounds.")
  }

  @Test func crossEntropyFloatIndexTarget() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = crossEntropy(Tensor.zeros([2, 3]), Tensor([0.0, 1.0]))
    }
    expectStopMessage(result, "expected scalar type Long")
  }

  @Test func bceInputOutsideUnitInterval() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = binaryCrossEntropy(Tensor([1.5, 0.5]), Tensor([1.0, 0.0]))
    }
    expectStopMessage(result, "all elements of input should be between 0 and 1")
  }

  @Test func mseShapeMismatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = mseLoss(Tensor.zeros([3, 1]), Tensor.zeros([3]))
    }
    expectStopMessage(result, "Using a target size ([3]) that is different to the input size ([3, 1])")
  }

  @Test func embeddingIndexOutOfRange() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Embedding(3, 2)([3])
    }
    expectStopMessage(result, "index 3 is out of range for a weight with 3 rows")
  }
}
