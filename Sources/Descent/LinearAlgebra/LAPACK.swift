import CBLAS
import CLAPACKE

// The LAPACK routines Linalg calls, for `Float` and `Double`, through LAPACKE's `_work`
// entry points in column-major layout: those pass straight to LAPACK, without the
// transposing copies of LAPACKE's row-major wrappers, without their NaN scans, and with the
// workspace the caller queried once per call (not once per matrix of a batch). A row-major
// tensor's buffer is the column-major buffer of its transpose; each function below says
// how it uses that.

/// LAPACK's character arguments (`'L'`, `'N'`, ...).
@inline(__always) func lapackChar(_ c: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: c)) }

/// The floating types Linalg factorises, with the LAPACK and BLAS routines it needs.
protocol LAPACKScalar: TensorScalar {
  static func getrf(
    _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32, _ ipiv: UnsafeMutablePointer<Int32>
  ) -> Int32
  static func getrs(
    _ trans: CChar, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Self>, _ lda: Int32,
    _ ipiv: UnsafePointer<Int32>, _ b: UnsafeMutablePointer<Self>, _ ldb: Int32
  ) -> Int32
  static func getri(
    _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32, _ ipiv: UnsafePointer<Int32>,
    _ work: UnsafeMutablePointer<Self>, _ lwork: Int32
  ) -> Int32
  static func potrf(_ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32) -> Int32
  static func syevd(
    _ jobz: CChar, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
    _ w: UnsafeMutablePointer<Self>, _ work: UnsafeMutablePointer<Self>, _ lwork: Int32,
    _ iwork: UnsafeMutablePointer<Int32>, _ liwork: Int32
  ) -> Int32
  static func gesdd(
    _ jobz: CChar, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
    _ s: UnsafeMutablePointer<Self>, _ u: UnsafeMutablePointer<Self>?, _ ldu: Int32,
    _ vt: UnsafeMutablePointer<Self>?, _ ldvt: Int32, _ work: UnsafeMutablePointer<Self>,
    _ lwork: Int32, _ iwork: UnsafeMutablePointer<Int32>
  ) -> Int32
  static func geqrf(
    _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32, _ tau: UnsafeMutablePointer<Self>,
    _ work: UnsafeMutablePointer<Self>, _ lwork: Int32
  ) -> Int32
  static func orgqr(
    _ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
    _ tau: UnsafePointer<Self>, _ work: UnsafeMutablePointer<Self>, _ lwork: Int32
  ) -> Int32
  static func gels(
    _ trans: CChar, _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Self>, _ ldb: Int32, _ work: UnsafeMutablePointer<Self>, _ lwork: Int32
  ) -> Int32
  static func gelsy(
    _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Self>, _ ldb: Int32, _ jpvt: UnsafeMutablePointer<Int32>, _ rcond: Self,
    _ rank: UnsafeMutablePointer<Int32>, _ work: UnsafeMutablePointer<Self>, _ lwork: Int32
  ) -> Int32
  static func gelsd(
    _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Self>, _ ldb: Int32, _ s: UnsafeMutablePointer<Self>, _ rcond: Self,
    _ rank: UnsafeMutablePointer<Int32>, _ work: UnsafeMutablePointer<Self>, _ lwork: Int32,
    _ iwork: UnsafeMutablePointer<Int32>
  ) -> Int32
  static func gelss(
    _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Self>, _ ldb: Int32, _ s: UnsafeMutablePointer<Self>, _ rcond: Self,
    _ rank: UnsafeMutablePointer<Int32>, _ work: UnsafeMutablePointer<Self>, _ lwork: Int32
  ) -> Int32
  /// Row-major `cblas_?trsm`.
  static func trsm(
    left: Bool, upper: Bool, transposed: Bool, unit: Bool, _ m: Int, _ n: Int,
    _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafeMutablePointer<Self>, _ ldb: Int)
}

private let colMajor = Int32(LAPACK_COL_MAJOR)

