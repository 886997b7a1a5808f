import Testing

@testable import Descent

/// Binary ops over every broadcasting/layout pair, tensor-scalar forms, unary functions
/// on special values (±0, NaN, ±inf), comparisons and `where`, against PyTorch.
@Suite("Elementwise against PyTorch")
struct ElementwiseTests {
  static let cases = Fixtures.load("elementwise")

  @Test(arguments: runs(cases))
  func elementwise(_ c: OpCase, _ dtype: DType) { check(c, dtype) }
}

/// Type promotion of mixed dtypes, 0-d tensors and Swift scalars (PyTorch's result_type).
@Suite("Type promotion against PyTorch")
struct PromotionTests {
  static let cases = Fixtures.load("promotion")

  @Test(arguments: cases)
  func promotion(_ c: OpCase) { check(c, .float32) }
}

/// In-place updates used by optimizers, against PyTorch's rounding.
@Suite("In-place ops against PyTorch")
struct InPlaceTests {
  static let cases = Fixtures.load("inplace")

  @Test(arguments: runs(cases))
  func inPlace(_ c: OpCase, _ dtype: DType) { check(c, dtype) }

  @Test func inPlaceKeepsIdentityAndStorage() {
    let x = Tensor([1.0, 2.0, 3.0])
    let storage = x.storage
    x += 1
    x.mulInPlace(Tensor([2.0, 2.0, 2.0]))
    #expect(x.storage === storage)
    #expect(x.asArray(Float.self) == [4, 6, 8])
  }
}
