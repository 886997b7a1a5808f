import Foundation
import Testing

@testable import Descent

@Suite("index_select autograd")
struct IndexSelectAutogradTests {
  @Test(
    "node, values and gradient match PyTorch, empty index included",
    arguments: AutogradFixture.shared.index_select)
  func againstPyTorch(_ c: AutogradFixture.IndexSelectCase) {
    let x = Tensor(c.input.data.map(\.double), shape: c.input.shape, dtype: .float64, requiresGrad: true)
    let indices = c.index_shape.isEmpty ? [c.index.int] : c.index.ints
    let y = x.indexSelect(dim: c.dim, index: Tensor(indices, shape: c.index_shape))
    #expect(y.gradFn?.name == c.grad_fn)
    expectMatches(y, c.output, tolerance: "exact", label: "\(c.name): output")
    guard y.requiresGrad else {
      Issue.record("\(c.name): the result is cut off from the graph")
      return
    }
    let weights = Tensor.arange(0, Double(y.count), dtype: .float64).reshape(y.shape) + 1
    (y * weights).sum().backward()
    guard let grad = x.grad else {
      Issue.record("\(c.name): the input got no gradient")
      return
    }
    expectMatches(grad, c.grad, tolerance: "exact", label: "\(c.name): gradient")
  }
}