@inline(__always) private func cblasFlags(left: Bool, upper: Bool, transposed: Bool, unit: Bool)
  -> (CBLAS_SIDE, CBLAS_UPLO, CBLAS_TRANSPOSE, CBLAS_DIAG)
{
  (
    left ? CblasLeft : CblasRight, upper ? CblasUpper : CblasLower,
    transposed ? CblasTrans : CblasNoTrans, unit ? CblasUnit : CblasNonUnit
  )
}

/// Runs one LAPACK call: BLASCore's selection first (LAPACK calls OpenBLAS's BLAS inside, and
/// the first call of a program must find the core Descent selected), and on one OpenBLAS
/// thread when the matrix is small.
///
/// Why one thread below ``lapackSingleThreadedExtent``: a second thread gains nothing there
/// (`Linalg.solve` at 256: 0.55 ms on one thread, 0.56 ms on two, quiet, AMD EPYC Zen 3),
/// while OpenBLAS's threaded LU, QR and eigen routines synchronise their threads by spinning:
/// on a machine shared with other processes, one descheduled thread stalls the other, and the
/// same solve took 9–13 ms on two threads at load 5. Results at these sizes also no longer
/// depend on the thread count.
@inline(__always) func lapackCall<R>(extent: Int32, _ body: () -> R) -> R {
  BLASCore.prepare()
  if Int(extent) > lapackSingleThreadedExtent { return body() }
  return PooledBLAS.withOneOpenBLASThread(body)
}

/// The largest matrix dimension that ``lapackCall(extent:_:)`` factorises on one thread.
let lapackSingleThreadedExtent = 256

extension Float: LAPACKScalar {
  static func getrf(
    _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
    _ ipiv: UnsafeMutablePointer<Int32>
  ) -> Int32 {
    lapackCall(extent: max(m, n)) { LAPACKE_sgetrf_work(colMajor, m, n, a, lda, ipiv) }
  }
  static func getrs(
    _ trans: CChar, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Float>, _ lda: Int32,
    _ ipiv: UnsafePointer<Int32>, _ b: UnsafeMutablePointer<Float>, _ ldb: Int32
  ) -> Int32 {
    lapackCall(extent: n) { LAPACKE_sgetrs_work(colMajor, trans, n, nrhs, a, lda, ipiv, b, ldb) }
  }
  static func getri(
    _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32, _ ipiv: UnsafePointer<Int32>,
    _ work: UnsafeMutablePointer<Float>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: n) { LAPACKE_sgetri_work(colMajor, n, a, lda, ipiv, work, lwork) }
  }
  static func potrf(_ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32) -> Int32 {
    lapackCall(extent: n) { LAPACKE_spotrf_work(colMajor, uplo, n, a, lda) }
  }
  static func syevd(
    _ jobz: CChar, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
    _ w: UnsafeMutablePointer<Float>, _ work: UnsafeMutablePointer<Float>, _ lwork: Int32,
    _ iwork: UnsafeMutablePointer<Int32>, _ liwork: Int32
  ) -> Int32 {
    lapackCall(extent: n) {
      LAPACKE_ssyevd_work(colMajor, jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork)
    }
  }
  static func gesdd(
    _ jobz: CChar, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
    _ s: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>?, _ ldu: Int32,
    _ vt: UnsafeMutablePointer<Float>?, _ ldvt: Int32, _ work: UnsafeMutablePointer<Float>,
    _ lwork: Int32, _ iwork: UnsafeMutablePointer<Int32>
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_sgesdd_work(colMajor, jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork)
    }
  }
  static func geqrf(
    _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
    _ tau: UnsafeMutablePointer<Float>,
    _ work: UnsafeMutablePointer<Float>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) { LAPACKE_sgeqrf_work(colMajor, m, n, a, lda, tau, work, lwork) }
  }
  static func orgqr(
    _ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
    _ tau: UnsafePointer<Float>, _ work: UnsafeMutablePointer<Float>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) { LAPACKE_sorgqr_work(colMajor, m, n, k, a, lda, tau, work, lwork) }
  }
  static func gels(
    _ trans: CChar, _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Float>, _ ldb: Int32, _ work: UnsafeMutablePointer<Float>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_sgels_work(colMajor, trans, m, n, nrhs, a, lda, b, ldb, work, lwork)
    }
  }
  static func gelsy(
    _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Float>, _ ldb: Int32, _ jpvt: UnsafeMutablePointer<Int32>, _ rcond: Float,
    _ rank: UnsafeMutablePointer<Int32>, _ work: UnsafeMutablePointer<Float>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_sgelsy_work(colMajor, m, n, nrhs, a, lda, b, ldb, jpvt, rcond, rank, work, lwork)
    }
  }
  static func gelsd(
    _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Float>, _ ldb: Int32, _ s: UnsafeMutablePointer<Float>, _ rcond: Float,
    _ rank: UnsafeMutablePointer<Int32>, _ work: UnsafeMutablePointer<Float>, _ lwork: Int32,
    _ iwork: UnsafeMutablePointer<Int32>
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_sgelsd_work(colMajor, m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork, iwork)
    }
  }
  static func gelss(
    _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Float>, _ ldb: Int32, _ s: UnsafeMutablePointer<Float>, _ rcond: Float,
    _ rank: UnsafeMutablePointer<Int32>, _ work: UnsafeMutablePointer<Float>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_sgelss_work(colMajor, m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork)
    }
  }
  static func trsm(
    left: Bool, upper: Bool, transposed: Bool, unit: Bool, _ m: Int, _ n: Int,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafeMutablePointer<Float>, _ ldb: Int
  ) {
    let (side, uplo, trans, diag) = cblasFlags(left: left, upper: upper, transposed: transposed, unit: unit)
    BLASCore.prepare()
    return cblas_strsm(
      CblasRowMajor, side, uplo, trans, diag, blasint(m), blasint(n), 1, a, blasint(lda), b, blasint(ldb))
  }
}

