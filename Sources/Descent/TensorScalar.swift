import RealModule

/// The floating-point element types a ``Tensor`` computes with: `Float` and `Double`.
///
/// Each conforming type carries its ``DType`` and its BLAS level-1 to level-3 entry points,
/// so that generic kernels dispatch to `cblas_s*` or `cblas_d*` without a runtime switch.
/// The entry points run on Descent's thread pool (``Threads``): large calls are split into
/// blocks, each a single-threaded OpenBLAS call; `dot` is one call.
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

extension Float: TensorScalar {
  public static var dtype: DType { .float32 }
  public static func axpy(
    _ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int,
    _ y: UnsafeMutablePointer<Float>, _ incy: Int
  ) {
    PooledBLAS.level1(
      SingleBLAS.self, n,
      .init(kind: .axpy, alpha: alpha, beta: 1, x: x, incx: incx, y: y, incy: incy))
  }
  public static func axpby(
    _ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int, _ beta: Float,
    _ y: UnsafeMutablePointer<Float>, _ incy: Int
  ) {
    PooledBLAS.level1(
      SingleBLAS.self, n,
      .init(kind: .axpby, alpha: alpha, beta: beta, x: x, incx: incx, y: y, incy: incy))
  }
  public static func scal(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>, _ incx: Int) {
    PooledBLAS.level1(
      SingleBLAS.self, n,
      .init(kind: .scal, alpha: alpha, beta: 1, x: UnsafePointer(x), incx: incx, y: x, incy: incx))
  }
  public static func dot(
    _ n: Int, _ x: UnsafePointer<Float>, _ incx: Int, _ y: UnsafePointer<Float>, _ incy: Int
  ) -> Float {
    PooledBLAS.singleThreaded { SingleBLAS.dot(n, x, incx, y, incy) }
  }
  public static func gemv(
    transposed: Bool, _ m: Int, _ n: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
    _ lda: Int, _ x: UnsafePointer<Float>, _ incx: Int, _ beta: Float,
    _ y: UnsafeMutablePointer<Float>, _ incy: Int
  ) {
    PooledBLAS.gemv(SingleBLAS.self, transposed: transposed, m, n, alpha, a, lda, x, incx, beta, y, incy)
  }
  public static func gemm(
    transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
  ) {
    PooledBLAS.gemm(
      SingleBLAS.self, transA: transA, transB: transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
  }
}

extension Double: TensorScalar {
  public static var dtype: DType { .float64 }
  public static func axpy(
    _ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int,
    _ y: UnsafeMutablePointer<Double>, _ incy: Int
  ) {
    PooledBLAS.level1(
      DoubleBLAS.self, n,
      .init(kind: .axpy, alpha: alpha, beta: 1, x: x, incx: incx, y: y, incy: incy))
  }
  public static func axpby(
    _ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int, _ beta: Double,
    _ y: UnsafeMutablePointer<Double>, _ incy: Int
  ) {
    PooledBLAS.level1(
      DoubleBLAS.self, n,
      .init(kind: .axpby, alpha: alpha, beta: beta, x: x, incx: incx, y: y, incy: incy))
  }
  public static func scal(_ n: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>, _ incx: Int) {
    PooledBLAS.level1(
      DoubleBLAS.self, n,
      .init(kind: .scal, alpha: alpha, beta: 1, x: UnsafePointer(x), incx: incx, y: x, incy: incx))
  }
  public static func dot(
    _ n: Int, _ x: UnsafePointer<Double>, _ incx: Int, _ y: UnsafePointer<Double>, _ incy: Int
  ) -> Double {
    PooledBLAS.singleThreaded { DoubleBLAS.dot(n, x, incx, y, incy) }
  }
  public static func gemv(
    transposed: Bool, _ m: Int, _ n: Int, _ alpha: Double, _ a: UnsafePointer<Double>,
    _ lda: Int, _ x: UnsafePointer<Double>, _ incx: Int, _ beta: Double,
    _ y: UnsafeMutablePointer<Double>, _ incy: Int
  ) {
    PooledBLAS.gemv(DoubleBLAS.self, transposed: transposed, m, n, alpha, a, lda, x, incx, beta, y, incy)
  }
  public static func gemm(
    transA: Bool, transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
    _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
    _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int
  ) {
    PooledBLAS.gemm(
      DoubleBLAS.self, transA: transA, transB: transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
  }
}
