import CLAPACKE

/// Linear-algebra routines backed by LAPACK (`torch.linalg`).
public enum Linalg {
  /// The reduced QR decomposition of a matrix `A` (m × n): `Q` (m × k) with orthonormal
  /// columns and upper-triangular `R` (k × n), `k = min(m, n)`, via LAPACKE `?geqrf` and
  /// `?orgqr` (`torch.linalg.qr(A, mode='reduced')`). Not differentiable.
  ///
  /// LAPACK's sign convention is kept: `R`'s diagonal may be negative, as in PyTorch.
  public static func qr(_ a: Tensor) -> (q: Tensor, r: Tensor) {
    require(a.rank == 2, "linalg.qr: expected a 2-D matrix, got shape \(a.shape)")
    require(a.dtype.isFloatingPoint, "linalg.qr: expected a floating point matrix, got \(a.dtype)")
    let m = a.shape[0]
    let n = a.shape[1]
    let k = Swift.min(m, n)
    let work = a.detach().contiguousCopy()
    let tau = Tensor(uninitializedShape: [Swift.max(k, 1)], dtype: a.dtype)
    if m == 0 || n == 0 {
      return (Tensor.zeros([m, k], dtype: a.dtype), Tensor.zeros([k, n], dtype: a.dtype))
    }
    BLASCore.prepare()
    let lda = Int32(n)
    var info: Int32
    switch a.dtype {
    case .float32:
      info = LAPACKE_sgeqrf(
        LAPACK_ROW_MAJOR, Int32(m), Int32(n), work.pointer(Float.self), lda, tau.pointer(Float.self))
    default:
      info = LAPACKE_dgeqrf(
        LAPACK_ROW_MAJOR, Int32(m), Int32(n), work.pointer(Double.self), lda, tau.pointer(Double.self))
    }
    require(info == 0, "linalg.qr: ?geqrf failed with info \(info)")
    // R is the upper triangle of the first k rows.
    let r = Tensor.zeros([k, n], dtype: a.dtype)
    let full = work.asArray(Double.self)
    var rValues = [Double](repeating: 0, count: k * n)
    for i in 0..<k { for j in i..<n { rValues[i * n + j] = full[i * n + j] } }
    r.assignElements(rValues)
    // Q from the Householder reflectors held in the first k columns.
    let q = work.slicedRaw(dim: 1, start: 0, length: k).contiguousCopy()
    switch a.dtype {
    case .float32:
      info = LAPACKE_sorgqr(
        LAPACK_ROW_MAJOR, Int32(m), Int32(k), Int32(k), q.pointer(Float.self), Int32(k),
        tau.pointer(Float.self))
    default:
      info = LAPACKE_dorgqr(
        LAPACK_ROW_MAJOR, Int32(m), Int32(k), Int32(k), q.pointer(Double.self), Int32(k),
        tau.pointer(Double.self))
    }
    require(info == 0, "linalg.qr: ?orgqr failed with info \(info)")
    return (q, r)
  }
}
