import Testing

@testable import Descent

/// Views against PyTorch: values, and also strides, storage offset and whether the result
/// shares the input's storage (reshape copies exactly when PyTorch does).
@Suite("Views against PyTorch")
struct ViewTests {
  static let cases = Fixtures.load("views")

  @Test(arguments: runs(cases))
  func view(_ c: OpCase, _ dtype: DType) { check(c, dtype) }

  @Test func viewsWriteThrough() {
    let x = Tensor.zeros([3, 4])
    x.t().slice(dim: 0, start: 1, end: 3).fill(5)
    #expect(x.asArray(Float.self) == [0, 5, 5, 0, 0, 5, 5, 0, 0, 5, 5, 0])
  }

  @Test func emptyTensorsAreContiguous() {
    let x = Tensor.zeros([3, 4]).slice(dim: 1, start: 2, end: 2)
    #expect(x.count == 0)
    #expect(x.isContiguous)
  }
}
