import CDescentBLAS
import Foundation

/// BLAS calls run on Descent's thread pool: large products and vector updates are cut into
/// blocks, each a single-threaded OpenBLAS call on one of the pool's threads, so that one
/// pool serves both Descent's kernels and BLAS (see ``Threads``).
///
/// A block of a product is a block of `C` in a grid chosen to pack the operands least
/// (``gemmGrid(m:n:k:threads:)``): at two threads, a block of rows or of columns of `C`,
/// whichever dimension is larger.
/// `dot` is never split: its summation order stays that of one call.
///
/// `DESCENT_BLAS_POOL=off` (read once) hands every call to OpenBLAS whole instead, on its
/// own threads: a diagnostic, for comparing the two.
enum PooledBLAS {
  /// Whether calls go through the pool: ``Threads/blasOnPool``, initially `false` only when
  /// `DESCENT_BLAS_POOL=off`.
  nonisolated(unsafe) static var enabled: Bool =
    getenv("DESCENT_BLAS_POOL").map { String(cString: $0) != "off" } ?? true

  /// Products below this many multiply-adds run as one call: OpenBLAS's own threshold
  /// for threading a `gemm` (`65536 · GEMM_MULTITHREAD_THRESHOLD`).
  static let gemmThreshold = 1 << 18
  /// Block boundaries are multiples of this (the kernels' widest register block).
  static let blockAlignment = 16

  /// Runs `body` with OpenBLAS set to one thread when Descent runs several and its BLAS
  /// calls go through the pool.
  @inline(__always)
  static func singleThreaded<R>(_ body: () -> R) -> R {
    BLASCore.prepare()
    return enabled ? withOneOpenBLASThread(body) : body()
  }

  /// Runs `body` with OpenBLAS set to one thread (a no-op when Descent runs one); nested
  /// and concurrent calls are counted, so the last one out restores Descent's count.
  @inline(__always)
  static func withOneOpenBLASThread<R>(_ body: () -> R) -> R {
    let threads = Int32(Threads.count)
    descent_blas_enter_single_threaded(threads)
    defer { descent_blas_leave_single_threaded(threads) }
    return body()
  }

  /// How `extent` elements split into blocks: (count, length), with lengths multiples of
  /// ``blockAlignment``.
  @inline(__always)
  static func blocks(_ extent: Int, threads: Int) -> (count: Int, length: Int) {
    let wanted = Swift.min(threads, Swift.max(1, extent / blockAlignment))
    let length = ((extent + wanted - 1) / wanted + blockAlignment - 1) / blockAlignment * blockAlignment
    return ((extent + length - 1) / length, length)
  }

  struct GEMMTask<R: BLASRoutines>: RangeTask {
    let transA: Bool, transB: Bool
    let m: Int, n: Int, k: Int
    let alpha: R.Scalar, beta: R.Scalar
    let a: UnsafePointer<R.Scalar>, lda: Int
    let b: UnsafePointer<R.Scalar>, ldb: Int
    let c: UnsafeMutablePointer<R.Scalar>, ldc: Int
    /// Blocks are a grid over C: `rowLength` rows by `columnLength` columns each,
    /// `columnBlocks` to a row of the grid.
    let rowLength: Int, columnLength: Int, columnBlocks: Int

    func run(_ range: Range<Int>) {
      for block in range {
        let r0 = block / columnBlocks * rowLength
        let c0 = block % columnBlocks * columnLength
        let r1 = Swift.min(m, r0 + rowLength)
        let c1 = Swift.min(n, c0 + columnLength)
        if r0 >= r1 || c0 >= c1 { continue }
        // op(A) rows r0..<r1: A is m × k (rows), or k × m when transposed (columns);
        // op(B) columns c0..<c1: B is k × n (columns), or n × k when transposed (rows).
        PooledBLAS.gemmOnce(
          R.self, transA: transA, transB: transB, r1 - r0, c1 - c0, k, alpha,
          transA ? a + r0 : a + r0 * lda, lda, transB ? b + c0 * ldb : b + c0, ldb, beta,
          c + r0 * ldc + c0, ldc)
      }
    }
  }

  /// The grid of blocks a product's output is cut into, `rows × columns == threads`: the one
  /// that packs least. Each block packs its rows of op(A) and its columns of op(B) again, so a
  /// grid costs `columns·m·k + rows·k·n` element copies. At two threads that is one cut
  /// across the larger dimension of C; at 16 threads a square product gets a 4 × 4 grid,
  /// which packs each operand 4 times, where 16 column blocks packed A 16 times (Tensor.matmul
  /// at 1024 ran at 0.65–0.94× raw sgemm that way on a 16-core Xeon). Blocks narrower than
  /// ``blockAlignment`` are not cut.
  static func gemmGrid(m: Int, n: Int, k: Int, threads: Int) -> (rows: Int, columns: Int) {
    var best = (rows: 1, columns: 1)
    var bestCost = Int.max
    for rows in 1...Swift.max(1, threads) where threads % rows == 0 {
      let columns = threads / rows
      if rows > 1 && m < rows * blockAlignment { continue }
      if columns > 1 && n < columns * blockAlignment { continue }
      let cost = columns * m * k + rows * k * n
      // Ties keep the fewer row blocks: with n ≥ m, two threads cut columns.
      if cost < bestCost { (best, bestCost) = ((rows, columns), cost) }
    }
    return best
  }

