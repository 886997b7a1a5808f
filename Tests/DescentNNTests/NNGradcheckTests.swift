import Descent
import DescentNN
import DescentTestSupport
import Testing

/// A float64 leaf with deterministic values in `[low, high)`.
func nnLeaf(_ shape: [Int], seed: UInt64, low: Double = -1.5, high: Double = 1.5, transposed: Bool = false)
  -> Tensor
{
  var storage = shape
  if transposed { storage.swapAt(shape.count - 1, shape.count - 2) }
  var t = Tensor.uniform(storage, low: low, high: high, dtype: .float64, generator: Generator(seed: seed))
  if transposed { t = t.transpose(-1, -2) }
  return t.requiresGrad(true)
}

private let probs: @Sendable () -> Tensor = { nnLeaf([4, 3], seed: 2, low: 0.05, high: 0.95) }
private let classes = Tensor([2, 0, 1, 2])
private let ignoring = Tensor([2, -100, 1, 0])

let nnGradcheckCases: [GradcheckCase] = {
  var cases: [GradcheckCase] = []
  func add(
    _ name: String, _ inputs: @escaping @Sendable () -> [Tensor],
    _ f: @escaping @Sendable ([Tensor]) -> Tensor
  ) {
    cases.append(GradcheckCase(name, inputs, f))
  }
  for r in Reduction.allCases {
    let xy: @Sendable () -> [Tensor] = {
      [nnLeaf([4, 3], seed: 1, transposed: true), nnLeaf([4, 3], seed: 9)]
    }
    add("mse \(r)", xy) { mseLoss($0[0], $0[1], reduction: r) }
    add("l1 \(r)", xy) { l1Loss($0[0], $0[1], reduction: r) }
    add("huber \(r)", xy) { huberLoss($0[0], $0[1], reduction: r, delta: 0.7) }
    add("smooth l1 \(r)", xy) { smoothL1Loss($0[0], $0[1], reduction: r, beta: 0.6) }
    add("bce \(r) (input and target)", { [probs(), nnLeaf([4, 3], seed: 3, low: 0, high: 1)] }) {
      binaryCrossEntropy($0[0], $0[1], weight: Tensor([0.5, 1, 2], dtype: .float64), reduction: r)
    }
    add(
      "bce with logits \(r) (input and target)",
      { [nnLeaf([4, 3], seed: 4, low: -4, high: 4), nnLeaf([4, 3], seed: 5, low: 0, high: 1)] }
    ) {
      binaryCrossEntropyWithLogits(
        $0[0], $0[1], weight: Tensor([1.5, 1, 0.5], dtype: .float64),
        posWeight: Tensor([2, 0.5, 1], dtype: .float64),
        reduction: r)
    }
    add("cross entropy \(r) weight ignore smoothing", { [nnLeaf([4, 3], seed: 6, transposed: true)] }) {
      crossEntropy(
        $0[0], ignoring, weight: Tensor([0.2, 1, 2.5], dtype: .float64), reduction: r, labelSmoothing: 0.2)
    }
    add(
      "cross entropy \(r) probabilities",
      { [nnLeaf([4, 3], seed: 7), nnLeaf([4, 3], seed: 8, low: 0, high: 1)] }
    ) {
      crossEntropy(
        $0[0], $0[1], weight: Tensor([0.2, 1, 2.5], dtype: .float64), reduction: r, labelSmoothing: 0.1)
    }
    add("cross entropy \(r) K-dim", { [nnLeaf([2, 3, 2], seed: 10)] }) {
      crossEntropy($0[0], Tensor([0, 2, -100, 1], shape: [2, 2]), reduction: r)
    }
    add("nll \(r)", { [nnLeaf([4, 3], seed: 11)] }) {
      nllLoss($0[0].logSoftmax(dim: 1), classes, weight: Tensor([1, 2, 3], dtype: .float64), reduction: r)
    }
  }
  add("Linear", { [nnLeaf([5, 4], seed: 20, transposed: true)] }) { t in
    let layer = Linear(4, 3, dtype: .float64, generator: Generator(seed: 1))
    return layer(t[0])
  }
  add("LayerNorm", { [nnLeaf([3, 2, 4], seed: 21), nnLeaf([2, 4], seed: 22), nnLeaf([2, 4], seed: 23)] }) {
    layerNorm($0[0], normalizedShape: [2, 4], weight: $0[1], bias: $0[2])
  }
  add("BatchNorm1d training [N, C]", { [nnLeaf([5, 3], seed: 24, transposed: true)] }) { t in
    let bn = BatchNorm1d(3, dtype: .float64)
    withNoGrad {
      bn.weight!.copyInPlace(from: Tensor([0.5, 1.5, -1], dtype: .float64))
      bn.bias!.copyInPlace(from: Tensor([0.1, 0.2, 0.3], dtype: .float64))
    }
    return bn(t[0])
  }
  add("BatchNorm1d training [N, C, L]", { [nnLeaf([3, 2, 4], seed: 25)] }) {
    BatchNorm1d(2, dtype: .float64)($0[0])
  }
  add("BatchNorm1d evaluation", { [nnLeaf([3, 2], seed: 26)] }) { t in
    let bn = BatchNorm1d(2, dtype: .float64)
    withNoGrad {
      bn.runningMean!.copyInPlace(from: Tensor([0.3, -0.2], dtype: .float64))
      bn.runningVar!.copyInPlace(from: Tensor([1.7, 0.4], dtype: .float64))
    }
    return bn.eval()(t[0])
  }
  add("GELU tanh", { [nnLeaf([3, 4], seed: 27)] }) { GELU(approximate: .tanh)($0[0]) }
  add("Flatten", { [nnLeaf([2, 3, 2], seed: 28, transposed: true)] }) { Flatten()($0[0]) * 2 }
  add("Dropout training (fixed mask)", { [nnLeaf([4, 5], seed: 29)] }) { t in
    dropout(t[0], p: 0.4, generator: Generator(seed: 5))
  }
  return cases
}()

@Suite("gradcheck over every loss and layer")
struct NNGradcheckTests {
  @Test("backward agrees with central differences", arguments: nnGradcheckCases)
  func check(_ c: GradcheckCase) throws {
    #expect(try gradcheck(c.function, inputs: c.inputs()))
  }
}
