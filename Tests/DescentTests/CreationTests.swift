import Testing

@testable import Descent

@Suite("Creation against PyTorch")
struct CreationTests {
  static let cases = Fixtures.load("creation")

  @Test(arguments: runs(cases))
  func creation(_ c: OpCase, _ dtype: DType) { check(c, dtype) }

  @Test func integerArangeIsInt64() {
    let t = Tensor.arange(4)
    #expect(t.dtype == .int64)
    #expect(t.asArray(Int.self) == [0, 1, 2, 3])
  }

  @Test func literalsFollowTorchTensor() {
    #expect(Tensor([1, 2, 3]).dtype == .int64)
    #expect(Tensor([1.0, 2.0]).dtype == .float32)
    #expect(Tensor([true, false]).dtype == .bool)
    #expect(Tensor(scalar: 2.5).shape == [])
  }
}
