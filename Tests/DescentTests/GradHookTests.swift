import Descent
import DescentTestSupport
import Testing

/// `Tensor.registerPostAccumulateGradHook` (PyTorch's `register_post_accumulate_grad_hook`),
/// which DistributedDataParallel builds on.
@Suite struct GradHookTests {
  @Test func runsAfterAccumulationOncePerBackwardInGraphOrder() {
    let w = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
    let b = Tensor([0.5], dtype: .float64, requiresGrad: true)
    var seen: [(String, [Double])] = []
    let hw = w.registerPostAccumulateGradHook { t in seen.append(("w", t.grad!.asArray(Double.self))) }
    b.registerPostAccumulateGradHook { t in seen.append(("b", t.grad!.asArray(Double.self))) }
    ((w * 3).sum() + b.sum() * 2).backward()
    #expect(seen.map(\.0).sorted() == ["b", "w"])
    #expect(seen.first { $0.0 == "w" }!.1 == [3, 3])
    #expect(seen.first { $0.0 == "b" }!.1 == [2])
    // Accumulated: the hook sees the running sum of both passes.
    seen.removeAll()
    (w * 3).sum().backward()
    #expect(seen.map(\.0) == ["w"])
    #expect(seen[0].1 == [6, 6])
    hw.remove()
    seen.removeAll()
    (w * 3).sum().backward()
    #expect(seen.isEmpty)
  }

  @Test func aHookMayChangeTheGradientInPlace() {
    let w = Tensor([1.0, -1.0], dtype: .float64, requiresGrad: true)
    w.registerPostAccumulateGradHook { t in withNoGrad { _ = t.grad!.mulInPlace(0.5) } }
    (w * 4).sum().backward()
    #expect(w.grad!.asArray(Double.self) == [2, 2])
  }

  @Test func autogradGradRunsNoHook() {
    let w = Tensor([1.0], dtype: .float64, requiresGrad: true)
    var runs = 0
    w.registerPostAccumulateGradHook { _ in runs += 1 }
    _ = Autograd.grad([(w * 2).sum()], inputs: [w])
    #expect(runs == 0)
  }

  @Test func nonLeavesAndTensorsWithoutGradStopWithPyTorchsMessage() async {
    let nonLeaf = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let w = Tensor([1.0], requiresGrad: true)
      (w * 2).registerPostAccumulateGradHook { _ in }
    }
    expectStopMessage(nonLeaf, "post accumulate grad hooks cannot be registered on non-leaf tensors")
    let noGrad = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor([1.0]).registerPostAccumulateGradHook { _ in }
    }
    expectStopMessage(noGrad, "cannot register a hook on a tensor that doesn't require gradient")
  }
}
