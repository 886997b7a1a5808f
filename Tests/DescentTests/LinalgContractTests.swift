import DescentTestSupport
import Foundation
import Testing

@testable import Descent

/// The calls of issue 15 exactly as written there, and the details it pins down.
@Suite("Linalg contract")
struct LinalgContractTests {
  /// A symmetric positive-definite, well-conditioned 4 × 4 matrix and a right-hand side.
  static func operands(_ dtype: DType = .float64) -> (Tensor, Tensor) {
    let g = Generator(seed: 15)
    let m = Tensor.randn([4, 4], dtype: dtype, generator: g)
    let a = m.matmul(m.mT) + Tensor.eye(4, dtype: dtype) * 4
    return (a, Tensor.randn([4, 2], dtype: dtype, generator: g))
  }

  /// The issue's block, verbatim (its spacing too: the formatter is told to leave it).
  // swift-format-ignore
  static func contractBlock(_ a: Tensor, _ b: Tensor) throws -> (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, (eigenvalues: Tensor, eigenvectors: Tensor), Tensor, (u: Tensor, s: Tensor, vh: Tensor), Tensor, (solution: Tensor, residuals: Tensor, rank: Tensor, singularValues: Tensor), Tensor, Tensor, Tensor, Tensor, Tensor, (q: Tensor, r: Tensor)) {
    let x = try Linalg.solve(a, b)
    let y = try Linalg.solveTriangular(a, b, upper: true, left: true, unitriangular: false)
    let l = try Linalg.cholesky(a, upper: false)
    let ai = try Linalg.inv(a)
    let d = Linalg.det(a);  let (sign, logabsdet) = Linalg.slogdet(a)
    let eig = try Linalg.eigh(a, uplo: .lower)        // eig.eigenvalues, eig.eigenvectors
    let w = try Linalg.eigvalsh(a)
    let s = try Linalg.svd(a, fullMatrices: false)    // s.u, s.s, s.vh (Swift case; PyTorch: U, S, Vh)
    let sv = try Linalg.svdvals(a)
    let ls = try Linalg.lstsq(a, b)                   // ls.solution (residuals, rank, singularValues where the driver gives them)
    let p = try Linalg.pinv(a)
    let n = Linalg.matrixNorm(a, ord: .fro)           // .fro, .nuc, .one, .minusOne, .two, .minusTwo, .inf, .minusInf
    let v = Linalg.vectorNorm(x, ord: 2)
    let r = try Linalg.matrixRank(a);  let c = try Linalg.cond(a)
    let qr = try Linalg.qr(a, mode: .reduced)         // qr.q, qr.r as today; modes .reduced, .complete, .r
    return (x, y, l, ai, d, sign, logabsdet, eig, w, s, sv, ls, p, n, v, r, c, qr)
  }

