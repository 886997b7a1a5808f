import Testing

@testable import Descent

@Suite("linalg.qr against PyTorch")
struct LinalgTests {
  static let cases = Fixtures.load("linalg")

  /// Q and R themselves (LAPACK's sign convention, as PyTorch), then Q·R = A and QᵀQ = I.
  @Test(arguments: runs(cases))
  func qr(_ c: OpCase, _ dtype: DType) {
    check(c, dtype)
    let a = c.inputs[0].build(dtype).tensor
    let (q, r) = Linalg.qr(a)
    let (rtol, atol) = Tolerance.bounds("qr", dtype)
    #expect(q.matmul(r).allClose(a, rtol: rtol, atol: atol), "Q·R = A")
    let k = q.shape[1]
    #expect(q.t().matmul(q).allClose(Tensor.eye(k, dtype: dtype), rtol: rtol, atol: atol), "QᵀQ = I")
    let rv = r.asArray(Double.self)
    for i in 0..<r.shape[0] {
      for j in 0..<Swift.min(i, r.shape[1]) { #expect(rv[i * r.shape[1] + j] == 0, "R is upper triangular") }
    }
  }
}
