import DescentTestSupport
import Testing

@testable import Descent

/// `copyInPlace(from:)` records PyTorch's `CopyBackwards` when the source requires grad.
@Suite("copy_ autograd")
struct CopyAutogradTests {
  @Test("node, flags and the source's gradient match PyTorch", arguments: AutogradFixture.shared.copy.cases)
  func againstPyTorch(_ c: AutogradFixture.CopyCase) {
    let source = Tensor(
      c.src.data.map(\.double), shape: c.src.shape, dtype: DType(rawValue: c.src.dtype)!,
      requiresGrad: true)
    let destination = Tensor.zeros(c.dst_shape, dtype: DType(rawValue: c.dst_dtype)!)
    let weights = Tensor(c.weights.map(\.double), shape: c.dst_shape, dtype: .float64)
    let leaf = weights.detach().clone().requiresGrad(true)
    let earlier = c.used_before ? (destination + leaf).sum() : nil
    if c.no_grad {
      withNoGrad { destination.copyInPlace(from: source) }
    } else {
      #expect(destination.copyInPlace(from: source) === destination)
    }
    #expect(destination.gradFn?.name == c.grad_fn)
    #expect(destination.requiresGrad == c.requires_grad)
    #expect(destination.isLeaf == c.is_leaf)
    expectMatches(destination, c.dst, tolerance: "exact", label: "\(c.name): copied values")
    if let earlier {
      earlier.backward()
      #expect(leaf.grad != nil)
    } else if destination.requiresGrad {
      (destination * weights.to(dtype: destination.dtype)).sum().backward()
    }
    if let expected = c.src_grad {
      guard let grad = source.grad else {
        Issue.record("\(c.name): the source got no gradient")
        return
      }
      expectMatches(grad, expected, tolerance: "exact", label: "\(c.name): source gradient")
    } else {
      #expect(source.grad == nil, "\(c.name): the source got a gradient PyTorch doesn't give")
    }
  }

  @Test("a leaf that requires grad can't be the destination")
  func leafDestinationStops() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor.zeros([3], requiresGrad: true).copyInPlace(from: Tensor.ones([3]))
    }
    expectStopMessage(r, AutogradFixture.shared.copy.leaf_message)
  }

  @Test("under withNoGrad a leaf that requires grad is copied into without a node")
  func leafUnderNoGrad() {
    let p = Tensor.zeros([2], requiresGrad: true)
    withNoGrad { p.copyInPlace(from: Tensor([1.0, 2], requiresGrad: true)) }
    #expect(p.isLeaf && p.asArray(Float.self) == [1, 2])
  }

  // Departure: PyTorch records a copy into part of a tensor on the view's base
  // (CopySlices); Descent has no link from a view to its base and stops instead.
  @Test("copying a tensor that requires grad into a slice stops")
  func sliceDestinationStops() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor.zeros([2, 3])[1].copyInPlace(from: Tensor.ones([3], requiresGrad: true))
    }
    expectStopMessage(r, "copy_: copying a tensor that requires grad into a view")
  }
}
