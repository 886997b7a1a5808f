import CBLAS

/// One precision's CBLAS entry points, called as they are: single calls on the calling
/// thread. ``PooledBLAS`` splits work across Descent's pool on top of them.
protocol BLASRoutines {
  associatedtype Scalar: BinaryFloatingPoint
  static func axpy(
    _ n: Int, _ alpha: Scalar, _ x: UnsafePointer<Scalar>, _ incx: Int,
    _ y: UnsafeMutablePointer<Scalar>, _ incy: Int)
  static func axpby(
    _ n: Int, _ alpha: Scalar, _ x: UnsafePointer<Scalar>, _ incx: Int, _ beta: Scalar,
    _ y: UnsafeMutablePointer<Scalar>, _ incy: Int)
  static func scal(_ n: Int, _ alpha: Scalar, _ x: UnsafeMutablePointer<Scalar>, _ incx: Int)
  static func dot(
    _ n: Int, _ x: UnsafePointer<Scalar>, _ incx: Int, _ y: UnsafePointer<Scalar>, _ incy: Int
  ) -> Scalar
  static func gemv(
    transposed: Bool, _ m: Int, _ n: Int, _ alpha: Scalar, _ a: UnsafePointer<Scalar>,
    _ lda: Int, _ x: UnsafePointer<Scalar>, _ incx: Int, _ beta: Scalar,
    _ y: UnsafeMutablePointer<Scalar>, _ incy: Int)
  static func gemm(
    transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Scalar,
    _ a: UnsafePointer<Scalar>, _ lda: Int, _ b: UnsafePointer<Scalar>, _ ldb: Int,
    _ beta: Scalar, _ c: UnsafeMutablePointer<Scalar>, _ ldc: Int)
}

@inline(__always) private func trans(_ t: Bool) -> CBLAS_TRANSPOSE {
  t ? CblasTrans : CblasNoTrans
}

/// `cblas_s*`.
enum SingleBLAS: BLASRoutines {
  @inline(__always)
  static func axpy(
    _ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int,
    _ y: UnsafeMutablePointer<Float>, _ incy: Int
  ) {
    cblas_saxpy(blasint(n), alpha, x, blasint(incx), y, blasint(incy))
  }
  @inline(__always)
  static func axpby(
    _ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int, _ beta: Float,
    _ y: UnsafeMutablePointer<Float>, _ incy: Int
  ) {
    cblas_saxpby(blasint(n), alpha, x, blasint(incx), beta, y, blasint(incy))
  }
  @inline(__always)
  static func scal(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>, _ incx: Int) {
    cblas_sscal(blasint(n), alpha, x, blasint(incx))
  }
  @inline(__always)
  static func dot(
    _ n: Int, _ x: UnsafePointer<Float>, _ incx: Int, _ y: UnsafePointer<Float>, _ incy: Int
  ) -> Float {
    cblas_sdot(blasint(n), x, blasint(incx), y, blasint(incy))
  }
  @inline(__always)
  static func gemv(
    transposed: Bool, _ m: Int, _ n: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
    _ lda: Int, _ x: UnsafePointer<Float>, _ incx: Int, _ beta: Float,
    _ y: UnsafeMutablePointer<Float>, _ incy: Int
  ) {
    cblas_sgemv(
      CblasRowMajor, trans(transposed), blasint(m), blasint(n), alpha, a, blasint(lda), x,
      blasint(incx), beta, y, blasint(incy))
  }
  @inline(__always)
  static func gemm(
    transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor, trans(transA), trans(transB), blasint(m), blasint(n), blasint(k), alpha,
      a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }
}

/// `cblas_d*`.
enum DoubleBLAS: BLASRoutines {
  @inline(__always)
  static func axpy(
    _ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int,
    _ y: UnsafeMutablePointer<Double>, _ incy: Int
  ) {
    cblas_daxpy(blasint(n), alpha, x, blasint(incx), y, blasint(incy))
  }
  @inline(__always)
  static func axpby(
    _ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int, _ beta: Double,
    _ y: UnsafeMutablePointer<Double>, _ incy: Int
  ) {
    cblas_daxpby(blasint(n), alpha, x, blasint(incx), beta, y, blasint(incy))
  }
  @inline(__always)
  static func scal(_ n: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>, _ incx: Int) {
    cblas_dscal(blasint(n), alpha, x, blasint(incx))
  }
  @inline(__always)
  static func dot(
    _ n: Int, _ x: UnsafePointer<Double>, _ incx: Int, _ y: UnsafePointer<Double>, _ incy: Int
  ) -> Double {
    cblas_ddot(blasint(n), x, blasint(incx), y, blasint(incy))
  }
  @inline(__always)
  static func gemv(
    transposed: Bool, _ m: Int, _ n: Int, _ alpha: Double, _ a: UnsafePointer<Double>,
    _ lda: Int, _ x: UnsafePointer<Double>, _ incx: Int, _ beta: Double,
    _ y: UnsafeMutablePointer<Double>, _ incy: Int
  ) {
    cblas_dgemv(
      CblasRowMajor, trans(transposed), blasint(m), blasint(n), alpha, a, blasint(lda), x,
      blasint(incx), beta, y, blasint(incy))
  }
  @inline(__always)
  static func gemm(
    transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
    _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
    _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int
  ) {
    cblas_dgemm(
      CblasRowMajor, trans(transA), trans(transB), blasint(m), blasint(n), blasint(k), alpha,
      a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }
}
