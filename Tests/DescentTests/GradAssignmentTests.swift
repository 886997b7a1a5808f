import DescentTestSupport
import Testing

@testable import Descent

/// `t.grad = g` checks g as PyTorch's `THPVariable_set_grad` does, with its messages.
@Suite("Assigning .grad")
struct GradAssignmentTests {
  @Test(
    "every dtype pair and size: accepted or refused with PyTorch's message",
    arguments: AutogradFixture.shared.grad_assignment.cases)
  func againstPyTorch(_ c: AutogradFixture.GradAssignment) {
    let t = Tensor.zeros(c.shape, dtype: DType(rawValue: c.dtype)!)
    let g = Tensor.zeros(c.grad_shape, dtype: DType(rawValue: c.grad_dtype)!)
    #expect(t.gradAssignmentError(g) == c.message)
    if c.message == nil {
      t.grad = g
      #expect(t.grad === g)
    }
  }

  @Test("a tensor can't be its own gradient")
  func ownGrad() {
    let t = Tensor.zeros([2], requiresGrad: true)
    #expect(t.gradAssignmentError(t) == AutogradFixture.shared.grad_assignment.own_grad_message)
    // A view of the same storage is another tensor, and allowed, as in PyTorch.
    #expect(t.gradAssignmentError(t.detach()) == nil)
  }

  @Test("a non-contiguous gradient of the right shape is kept as given")
  func nonContiguous() {
    let p = Tensor.zeros([2, 3], requiresGrad: true)
    let g = Tensor.zeros([3, 2]).t()
    p.grad = g
    #expect(p.grad === g)
    p.grad = nil
    #expect(p.grad == nil)
  }

  private static func message(_ dtype: String, _ gradDtype: String, _ gradShape: [Int]) -> String {
    AutogradFixture.shared.grad_assignment.cases.first {
      $0.dtype == dtype && $0.grad_dtype == gradDtype && $0.grad_shape == gradShape
    }!.message!
  }

  @Test("assigning a gradient of another size stops")
  func wrongSizeStops() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let p = Tensor.zeros([2, 3], requiresGrad: true)
      p.grad = Tensor.zeros([6])
    }
    expectStopMessage(r, Self.message("float32", "float32", [6]))
  }

  @Test("assigning a gradient of another dtype stops")
  func wrongDTypeStops() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let p = Tensor.zeros([2, 3], dtype: .float64, requiresGrad: true)
      p.grad = Tensor.zeros([2, 3], dtype: .float32)
    }
    expectStopMessage(r, Self.message("float64", "float32", [2, 3]))
  }

  @Test("assigning a tensor as its own gradient stops")
  func ownGradStops() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let p = Tensor.zeros([2], requiresGrad: true)
      p.grad = p
    }
    expectStopMessage(r, AutogradFixture.shared.grad_assignment.own_grad_message)
  }
}
