import DescentTestSupport
import Testing

@testable import Descent

/// Every differentiable Linalg function under `gradcheck` in float64: the backward rules
/// against central differences. Eigen- and singular vectors enter squared (`V ∘ V`), so the
/// checked function does not depend on their signs; symmetric inputs are made symmetric by
/// the function (`X·Xᵀ + 4I`, `(X + Xᵀ)/2`), as PyTorch's own gradchecks do.
@Suite("Linalg gradcheck")
struct LinalgGradcheckTests {
  static func input(_ shape: [Int], seed: UInt64, shift: Double = 0) -> @Sendable () -> [Tensor] {
    {
      let t = Tensor.randn(shape, dtype: .float64, generator: Generator(seed: seed))
      if shift != 0 && shape.count >= 2 {
        return [(t + Tensor.eye(shape[shape.count - 1], dtype: .float64) * shift).detach().requiresGrad(true)]
      }
      return [t.requiresGrad(true)]
    }
  }

  static func pair(_ a: [Int], _ b: [Int], shift: Double = 3) -> @Sendable () -> [Tensor] {
    {
      let x = Tensor.randn(a, dtype: .float64, generator: Generator(seed: 11))
      let y = Tensor.randn(b, dtype: .float64, generator: Generator(seed: 12))
      let shifted = shift == 0 ? x : x + Tensor.eye(a[a.count - 1], dtype: .float64) * shift
      return [shifted.detach().requiresGrad(true), y.requiresGrad(true)]
    }
  }

  static func spd(_ x: Tensor) -> Tensor {
    x.matmul(x.mT) + Tensor.eye(x.shape[x.rank - 1], dtype: .float64) * 4
  }
  static func symmetric(_ x: Tensor) -> Tensor { (x + x.mT) * 0.5 }

