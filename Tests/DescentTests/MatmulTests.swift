import Testing

@testable import Descent

/// `matmul` for every operand-rank combination, broadcast batches, transposed / sliced /
/// expanded operands and empty operands, plus `dot`, `mv` and `outer`, against PyTorch.
@Suite("Matmul against PyTorch")
struct MatmulTests {
  static let cases = Fixtures.load("matmul")

  @Test(arguments: runs(cases))
  func matmul(_ c: OpCase, _ dtype: DType) { check(c, dtype) }

  @Test func transposedOperandsAreNotCopied() {
    // The result must not depend on whether BLAS gets a flag or a copy; this checks the
    // flag path gives the same numbers as an explicit contiguous copy.
    let a = Tensor.randn([5, 7], dtype: .float64, generator: Generator(seed: 1))
    let b = Tensor.randn([5, 6], dtype: .float64, generator: Generator(seed: 2))
    let viaFlags = a.t().matmul(b)
    let viaCopy = a.t().contiguous().matmul(b)
    #expect(viaFlags.asArray(Double.self) == viaCopy.asArray(Double.self))
  }
}
