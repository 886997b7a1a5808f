import Foundation
import Testing

@testable import Descent

/// BLAS calls split across Descent's pool give the results of one call, whatever the
/// thread count, layout, increments, alpha and beta; OpenBLAS's own thread setting comes
/// back after each call. Serialized: the thread count is process-wide.
@Suite("BLAS on Descent's pool", .serialized)
struct PooledBLASTests {
  /// Runs `body` with `n` threads, restoring the count.
  func with<R>(threads n: Int, _ body: () throws -> R) rethrows -> R {
    let before = Threads.count
    defer { Threads.set(before) }
    Threads.set(n)
    return try body()
  }

  static func values(_ count: Int, seed: UInt64) -> [Double] {
    let g = Generator(seed: seed)
    return (0..<count).map { _ in g.nextDouble() * 2 - 1 }
  }

  struct GEMMCase: CustomTestStringConvertible, Sendable {
    var m: Int, n: Int, k: Int
    var transA: Bool, transB: Bool
    var alpha: Double, beta: Double
    /// Extra columns in each operand's storage (leading dimension > width).
    var pad: Int
    var testDescription: String {
      "\(m)×\(n)×\(k) \(transA ? "Aᵀ" : "A")\(transB ? "Bᵀ" : "B") α=\(alpha) β=\(beta) pad \(pad)"
    }
  }

  static let gemmCases: [GEMMCase] = [
    // Split by rows (m ≥ n), by columns (n > m), below the threshold (one call).
    GEMMCase(m: 96, n: 70, k: 64, transA: false, transB: false, alpha: 1, beta: 0, pad: 0),
    GEMMCase(m: 40, n: 300, k: 50, transA: false, transB: true, alpha: 1, beta: 0, pad: 0),
    GEMMCase(m: 130, n: 47, k: 81, transA: true, transB: false, alpha: -0.5, beta: 1, pad: 3),
    GEMMCase(m: 33, n: 257, k: 40, transA: true, transB: true, alpha: 2, beta: 0.5, pad: 5),
    GEMMCase(m: 20, n: 20, k: 20, transA: false, transB: false, alpha: 1, beta: 0, pad: 0),
    // A 2 × 2 grid of blocks at four threads, in every layout.
    GEMMCase(m: 200, n: 180, k: 90, transA: false, transB: false, alpha: 1, beta: 0, pad: 2),
    GEMMCase(m: 190, n: 210, k: 70, transA: true, transB: true, alpha: 1.5, beta: -1, pad: 1),
    GEMMCase(m: 170, n: 150, k: 60, transA: true, transB: false, alpha: 1, beta: 0.5, pad: 0),
  ]

  /// The grid packs least: one cut across the larger dimension at two threads, a square
  /// grid on a square product at 4 and 16, no cut that leaves blocks thinner than 16.
  @Test func gemmGridPacksLeast() {
    #expect(PooledBLAS.gemmGrid(m: 1024, n: 1024, k: 1024, threads: 2) == (1, 2))
    #expect(PooledBLAS.gemmGrid(m: 2048, n: 512, k: 256, threads: 2) == (2, 1))
    #expect(PooledBLAS.gemmGrid(m: 1024, n: 1024, k: 1024, threads: 4) == (2, 2))
    #expect(PooledBLAS.gemmGrid(m: 1024, n: 1024, k: 1024, threads: 16) == (4, 4))
    #expect(PooledBLAS.gemmGrid(m: 128, n: 512, k: 784, threads: 16) == (2, 8))
    #expect(PooledBLAS.gemmGrid(m: 20, n: 300, k: 50, threads: 4) == (1, 4))
    #expect(PooledBLAS.gemmGrid(m: 20, n: 20, k: 20, threads: 3) == (1, 1))
  }

  func gemm<T: TensorScalar>(_: T.Type, _ c: GEMMCase, threads: Int) -> [T] {
    // op(A) is m × k: stored m × k, or k × m when transposed; each with `pad` spare columns.
    let (ar, ac) = c.transA ? (c.k, c.m) : (c.m, c.k)
    let (br, bc) = c.transB ? (c.n, c.k) : (c.k, c.n)
    let a = Self.values(ar * (ac + c.pad), seed: 1).map { T($0) }
    let b = Self.values(br * (bc + c.pad), seed: 2).map { T($0) }
    var out = Self.values(c.m * (c.n + c.pad), seed: 3).map { T($0) }
    with(threads: threads) {
      out.withUnsafeMutableBufferPointer { po in
        T.gemm(
          transA: c.transA, transB: c.transB, c.m, c.n, c.k, T(c.alpha), a, ac + c.pad, b, bc + c.pad,
          T(c.beta), po.baseAddress!, c.n + c.pad)
      }
    }
    return out
  }