extension Double: LAPACKScalar {
  static func getrf(
    _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
    _ ipiv: UnsafeMutablePointer<Int32>
  ) -> Int32 {
    lapackCall(extent: max(m, n)) { LAPACKE_dgetrf_work(colMajor, m, n, a, lda, ipiv) }
  }
  static func getrs(
    _ trans: CChar, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Double>, _ lda: Int32,
    _ ipiv: UnsafePointer<Int32>, _ b: UnsafeMutablePointer<Double>, _ ldb: Int32
  ) -> Int32 {
    lapackCall(extent: n) { LAPACKE_dgetrs_work(colMajor, trans, n, nrhs, a, lda, ipiv, b, ldb) }
  }
  static func getri(
    _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32, _ ipiv: UnsafePointer<Int32>,
    _ work: UnsafeMutablePointer<Double>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: n) { LAPACKE_dgetri_work(colMajor, n, a, lda, ipiv, work, lwork) }
  }
  static func potrf(_ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32) -> Int32 {
    lapackCall(extent: n) { LAPACKE_dpotrf_work(colMajor, uplo, n, a, lda) }
  }
  static func syevd(
    _ jobz: CChar, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
    _ w: UnsafeMutablePointer<Double>, _ work: UnsafeMutablePointer<Double>, _ lwork: Int32,
    _ iwork: UnsafeMutablePointer<Int32>, _ liwork: Int32
  ) -> Int32 {
    lapackCall(extent: n) {
      LAPACKE_dsyevd_work(colMajor, jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork)
    }
  }
  static func gesdd(
    _ jobz: CChar, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
    _ s: UnsafeMutablePointer<Double>, _ u: UnsafeMutablePointer<Double>?, _ ldu: Int32,
    _ vt: UnsafeMutablePointer<Double>?, _ ldvt: Int32, _ work: UnsafeMutablePointer<Double>,
    _ lwork: Int32, _ iwork: UnsafeMutablePointer<Int32>
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_dgesdd_work(colMajor, jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork)
    }
  }
  static func geqrf(
    _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
    _ tau: UnsafeMutablePointer<Double>,
    _ work: UnsafeMutablePointer<Double>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) { LAPACKE_dgeqrf_work(colMajor, m, n, a, lda, tau, work, lwork) }
  }
  static func orgqr(
    _ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
    _ tau: UnsafePointer<Double>, _ work: UnsafeMutablePointer<Double>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) { LAPACKE_dorgqr_work(colMajor, m, n, k, a, lda, tau, work, lwork) }
  }
  static func gels(
    _ trans: CChar, _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Double>, _ ldb: Int32, _ work: UnsafeMutablePointer<Double>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_dgels_work(colMajor, trans, m, n, nrhs, a, lda, b, ldb, work, lwork)
    }
  }
  static func gelsy(
    _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Double>, _ ldb: Int32, _ jpvt: UnsafeMutablePointer<Int32>, _ rcond: Double,
    _ rank: UnsafeMutablePointer<Int32>, _ work: UnsafeMutablePointer<Double>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_dgelsy_work(colMajor, m, n, nrhs, a, lda, b, ldb, jpvt, rcond, rank, work, lwork)
    }
  }
  static func gelsd(
    _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Double>, _ ldb: Int32, _ s: UnsafeMutablePointer<Double>, _ rcond: Double,
    _ rank: UnsafeMutablePointer<Int32>, _ work: UnsafeMutablePointer<Double>, _ lwork: Int32,
    _ iwork: UnsafeMutablePointer<Int32>
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_dgelsd_work(colMajor, m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork, iwork)
    }
  }
  static func gelss(
    _ m: Int32, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
    _ b: UnsafeMutablePointer<Double>, _ ldb: Int32, _ s: UnsafeMutablePointer<Double>, _ rcond: Double,
    _ rank: UnsafeMutablePointer<Int32>, _ work: UnsafeMutablePointer<Double>, _ lwork: Int32
  ) -> Int32 {
    lapackCall(extent: max(m, n)) {
      LAPACKE_dgelss_work(colMajor, m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork)
    }
  }
  static func trsm(
    left: Bool, upper: Bool, transposed: Bool, unit: Bool, _ m: Int, _ n: Int,
    _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafeMutablePointer<Double>, _ ldb: Int
  ) {
    let (side, uplo, trans, diag) = cblasFlags(left: left, upper: upper, transposed: transposed, unit: unit)
    BLASCore.prepare()
    return cblas_dtrsm(
      CblasRowMajor, side, uplo, trans, diag, blasint(m), blasint(n), 1, a, blasint(lda), b, blasint(ldb))
  }
}

/// A workspace that grows to the largest size asked of it and is freed at the end of the
/// call that owns it; `query` results are rounded up, as LAPACK returns them as floats.
struct Workspace<T: LAPACKScalar> {
  private(set) var buffer: UnsafeMutablePointer<T>
  private(set) var count: Int

  init(count: Int) {
    self.count = Swift.max(count, 1)
    buffer = .allocate(capacity: self.count)
  }

  /// LAPACK's answer to a `lwork = -1` query, as a count.
  static func size(fromQuery value: T) -> Int { Int(Double(value).rounded(.up)) }

  func free() { buffer.deallocate() }
}

/// An `Int32` scratch array for pivots, `iwork` and `jpvt`.
struct IntWorkspace {
  let buffer: UnsafeMutablePointer<Int32>
  let count: Int

  init(count: Int) {
    self.count = Swift.max(count, 1)
    buffer = .allocate(capacity: self.count)
    buffer.initialize(repeating: 0, count: self.count)
  }

  func free() { buffer.deallocate() }
}