  /// One `gemm` call. With `beta == 0` the output is zeroed here and the call made with
  /// `beta = 1`: OpenBLAS's own zeroing (its `?gemm_beta` kernel) is a plain loop, and it
  /// was 7 % of an MLP training step. The products are the same (`x + 0 == x`), except
  /// that an exact `-0` result comes out `+0`.
  @inline(__always)
  static func gemmOnce<R: BLASRoutines>(
    _: R.Type, transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: R.Scalar,
    _ a: UnsafePointer<R.Scalar>, _ lda: Int, _ b: UnsafePointer<R.Scalar>, _ ldb: Int,
    _ beta: R.Scalar, _ c: UnsafeMutablePointer<R.Scalar>, _ ldc: Int
  ) {
    if beta == 0 && k > 0 {
      let bytes = n * MemoryLayout<R.Scalar>.stride
      if ldc == n {
        memset(c, 0, m * bytes)
      } else {
        for i in 0..<m { memset(c + i * ldc, 0, bytes) }
      }
      R.gemm(transA: transA, transB: transB, m, n, k, alpha, a, lda, b, ldb, 1, c, ldc)
    } else {
      R.gemm(transA: transA, transB: transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
  }

  @inline(__always)
  static func gemm<R: BLASRoutines>(
    _: R.Type, transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: R.Scalar,
    _ a: UnsafePointer<R.Scalar>, _ lda: Int, _ b: UnsafePointer<R.Scalar>, _ ldb: Int,
    _ beta: R.Scalar, _ c: UnsafeMutablePointer<R.Scalar>, _ ldc: Int
  ) {
    singleThreaded {
      let threads = Threads.count
      if !enabled {
        R.gemm(transA: transA, transB: transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
      }
      // Small products, and those too thin to cut (a 1 × 1 grid), are one call.
      let grid = gemmGrid(m: m, n: n, k: k, threads: threads)
      if threads <= 1 || m * n * k < gemmThreshold || grid.rows * grid.columns == 1 {
        gemmOnce(R.self, transA: transA, transB: transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
      }
      let (rowBlocks, rowLength) = grid.rows > 1 ? blocks(m, threads: grid.rows) : (1, m)
      let (columnBlocks, columnLength) = grid.columns > 1 ? blocks(n, threads: grid.columns) : (1, n)
      parallelFor(
        rowBlocks * columnBlocks, grain: 1, alignment: 1,
        GEMMTask<R>(
          transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, a: a,
          lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, rowLength: rowLength,
          columnLength: columnLength, columnBlocks: columnBlocks))
    }
  }

  struct GEMVTask<R: BLASRoutines>: RangeTask {
    let transposed: Bool
    let m: Int, n: Int
    let alpha: R.Scalar, beta: R.Scalar
    let a: UnsafePointer<R.Scalar>, lda: Int
    let x: UnsafePointer<R.Scalar>, incx: Int
    let y: UnsafeMutablePointer<R.Scalar>, incy: Int
    let length: Int

    func run(_ range: Range<Int>) {
      for block in range {
        let lo = block * length
        let hi = Swift.min(transposed ? n : m, lo + length)
        if lo >= hi { continue }
        if transposed {
          // y[j] = Σᵢ A[i, j] x[i] for the columns lo..<hi.
          R.gemv(
            transposed: true, m, hi - lo, alpha, a + lo, lda, x, incx, beta, y + lo * incy, incy)
        } else {
          R.gemv(
            transposed: false, hi - lo, n, alpha, a + lo * lda, lda, x, incx, beta, y + lo * incy,
            incy)
        }
      }
    }
  }

  @inline(__always)
  static func gemv<R: BLASRoutines>(
    _: R.Type, transposed: Bool, _ m: Int, _ n: Int, _ alpha: R.Scalar,
    _ a: UnsafePointer<R.Scalar>, _ lda: Int, _ x: UnsafePointer<R.Scalar>, _ incx: Int,
    _ beta: R.Scalar, _ y: UnsafeMutablePointer<R.Scalar>, _ incy: Int
  ) {
    singleThreaded {
      let threads = Threads.count
      let outputs = transposed ? n : m
      if threads <= 1 || !enabled || m * n < 2 * Threads.grainSize || incy <= 0
        || outputs < 2 * blockAlignment
      {
        R.gemv(transposed: transposed, m, n, alpha, a, lda, x, incx, beta, y, incy)
        return
      }
      let (count, length) = blocks(outputs, threads: threads)
      parallelFor(
        count, grain: 1, alignment: 1,
        GEMVTask<R>(
          transposed: transposed, m: m, n: n, alpha: alpha, beta: beta, a: a, lda: lda, x: x,
          incx: incx, y: y, incy: incy, length: length))
    }
  }

  /// `y ← αx + βy` (`beta == nil`: `axpy`) or `x ← αx` (`scal`) over `n` elements.
  struct Level1Task<R: BLASRoutines>: RangeTask {
    enum Kind { case axpy, axpby, scal }
    let kind: Kind
    let alpha: R.Scalar, beta: R.Scalar
    let x: UnsafePointer<R.Scalar>, incx: Int
    let y: UnsafeMutablePointer<R.Scalar>, incy: Int

    func run(_ range: Range<Int>) {
      let n = range.count
      let lo = range.lowerBound
      switch kind {
      case .axpy: R.axpy(n, alpha, x + lo * incx, incx, y + lo * incy, incy)
      case .axpby: R.axpby(n, alpha, x + lo * incx, incx, beta, y + lo * incy, incy)
      case .scal: R.scal(n, alpha, y + lo * incy, incy)
      }
    }
  }

  /// A level-1 update, split in element ranges when large. Negative or zero increments
  /// (BLAS walks those from the end) run as one call.
  @inline(__always)
  static func level1<R: BLASRoutines>(_: R.Type, _ n: Int, _ task: Level1Task<R>) {
    singleThreaded {
      if !enabled || task.incx <= 0 || task.incy <= 0 || chunking(n, grain: Threads.grainSize).chunks <= 1 {
        task.run(0..<n)
        return
      }
      parallelFor(n, task)
    }
  }
}
