import Foundation
import PropertyBased
import Testing

@testable import Descent

/// The identities the factorisations must satisfy, on random shapes and values
/// (swift-property-based draws the sizes, batch counts and seeds; failures report the seed).
///
/// Tolerances are stated in units of the dtype's epsilon `ε`, scaled by the matrix size `n`
/// and, where the identity involves an inverse, the condition number `κ` (computed here from
/// the singular values): backward-stable factorisations reproduce `A` to `c·n·ε·‖A‖`.
@Suite("Linalg identities")
struct LinalgPropertyTests {
  static var dtypes: PropertyBased.Generator<DType, some Sequence> {
    Gen.bool.map { $0 ? DType.float32 : DType.float64 }
  }

  static func eps(_ dtype: DType) -> Double { dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne }

  /// `|x − y| ≤ tol · max(1, max|y|)` elementwise, `y` broadcast to `x`'s shape.
  static func near(_ x: Tensor, _ y: Tensor, _ tol: Double) -> Bool {
    let a = x.asArray(Double.self)
    let b = y.expand(x.shape).asArray(Double.self)
    let scale = Swift.max(1, b.map { Swift.abs($0) }.max() ?? 0)
    return a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tol * scale }
  }

  static func random(_ shape: [Int], _ dtype: DType, _ seed: Int) -> Tensor {
    Tensor.randn(shape, dtype: dtype, generator: Descent.Generator(seed: UInt64(seed)))
  }

  @Test func qrReproducesA() async {
    await propertyCheck(
      input: Gen.int(in: 1...8), Gen.int(in: 1...8), Gen.int(in: 1...3), Self.dtypes, Gen.int(in: 0...100_000)
    ) { m, n, batch, dtype, seed in
      let a = Self.random([batch, m, n], dtype, seed)
      let f = try! Linalg.qr(a, mode: .reduced)
      let k = Swift.min(m, n)
      #expect(Self.near(f.q.matmul(f.r), a, 50 * Double(Swift.max(m, n)) * Self.eps(dtype)), "Q·R = A")
      #expect(
        Self.near(f.q.mT.matmul(f.q), Tensor.eye(k, dtype: dtype), 50 * Double(m) * Self.eps(dtype)),
        "QᵀQ = I")
      #expect(f.r.tril(-1).asArray(Double.self).allSatisfy { $0 == 0 }, "R is upper triangular")
    }
  }

  @Test func choleskyReproducesA() async {
    await propertyCheck(input: Gen.int(in: 1...8), Gen.int(in: 1...3), Self.dtypes, Gen.int(in: 0...100_000))
    {
      n, batch, dtype, seed in
      let x = Self.random([batch, n, n], dtype, seed)
      let a = x.matmul(x.mT) + Tensor.eye(n, dtype: dtype) * Double(n)
      for upper in [false, true] {
        let l = try! Linalg.cholesky(a, upper: upper)
        let product = upper ? l.mT.matmul(l) : l.matmul(l.mT)
        #expect(Self.near(product, a, 50 * Double(n) * Self.eps(dtype)), "L·Lᵀ = A (upper: \(upper))")
      }
    }
  }

  @Test func inverseTimesAIsIdentity() async {
    await propertyCheck(input: Gen.int(in: 1...8), Gen.int(in: 1...3), Self.dtypes, Gen.int(in: 0...100_000))
    {
      n, batch, dtype, seed in
      let a = Self.random([batch, n, n], dtype, seed) + Tensor.eye(n, dtype: dtype) * 2
      let s = try! Linalg.svdvals(a.to(dtype: .float64)).asArray(Double.self)
      let kappa = (0..<batch).map { s[$0 * n] / s[$0 * n + n - 1] }.max()!
      let inverse = try! Linalg.inv(a)
      #expect(
        Self.near(a.matmul(inverse), Tensor.eye(n, dtype: dtype), 50 * Double(n) * kappa * Self.eps(dtype)),
        "A·inv(A) = I (κ = \(kappa))")
    }
  }

  @Test func svdAndEighReproduceA() async {
    await propertyCheck(
      input: Gen.int(in: 1...7), Gen.int(in: 1...7), Self.dtypes, Gen.int(in: 0...100_000)
    ) { m, n, dtype, seed in
      let a = Self.random([m, n], dtype, seed)
      let s = try! Linalg.svd(a, fullMatrices: false)
      let tol = 100 * Double(Swift.max(m, n)) * Self.eps(dtype)
      #expect(Self.near((s.u * s.s.unsqueeze(-2)).matmul(s.vh), a, tol), "U·S·Vh = A")
      let square = Self.random([n, n], dtype, seed + 1)
      let sym = square + square.mT
      let e = try! Linalg.eigh(sym)
      #expect(
        Self.near((e.eigenvectors * e.eigenvalues.unsqueeze(-2)).matmul(e.eigenvectors.mT), sym, tol),
        "V·Λ·Vᵀ = A")
    }
  }

  @Test func solveAndDeterminantAgree() async {
    await propertyCheck(input: Gen.int(in: 1...8), Gen.int(in: 1...4), Self.dtypes, Gen.int(in: 0...100_000))
    {
      n, k, dtype, seed in
      let a = Self.random([n, n], dtype, seed) + Tensor.eye(n, dtype: dtype) * 3
      let b = Self.random([n, k], dtype, seed + 1)
      let x = try! Linalg.solve(a, b)
      let s = try! Linalg.svdvals(a.to(dtype: .float64)).asArray(Double.self)
      let kappa = s[0] / s[n - 1]
      #expect(Self.near(a.matmul(x), b, 50 * Double(n) * kappa * Self.eps(dtype)), "A·solve(A, B) = B")
      // det = sign · exp(logabsdet), and |det| = Π σᵢ.
      let d = Linalg.det(a.to(dtype: .float64)).item()
      let (sign, logabsdet) = Linalg.slogdet(a.to(dtype: .float64))
      #expect(Swift.abs(d - sign.item() * Foundation.exp(logabsdet.item())) <= 1e-10 * Swift.abs(d))
      #expect(Swift.abs(Swift.abs(d) - s.reduce(1, *)) <= 1e-9 * Swift.abs(d))
    }
  }
}
