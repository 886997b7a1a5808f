import Testing

@testable import Descent

@Suite("Reductions against PyTorch")
struct ReductionTests {
  static let cases = Fixtures.load("reductions")

  @Test(arguments: runs(cases))
  func reduction(_ c: OpCase, _ dtype: DType) { check(c, dtype) }
}
