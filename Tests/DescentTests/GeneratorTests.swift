import Foundation
import Testing

@testable import Descent

/// Seeded random streams. Descent's generator is xoshiro256**, not PyTorch's Mersenne
/// Twister, so these check reproducibility and distributions, not PyTorch's numbers.
@Suite("Generator")
struct GeneratorTests {
  @Test(arguments: [DType.float32, .float64])
  func sameSeedSameStream(_ dtype: DType) {
    let a = Tensor.randn([100], dtype: dtype, generator: Generator(seed: 42))
    let b = Tensor.randn([100], dtype: dtype, generator: Generator(seed: 42))
    let c = Tensor.randn([100], dtype: dtype, generator: Generator(seed: 43))
    #expect(a.asArray(Double.self) == b.asArray(Double.self))
    #expect(a.asArray(Double.self) != c.asArray(Double.self))
  }

  @Test func reseedingRestartsTheStream() {
    let g = Generator(seed: 7)
    let first = Tensor.rand([20], generator: g).asArray(Float.self)
    let second = Tensor.rand([20], generator: g).asArray(Float.self)
    #expect(first != second)
    g.manualSeed(7)
    #expect(Tensor.rand([20], generator: g).asArray(Float.self) == first)
    #expect(g.initialSeed == 7)
  }

  /// The default generator, seeded with `manualSeed`, gives the stream an explicit
  /// generator with the same seed gives; explicit generators leave it untouched.
  ///
  /// Runs in a child process: tests run in parallel, and any of them may draw from the
  /// shared default generator between the seeding and the draws here.
  @Test func explicitAndDefaultGenerators() async {
    await #expect(processExitsWith: .success) {
      manualSeed(1234)
      let fromDefault = Tensor.randn([16]).asArray(Float.self)
      let explicit = Generator(seed: 1234)
      guard Tensor.randn([16], generator: explicit).asArray(Float.self) == fromDefault else { exit(1) }

      manualSeed(99)
      let next = Tensor.rand([8]).asArray(Float.self)
      manualSeed(99)
      _ = Tensor.rand([8], generator: Generator(seed: 5))
      guard Tensor.rand([8]).asArray(Float.self) == next else { exit(2) }
    }
  }

  @Test(arguments: [0, 1, 2, 17, 1000])
  func randpermIsAPermutation(_ n: Int) {
    let p = Tensor.randperm(n, generator: Generator(seed: UInt64(n)))
    #expect(p.dtype == .int64)
    #expect(p.shape == [n])
    #expect(p.asArray(Int.self).sorted() == Array(0..<n))
  }

  @Test func randpermShuffles() {
    let p = Tensor.randperm(50, generator: Generator(seed: 3)).asArray(Int.self)
    #expect(p != Array(0..<50))
  }

  @Test(arguments: [DType.float32, .float64])
  func randIsInUnitInterval(_ dtype: DType) {
    let n = 200_000
    let x = Tensor.rand([n], dtype: dtype, generator: Generator(seed: 11)).asArray(Double.self)
    #expect(x.allSatisfy { $0 >= 0 && $0 < 1 })
    // Mean 1/2 and variance 1/12; five standard errors.
    let mean = x.reduce(0, +) / Double(n)
    let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
    #expect(Swift.abs(mean - 0.5) < 5 * (1.0 / 12).squareRoot() / Double(n).squareRoot())
    #expect(Swift.abs(variance - 1.0 / 12) < 0.002)
  }

  /// A float32 draw must never round up to 1 (a value in [1 - 2⁻²⁵, 1) would).
  @Test func float32UniformStaysBelowOne() {
    let g = Generator(seed: 0)
    let t = Tensor.uniform([1 << 20], low: 0, high: 1, dtype: .float32, generator: g)
    #expect(t.max().item() < 1)
    let u = Tensor.uniform([1000], low: -2, high: 3, generator: g).asArray(Double.self)
    #expect(u.allSatisfy { $0 >= -2 && $0 < 3 })
  }

  @Test(arguments: [DType.float32, .float64])
  func randnMoments(_ dtype: DType) {
    let n = 200_000
    let x = Tensor.randn([n], dtype: dtype, generator: Generator(seed: 5))
    let mean = x.mean().item()
    let std = x.std().item()
    let values = x.asArray(Double.self)
    let skew = values.reduce(0) { $0 + Foundation.pow(($1 - mean) / std, 3) } / Double(n)
    let kurtosis = values.reduce(0) { $0 + Foundation.pow(($1 - mean) / std, 4) } / Double(n)
    // Standard errors: mean 1/√n ≈ 0.0022, std 1/√(2n) ≈ 0.0016, skew √(6/n) ≈ 0.0055,
    // kurtosis √(24/n) ≈ 0.011. Allow five of each.
    #expect(Swift.abs(mean) < 0.012)
    #expect(Swift.abs(std - 1) < 0.008)
    #expect(Swift.abs(skew) < 0.03)
    #expect(Swift.abs(kurtosis - 3) < 0.06)
  }

  @Test func normalAndUniformParameters() {
    let g = Generator(seed: 8)
    let x = Tensor.normal([100_000], mean: 3, std: 0.5, dtype: .float64, generator: g)
    #expect(Swift.abs(x.mean().item() - 3) < 0.01)
    #expect(Swift.abs(x.std().item() - 0.5) < 0.01)
  }

  @Test func randintRange() {
    let x = Tensor.randint(-3, 4, shape: [2000], generator: Generator(seed: 2))
    #expect(x.dtype == .int64)
    let v = x.asArray(Int.self)
    #expect(v.allSatisfy { $0 >= -3 && $0 < 4 })
    #expect(Set(v) == Set(-3..<4))
  }

  @Test func oddCountNormalFill() {
    let a = Tensor.randn([3], generator: Generator(seed: 9)).asArray(Float.self)
    let b = Tensor.randn([4], generator: Generator(seed: 9)).asArray(Float.self)
    #expect(Array(b.prefix(3)) == a)
  }
}