  static let cases: [GradcheckCase] = [
    GradcheckCase("solve", pair([3, 3], [3, 2])) { try! Linalg.solve($0[0], $0[1]) },
    GradcheckCase("solve vector", pair([3, 3], [3])) { try! Linalg.solve($0[0], $0[1]) },
    GradcheckCase("solve left false batched broadcast", pair([3, 3], [2, 2, 3])) {
      try! Linalg.solve($0[0], $0[1], left: false)
    },
    GradcheckCase("solveTriangular upper", pair([3, 3], [3, 2])) {
      try! Linalg.solveTriangular($0[0], $0[1], upper: true)
    },
    GradcheckCase("solveTriangular lower right unit", pair([3, 3], [2, 3])) {
      try! Linalg.solveTriangular($0[0], $0[1], upper: false, left: false, unitriangular: true)
    },
    GradcheckCase("cholesky", input([3, 3], seed: 1)) { try! Linalg.cholesky(spd($0[0])) },
    GradcheckCase("cholesky upper batched", input([2, 3, 3], seed: 2)) {
      try! Linalg.cholesky(spd($0[0]), upper: true)
    },
    GradcheckCase("inv", input([3, 3], seed: 3, shift: 3)) { try! Linalg.inv($0[0]) },
    GradcheckCase("invEx", input([3, 3], seed: 3, shift: 3)) { Linalg.invEx($0[0]).inverse },
    GradcheckCase("det", input([3, 3], seed: 4)) { Linalg.det($0[0]) },
    GradcheckCase("det batched", input([2, 4, 4], seed: 5)) { Linalg.det($0[0]) },
    GradcheckCase("slogdet logabsdet", input([3, 3], seed: 6)) { Linalg.slogdet($0[0]).logabsdet },
    GradcheckCase("eigh eigenvalues", input([4, 4], seed: 7)) {
      try! Linalg.eigh(symmetric($0[0])).eigenvalues
    },
    GradcheckCase("eigh eigenvectors", input([4, 4], seed: 8)) {
      try! Linalg.eigh(symmetric($0[0])).eigenvectors.square()
    },
    GradcheckCase("eigh upper batched", input([2, 3, 3], seed: 9)) {
      let e = try! Linalg.eigh(symmetric($0[0]), uplo: .upper)
      return e.eigenvectors.square() * e.eigenvalues.unsqueeze(-2)
    },
    GradcheckCase("eigvalsh", input([4, 4], seed: 10)) { try! Linalg.eigvalsh(symmetric($0[0])) },
    GradcheckCase("svd tall U S Vh", input([4, 3], seed: 11)) {
      let s = try! Linalg.svd($0[0], fullMatrices: false)
      return Tensor.cat([s.u.square().flatten(), s.s, s.vh.square().flatten()])
    },
    GradcheckCase("svd wide U S Vh", input([3, 5], seed: 12)) {
      let s = try! Linalg.svd($0[0], fullMatrices: false)
      return Tensor.cat([s.u.square().flatten(), s.s, s.vh.square().flatten()])
    },
    GradcheckCase("svd full, leading vectors", input([4, 2], seed: 13)) {
      let s = try! Linalg.svd($0[0], fullMatrices: true)
      return Tensor.cat([s.u.narrow(dim: 1, start: 0, length: 2).square().flatten(), s.s])
    },
    GradcheckCase("svdvals batched", input([2, 3, 4], seed: 14)) { try! Linalg.svdvals($0[0]) },
    GradcheckCase("qr tall", input([5, 3], seed: 15)) {
      let f = try! Linalg.qr($0[0], mode: .reduced)
      return Tensor.cat([f.q.flatten(), f.r.flatten()])
    },
    GradcheckCase("qr wide", input([3, 5], seed: 16)) {
      let f = try! Linalg.qr($0[0], mode: .reduced)
      return Tensor.cat([f.q.flatten(), f.r.flatten()])
    },
    GradcheckCase("qr complete wide", input([2, 4], seed: 17)) {
      let f = try! Linalg.qr($0[0], mode: .complete)
      return Tensor.cat([f.q.flatten(), f.r.flatten()])
    },
    GradcheckCase("lstsq solution", pair([5, 3], [5, 2], shift: 0)) {
      try! Linalg.lstsq($0[0], $0[1]).solution
    },
    GradcheckCase("lstsq residuals gelsd", pair([5, 3], [5, 2], shift: 0)) {
      try! Linalg.lstsq($0[0], $0[1], driver: .gelsd).residuals
    },
    GradcheckCase("lstsq wide vector gelsy", pair([3, 5], [3], shift: 0)) {
      try! Linalg.lstsq($0[0], $0[1]).solution
    },
    GradcheckCase("pinv tall", input([4, 3], seed: 18)) { try! Linalg.pinv($0[0]) },
    GradcheckCase("pinv wide", input([2, 3], seed: 19)) { try! Linalg.pinv($0[0]) },
    GradcheckCase("pinv hermitian", input([3, 3], seed: 20)) {
      try! Linalg.pinv(symmetric($0[0]), hermitian: true)
    },
    GradcheckCase("matrixNorm fro", input([3, 4], seed: 21)) { Linalg.matrixNorm($0[0], ord: .fro) },
    GradcheckCase("matrixNorm nuc", input([3, 4], seed: 22)) { Linalg.matrixNorm($0[0], ord: .nuc) },
    GradcheckCase("matrixNorm 2", input([3, 4], seed: 23)) { Linalg.matrixNorm($0[0], ord: .two) },
    GradcheckCase("matrixNorm -2", input([3, 4], seed: 24)) { Linalg.matrixNorm($0[0], ord: .minusTwo) },
    GradcheckCase("matrixNorm 1", input([3, 4], seed: 25)) { Linalg.matrixNorm($0[0], ord: .one) },
    GradcheckCase("matrixNorm -1", input([3, 4], seed: 26)) { Linalg.matrixNorm($0[0], ord: .minusOne) },
    GradcheckCase("matrixNorm inf keepdim", input([2, 3, 4], seed: 27)) {
      Linalg.matrixNorm($0[0], ord: .inf, keepDim: true)
    },
    GradcheckCase("matrixNorm -inf", input([3, 4], seed: 28)) { Linalg.matrixNorm($0[0], ord: .minusInf) },
    GradcheckCase("vectorNorm 2", input([2, 5], seed: 29)) { Linalg.vectorNorm($0[0]) },
    GradcheckCase("vectorNorm 3 dim", input([2, 5], seed: 30)) { Linalg.vectorNorm($0[0], ord: 3, dim: [1]) },
    GradcheckCase("vectorNorm 0.5", input([2, 5], seed: 31)) { Linalg.vectorNorm($0[0], ord: 0.5) },
    GradcheckCase("vectorNorm -1", input([2, 5], seed: 32)) {
      Linalg.vectorNorm($0[0], ord: -1, dim: [0], keepDim: true)
    },
    GradcheckCase("vectorNorm inf", input([2, 5], seed: 33)) { Linalg.vectorNorm($0[0], ord: .infinity) },
    GradcheckCase("vectorNorm -inf", input([2, 5], seed: 34)) {
      Linalg.vectorNorm($0[0], ord: -.infinity, dim: [1])
    },
    GradcheckCase("vectorNorm 0", input([2, 5], seed: 35)) { Linalg.vectorNorm($0[0], ord: 0) + $0[0].sum() },
    GradcheckCase("cond 2", input([3, 3], seed: 36)) { try! Linalg.cond($0[0]) },
    GradcheckCase("cond -2 rectangular", input([4, 3], seed: 37)) { try! Linalg.cond($0[0], ord: .minusTwo) },
    GradcheckCase("cond fro", input([3, 3], seed: 38, shift: 2)) { try! Linalg.cond($0[0], ord: .fro) },
    GradcheckCase("cond 1", input([3, 3], seed: 39, shift: 2)) { try! Linalg.cond($0[0], ord: .one) },
    GradcheckCase("tril triu", input([3, 4], seed: 40)) { $0[0].tril(1) + $0[0].triu(-1) * 2 },
    GradcheckCase("diagonal diagEmbed", input([2, 3, 4], seed: 41)) { $0[0].diagonal().diagEmbed() },
  ]

  @Test(arguments: cases)
  func gradcheckFloat64(_ c: GradcheckCase) throws {
    #expect(try gradcheck(c.function, inputs: c.inputs()))
  }
}
