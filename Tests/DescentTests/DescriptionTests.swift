import Testing

@testable import Descent

struct ReprCase: Decodable, Sendable, CustomTestStringConvertible {
  let name: String
  let input: TensorSpec
  let dtype: String
  let requiresGrad: Bool
  let repr: String
  var testDescription: String { name }
}

/// `description` against PyTorch's `repr` (default print options): integer, fixed and
/// scientific styles, NaN/inf, line wrapping at 80 columns, summarisation above 1000
/// elements, empty tensors, dtype and requires_grad suffixes.
@Suite("description against PyTorch's repr")
struct DescriptionTests {
  static let cases = Fixtures.load("repr", as: ReprCase.self)

  @Test(arguments: cases)
  func repr(_ c: ReprCase) {
    let dtype = DType(rawValue: c.dtype)!
    let t = c.input.build(dtype).tensor
    if c.requiresGrad { t.requiresGrad = true }
    #expect(t.description == c.repr)
  }
}
