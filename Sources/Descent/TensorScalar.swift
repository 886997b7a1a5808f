import CBLAS
import RealModule

/// The floating-point element types a ``Tensor`` computes with: `Float` and `Double`.
///
/// Each conforming type carries its ``DType`` and its BLAS level-1 to level-3 entry points,
/// so that generic kernels dispatch to `cblas_s*` or `cblas_d*` without a runtime switch.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable
where Self.RawSignificand: FixedWidthInteger {
  /// The tensor dtype whose elements are `Self`.
  static var dtype: DType { get }

  /// `y = alpha * x + y` (`cblas_?axpy`).
  static func axpy(
    _ n: Int, _ alpha: Self, _ x: UnsafePointer<Self>, _ incx: Int,
    _ y: UnsafeMutablePointer<Self>, _ incy: Int)
  /// `y = alpha * x + beta * y` (OpenBLAS `cblas_?axpby`).
  static func axpby(
    _ n: Int, _ alpha: Self, _ x: UnsafePointer<Self>, _ incx: Int, _ beta: Self,
    _ y: UnsafeMutablePointer<Self>, _ incy: Int)
  /// `x = alpha * x` (`cblas_?scal`).
  static func scal(_ n: Int, _ alpha: Self, _ x: UnsafeMutablePointer<Self>, _ incx: Int)
  /// Inner product (`cblas_?dot`).
  static func dot(
    _ n: Int, _ x: UnsafePointer<Self>, _ incx: Int, _ y: UnsafePointer<Self>, _ incy: Int
  ) -> Self
  /// General matrix-vector product, row-major (`cblas_?gemv`).
  static func gemv(
    transposed: Bool, _ m: Int, _ n: Int, _ alpha: Self, _ a: UnsafePointer<Self>,
    _ lda: Int, _ x: UnsafePointer<Self>, _ incx: Int, _ beta: Self,
    _ y: UnsafeMutablePointer<Self>, _ incy: Int)
  /// General matrix-matrix product, row-major (`cblas_?gemm`).
  static func gemm(
    transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
    _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
    _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
}

@inline(__always) private func trans(_ t: Bool) -> CBLAS_TRANSPOSE {
  t ? CblasTrans : CblasNoTrans
}

extension Float: TensorScalar {
  public static var dtype: DType { .float32 }
  @inline(__always)
  public static func axpy(
    _ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int,
    _ y: UnsafeMutablePointer<Float>, _ incy: Int
  ) {
    BLASCore.prepare()
    cblas_saxpy(blasint(n), alpha, x, blasint(incx), y, blasint(incy))
  }
  @inline(__always)
  public static func axpby(
    _ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int, _ beta: Float,
    _ y: UnsafeMutablePointer<Float>, _ incy: Int
  ) {
    BLASCore.prepare()
    cblas_saxpby(blasint(n), alpha, x, blasint(incx), beta, y, blasint(incy))
  }
  @inline(__always)
  public static func scal(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>, _ incx: Int) {
    BLASCore.prepare()
    cblas_sscal(blasint(n), alpha, x, blasint(incx))
  }
  @inline(__always)
  public static func dot(
    _ n: Int, _ x: UnsafePointer<Float>, _ incx: Int, _ y: UnsafePointer<Float>, _ incy: Int
  ) -> Float {
    BLASCore.prepare()
    return cblas_sdot(blasint(n), x, blasint(incx), y, blasint(incy))
  }
  @inline(__always)
  public static func gemv(
    transposed: Bool, _ m: Int, _ n: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
    _ lda: Int, _ x: UnsafePointer<Float>, _ incx: Int, _ beta: Float,
    _ y: UnsafeMutablePointer<Float>, _ incy: Int
  ) {
    BLASCore.prepare()
    cblas_sgemv(
      CblasRowMajor, trans(transposed), blasint(m), blasint(n), alpha, a, blasint(lda), x,
      blasint(incx), beta, y, blasint(incy))
  }
  @inline(__always)
  public static func gemm(
    transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
  ) {
    BLASCore.prepare()
    cblas_sgemm(
      CblasRowMajor, trans(transA), trans(transB), blasint(m), blasint(n), blasint(k), alpha,
      a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }
}

extension Double: TensorScalar {
  public static var dtype: DType { .float64 }
  @inline(__always)
  public static func axpy(
    _ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int,
    _ y: UnsafeMutablePointer<Double>, _ incy: Int
  ) {
    BLASCore.prepare()
    cblas_daxpy(blasint(n), alpha, x, blasint(incx), y, blasint(incy))
  }
  @inline(__always)
  public static func axpby(
    _ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int, _ beta: Double,
    _ y: UnsafeMutablePointer<Double>, _ incy: Int
  ) {
    BLASCore.prepare()
    cblas_daxpby(blasint(n), alpha, x, blasint(incx), beta, y, blasint(incy))
  }
  @inline(__always)
  public static func scal(_ n: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>, _ incx: Int) {
    BLASCore.prepare()
    cblas_dscal(blasint(n), alpha, x, blasint(incx))
  }
  @inline(__always)
  public static func dot(
    _ n: Int, _ x: UnsafePointer<Double>, _ incx: Int, _ y: UnsafePointer<Double>, _ incy: Int
  ) -> Double {
    BLASCore.prepare()
    return cblas_ddot(blasint(n), x, blasint(incx), y, blasint(incy))
  }
  @inline(__always)
  public static func gemv(
    transposed: Bool, _ m: Int, _ n: Int, _ alpha: Double, _ a: UnsafePointer<Double>,
    _ lda: Int, _ x: UnsafePointer<Double>, _ incx: Int, _ beta: Double,
    _ y: UnsafeMutablePointer<Double>, _ incy: Int
  ) {
    BLASCore.prepare()
    cblas_dgemv(
      CblasRowMajor, trans(transposed), blasint(m), blasint(n), alpha, a, blasint(lda), x,
      blasint(incx), beta, y, blasint(incy))
  }
  @inline(__always)
  public static func gemm(
    transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
    _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
    _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int
  ) {
    BLASCore.prepare()
    cblas_dgemm(
      CblasRowMajor, trans(transA), trans(transB), blasint(m), blasint(n), blasint(k), alpha,
      a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }
}