  @Test func theBlockCompilesAndRuns() throws {
    let (a, b) = Self.operands()
    let (x, y, l, ai, d, sign, logabsdet, eig, w, s, sv, ls, p, n, v, r, c, qr) = try Self.contractBlock(a, b)

    let eye = Tensor.eye(4, dtype: .float64)
    #expect(a.matmul(x).allClose(b, rtol: 1e-10, atol: 1e-10))
    #expect(a.triu().matmul(y).allClose(b, rtol: 1e-10, atol: 1e-10))
    #expect(l.matmul(l.mT).allClose(a, rtol: 1e-10, atol: 1e-10))
    #expect(a.matmul(ai).allClose(eye, rtol: 1e-10, atol: 1e-10))
    #expect(Swift.abs(d.item() - Foundation.exp(logabsdet.item())) <= 1e-8 * Swift.abs(d.item()))
    #expect(sign.item() == 1)
    #expect(
      eig.eigenvectors.matmul(eig.eigenvalues.diagEmbed()).matmul(eig.eigenvectors.mT).allClose(
        a, rtol: 1e-10, atol: 1e-10))
    #expect(w.allClose(eig.eigenvalues, rtol: 1e-12, atol: 1e-12))
    #expect((s.u * s.s.unsqueeze(-2)).matmul(s.vh).allClose(a, rtol: 1e-10, atol: 1e-10))
    #expect(sv.allClose(s.s, rtol: 1e-12, atol: 1e-12))
    #expect(ls.solution.allClose(x, rtol: 1e-10, atol: 1e-10))
    #expect(p.allClose(ai, rtol: 1e-10, atol: 1e-10))
    #expect(Swift.abs(n.item() - (a * a).sum().sqrt().item()) < 1e-10)
    #expect(Swift.abs(v.item() - (x * x).sum().sqrt().item()) < 1e-10)
    #expect(r.item(Int.self) == 4 && r.dtype == .int64)
    #expect(Swift.abs(c.item() - sv[0].item() / sv[3].item()) < 1e-8)
    #expect(qr.q.matmul(qr.r).allClose(a, rtol: 1e-10, atol: 1e-10))
  }

  /// Every result is a tensor with the batch shape and the input's dtype; `matrixRank` is
  /// int64.
  @Test(arguments: [DType.float32, .float64])
  func resultsHaveTheBatchShapeAndDtype(_ dtype: DType) throws {
    let a =
      Tensor.randn([2, 3, 3, 3], dtype: dtype, generator: Generator(seed: 1)) + Tensor.eye(3, dtype: dtype)
      * 3
    let batch = [2, 3]
    for t in [
      Linalg.det(a), Linalg.slogdet(a).sign, Linalg.slogdet(a).logabsdet, Linalg.matrixNorm(a),
      try Linalg.cond(a),
    ] {
      #expect(t.shape == batch && t.dtype == dtype)
    }
    #expect(Linalg.matrixNorm(a, ord: .nuc).shape == batch)
    #expect(Linalg.vectorNorm(a, ord: 2, dim: [-1]).shape == batch + [3])
    let rank = try Linalg.matrixRank(a)
    #expect(rank.shape == batch && rank.dtype == .int64)
    #expect(Linalg.det(a[0][0]).shape == [])
  }

  @Test func singularInputs() throws {
    let a = Tensor([1, 2, 2, 4] as [Double], shape: [2, 2], dtype: .float64)
    #expect(Linalg.det(a).item() == 0)
    let (sign, logabsdet) = Linalg.slogdet(a)
    #expect(sign.item() == 0 && logabsdet.item() == -.infinity)
    #expect(throws: LinalgError.self) { try Linalg.solve(a, Tensor.ones([2], dtype: .float64)) }
    #expect(throws: LinalgError.self) { try Linalg.inv(a) }
    #expect(throws: LinalgError.self) { try Linalg.cholesky(a) }
    // solveTriangular does not look at its diagonal: a zero gives inf and NaN.
    let u = Tensor([1, 2, 0, 0] as [Double], shape: [2, 2], dtype: .float64)
    let x = try Linalg.solveTriangular(u, Tensor.ones([2, 1], dtype: .float64), upper: true).asArray(
      Double.self)
    #expect(x.contains { $0.isNaN || $0.isInfinite })
  }

  @Test func errorsNameTheMinorAndTheBatchElement() throws {
    var values = [Double](repeating: 0, count: 2 * 3 * 3)
    for i in 0..<3 { values[i * 4] = 1; values[9 + i * 4] = i == 2 ? -1 : 1 }
    let a = Tensor(values, shape: [2, 3, 3], dtype: .float64)
    do {
      _ = try Linalg.cholesky(a)
      Issue.record("cholesky of an indefinite matrix must throw")
    } catch let error as LinalgError {
      #expect(error.function == "linalg.cholesky" && error.batchIndex == 1 && error.info == 3)
      #expect(
        error.message
          == "linalg.cholesky: (Batch element 1): The factorization could not be completed because the input is not positive-definite (the leading minor of order 3 is not positive-definite)."
      )
    }
    let info = Linalg.choleskyEx(a).info
    #expect(info.asArray(Int.self) == [0, 3] && info.dtype == .int64)
  }

  @Test func onlyTheNamedTriangleIsRead() throws {
    let (a, b) = Self.operands()
    let junk = Tensor.randn([4, 4], dtype: .float64, generator: Generator(seed: 3)) * 100
    let lowerOnly = a.tril() + junk.triu(1)
    let upperOnly = a.triu() + junk.tril(-1)
    #expect(try Linalg.cholesky(lowerOnly).allClose(try Linalg.cholesky(a)))
    #expect(try Linalg.cholesky(upperOnly, upper: true).allClose(try Linalg.cholesky(a, upper: true)))
    #expect(try Linalg.eigvalsh(lowerOnly).allClose(try Linalg.eigvalsh(a)))
    #expect(try Linalg.eigvalsh(upperOnly, uplo: .upper).allClose(try Linalg.eigvalsh(a)))
    #expect(try Linalg.eigh(upperOnly, uplo: .upper).eigenvalues.allClose(try Linalg.eigvalsh(a)))
    let unit = a.triu(1) + Tensor.eye(4, dtype: .float64)
    let junkDiagonal = a.triu(1) + junk.tril()
    #expect(
      try Linalg.solveTriangular(junkDiagonal, b, upper: true, unitriangular: true)
        .allClose(try Linalg.solveTriangular(unit, b, upper: true)))
  }

  @Test func orderOfEigenAndSingularValues() throws {
    let m = Tensor.randn([3, 6, 6], dtype: .float64, generator: Generator(seed: 4))
    let w = try Linalg.eigvalsh(m + m.mT).asArray(Double.self)
    let s = try Linalg.svdvals(m).asArray(Double.self)
    for b in 0..<3 {
      for i in 1..<6 {
        #expect(w[b * 6 + i - 1] <= w[b * 6 + i])
        #expect(s[b * 6 + i - 1] >= s[b * 6 + i])
      }
    }
  }

  @Test func gradientConventions() throws {
    let (a0, b) = Self.operands()
    // cholesky and eigh: symmetric gradients.
    for f in [
      { (a: Tensor) in try Linalg.cholesky(a).sum() },
      { (a: Tensor) in
        try (Linalg.eigh(a).eigenvectors.pow(2) * Tensor.arange(0, 16, dtype: .float64).reshape([4, 4])).sum()
          + Linalg.eigvalsh(a).sum()
      },
    ] {
      let a = a0.clone().detach().requiresGrad(true)
      try f(a).backward()
      #expect(a.grad!.allClose(a.grad!.mT, rtol: 1e-12, atol: 1e-12))
    }
    // solveTriangular: zero off the triangle (and on the diagonal with unitriangular).
    let a = a0.clone().detach().requiresGrad(true)
    try Linalg.solveTriangular(a, b, upper: false, unitriangular: true).sum().backward()
    let g = a.grad!
    #expect(g.triu().asArray(Double.self).allSatisfy { $0 == 0 })
    #expect(g.tril(-1).asArray(Double.self).contains { $0 != 0 })
  }

  @Test func vectorRightHandSideAndMinimumNorm() throws {
    let (a, _) = Self.operands()
    let b = Tensor([1, 2, 3, 4] as [Double], dtype: .float64)
    let x = try Linalg.solve(a, b)
    #expect(x.shape == [4])
    #expect(a.matmul(x).allClose(b, rtol: 1e-10, atol: 1e-10))
    let wide = Tensor.randn([3, 6], dtype: .float64, generator: Generator(seed: 5))
    let rhs = Tensor.randn([3, 2], dtype: .float64, generator: Generator(seed: 6))
    let solution = try Linalg.lstsq(wide, rhs).solution
    #expect(solution.shape == [6, 2])
    #expect(wide.matmul(solution).allClose(rhs, rtol: 1e-10, atol: 1e-10))
    // The minimum-norm solution is pinv(A)·B (no null-space component).
    #expect(solution.allClose(try Linalg.pinv(wide).matmul(rhs), rtol: 1e-9, atol: 1e-10))
  }

  /// The cutoff of `pinv` and `matrixRank` is max(m, n)·eps(dtype)·σ_max.
  @Test(arguments: [DType.float32, .float64])
  func pinvAndRankCutoff(_ dtype: DType) throws {
    let eps = dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
    let cutoff = 5 * eps * 2  // max(m, n) = 5, σ_max = 2
    let a = Tensor.zeros([5, 3], dtype: dtype)
    let above = Tensor.full([], 2 * cutoff, dtype: dtype).item()
    let below = Tensor.full([], cutoff / 2, dtype: dtype).item()
    for (i, value) in [2, above, below].enumerated() { a.setElement(value, at: i * 3 + i) }
    #expect(try Linalg.matrixRank(a).item(Int.self) == 2)
    let p = try Linalg.pinv(a).asArray(Double.self)
    #expect(p[0] == Tensor.full([], 0.5, dtype: dtype).item())
    #expect(Swift.abs(p[6] - 1 / above) <= 1e-6 / above)
    #expect(p[12] == 0)
  }

  @Test func vectorNormOrders() {
    let x = Tensor([3, 0, -4, 1] as [Double], shape: [2, 2], dtype: .float64)
    #expect(Linalg.vectorNorm(x, ord: 0).item() == 3)
    #expect(Linalg.vectorNorm(x, ord: .infinity).item() == 4)
    #expect(Linalg.vectorNorm(x, ord: -.infinity).item() == 0)
    #expect(Linalg.vectorNorm(x, ord: 1).item() == 8)
    #expect(Linalg.vectorNorm(x, ord: 2, dim: [0]).asArray(Double.self) == [5, 1])
    #expect(Linalg.vectorNorm(x, ord: 2, dim: [1], keepDim: true).shape == [2, 1])
  }

  @Test func qrKeepsWorkingAsBefore() {
    let a = Tensor.randn([5, 3], dtype: .float64, generator: Generator(seed: 7))
    let (q, r) = Linalg.qr(a)
    #expect(q.shape == [5, 3] && r.shape == [3, 3])
    #expect(q.matmul(r).allClose(a, rtol: 1e-12, atol: 1e-12))
  }

  @Test func shapeMistakesStopNamingTheFunction() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = try? Linalg.cholesky(Tensor.zeros([2, 3]))
    }
    expectStopMessage(
      result, "linalg.cholesky: A must be batches of square matrices, but they are 2 by 3 matrices")
    let vector = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Linalg.det(Tensor.zeros([3]))
    }
    expectStopMessage(vector, "linalg.det: The input tensor A must have at least 2 dimensions.")
    let integer = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = try? Linalg.inv(Tensor([1, 0, 0, 1] as [Int], shape: [2, 2]))
    }
    expectStopMessage(integer, "linalg.inv: Expected a floating point or complex tensor as input. Got Long")
  }

  @Test func qrBackwardStopsWhereAsInPyTorch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let a = Tensor.randn([4, 3], dtype: .float64).requiresGrad(true)
      try? Linalg.qr(a, mode: .r).r.sum().backward()
    }
    expectStopMessage(
      result, "The derivative of linalg.qr depends on Q, which is not computed when mode='r'.")
  }
}
