import Testing

@testable import Descent

/// Graph nodes carry PyTorch's names, so a printed tensor (`grad_fn=<...>`) and
/// `gradFn.name` read as they do in PyTorch.
@Suite("gradFn names")
struct GradFnNameTests {
  @Test("each output's gradFn is named as PyTorch's", arguments: AutogradFixture.shared.grad_fn_names)
  func againstPyTorch(_ c: AutogradFixture.NameCase) {
    let inputs = c.inputs.map { $0.build(.float32, requiresGrad: true).tensor }
    let outputs = runOp(c.op, inputs, c.args, dtype: .float32)
    #expect(outputs.map { $0.gradFn?.name } == c.grad_fn)
  }

  // std has its own node (StdBackward0) rather than sqrt of var, and with it PyTorch's
  // gradient at a zero deviation: zero, where differentiating sqrt would give NaN.
  @Test("std's gradient is zero where the deviation is zero, as PyTorch's")
  func stdOfConstantRow() {
    let c = AutogradFixture.shared.std_constant
    let x = Tensor(c.input.data.map(\.double), shape: c.input.shape, dtype: .float64, requiresGrad: true)
    let y = x.std(dims: [1])
    #expect(y.gradFn?.name == "StdBackward0")
    expectMatches(y, c.output, tolerance: "accum", label: "std")
    (y * Tensor(c.weights, dtype: .float64)).sum().backward()
    guard let grad = x.grad else {
      Issue.record("no gradient")
      return
    }
    expectMatches(grad, c.grad, tolerance: "accum", label: "std gradient")
  }

  /// ReLU's backward is one pass of `threshold_backward(grad, result, 0)` and leaky ReLU's one
  /// of `leaky_relu_backward`: the same gradients as PyTorch's on NaN, ±0 and ±inf, where a
  /// multiplication by a 0/1 mask would differ (NaN · 0, inf · 0).
  @Test("relu and leaky_relu gradients on NaN, ±0 and ±inf are PyTorch's")
  func activationBackwardSpecialValues() {
    let c = AutogradFixture.shared.activation_backward
    let upstream = Tensor(c.upstream.data.map(\.double), shape: c.upstream.shape, dtype: .float64)
    func leaf() -> Tensor {
      Tensor(c.input.data.map(\.double), shape: c.input.shape, dtype: .float64, requiresGrad: true)
    }
    let x = leaf()
    x.relu().backward(gradient: upstream)
    expectMatches(x.grad!, c.relu_grad, tolerance: "exact", label: "relu gradient")
    let y = leaf()
    y.leakyRelu(negativeSlope: 0.2).backward(gradient: upstream)
    expectMatches(y.grad!, c.leaky_relu_grad, tolerance: "exact", label: "leaky_relu gradient")
  }
}