  /// Blocks of a product are cut as whole indices: two blocks at two threads are two
  /// chunks (element ranges round to 16, which would put both blocks on one thread).
  @Test func blocksAreSpreadOverThreads() {
    with(threads: 2) {
      #expect(chunking(2, grain: 1, alignment: 1).chunks == 2)
      #expect(chunking(3, grain: 1, alignment: 1).chunks == 2)
      #expect(chunking(2, grain: 1).chunks == 1)
      let (count, length) = PooledBLAS.blocks(512, threads: 2)
      #expect(count == 2 && length == 256)
    }
    with(threads: 4) {
      #expect(chunking(4, grain: 1, alignment: 1).chunks == 4)
      #expect(PooledBLAS.blocks(100, threads: 4) == (4, 32))
    }
  }

  @Test(arguments: gemmCases)
  func gemmMatchesOneCall(_ c: GEMMCase) {
    for threads in [2, 3, 4] {
      let one = gemm(Double.self, c, threads: 1)
      let pooled = gemm(Double.self, c, threads: threads)
      let worst = zip(one, pooled).map { Swift.abs($0 - $1) }.max()!
      #expect(worst <= 1e-12, "\(threads) threads: largest difference \(worst)")
      let oneF = gemm(Float.self, c, threads: 1)
      let pooledF = gemm(Float.self, c, threads: threads)
      let worstF = zip(oneF, pooledF).map { Swift.abs($0 - $1) }.max()!
      #expect(worstF <= 1e-4, "float, \(threads) threads: largest difference \(worstF)")
    }
    #expect(Threads.blasThreads == Threads.count)
  }

  @Test(arguments: [(false, 1), (true, 1), (false, 2), (true, 3)])
  func gemvMatchesOneCall(_ transposed: Bool, _ incy: Int) {
    let m = 300
    let n = 410
    let a = Self.values(m * n, seed: 4)
    let x = Self.values(Swift.max(m, n) * 2, seed: 5)
    let outputs = transposed ? n : m
    func run(_ threads: Int) -> [Double] {
      var y = Self.values(outputs * incy, seed: 6)
      with(threads: threads) {
        y.withUnsafeMutableBufferPointer { py in
          Double.gemv(transposed: transposed, m, n, 1.5, a, n, x, 2, 0.5, py.baseAddress!, incy)
        }
      }
      return y
    }
    let one = run(1)
    for threads in [2, 4] {
      let pooled = run(threads)
      #expect(zip(one, pooled).allSatisfy { Swift.abs($0 - $1) <= 1e-12 }, "\(threads) threads")
    }
  }

  @Test(arguments: [1, 2])
  func level1MatchesOneCall(_ inc: Int) {
    let n = 3 * Threads.grainSize + 7
    let x = Self.values(n * inc, seed: 7)
    func run(_ threads: Int) -> [Double] {
      var y = Self.values(n * inc, seed: 8)
      with(threads: threads) {
        y.withUnsafeMutableBufferPointer { py in
          let p = py.baseAddress!
          Double.axpy(n, 0.25, x, inc, p, inc)
          Double.axpby(n, -1.5, x, inc, 0.75, p, inc)
          Double.scal(n, 3, p, inc)
        }
      }
      return y
    }
    let one = run(1)
    for threads in [2, 3] { #expect(run(threads) == one, "\(threads) threads") }
    #expect(Threads.blasThreads == Threads.count)
  }

  /// Products from several threads at once share the pool one call at a time and stay right.
  @Test func concurrentCallersGetTheirOwnResults() async {
    let a = Tensor.randn([120, 90], dtype: .float64, generator: Generator(seed: 9))
    let b = Tensor.randn([90, 110], dtype: .float64, generator: Generator(seed: 10))
    let reference = with(threads: 1) { a.matmul(b).asArray(Double.self) }
    let results = await withTaskGroup(of: [Double].self) { group in
      for _ in 0..<4 { group.addTask { a.matmul(b).asArray(Double.self) } }
      return await group.reduce(into: []) { $0.append($1) }
    }
    for r in results {
      #expect(zip(r, reference).allSatisfy { Swift.abs($0 - $1) <= 1e-12 })
    }
  }

  /// Small factorisations run on one OpenBLAS thread (OpenBLAS's threaded LAPACK spins
  /// between its threads; a second thread gains nothing below 256), larger ones on all.
  @Test func smallLAPACKCallsRunOnOneOpenBLASThread() {
    with(threads: 2) {
      #expect(lapackCall(extent: Int32(lapackSingleThreadedExtent)) { Threads.blasThreads } == 1)
      #expect(lapackCall(extent: Int32(lapackSingleThreadedExtent + 1)) { Threads.blasThreads } == 2)
      #expect(Threads.blasThreads == 2)
    }
  }
}
