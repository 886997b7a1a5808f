import Descent

/// A contiguous tensor's elements as a BLAS vector, for the rules' BLAS forms. Each
/// coefficient is given in Double and rounded to `T` once, as `T(x)`.
///
/// The tensor must stay alive while the vector is used; rules get tensors that their
/// optimizer holds (parameters, gradients, state) for the whole update.
struct BLASVector<T: TensorScalar> {
  let base: UnsafeMutablePointer<T>
  let count: Int

  init(_ tensor: Tensor) {
    base = tensor.rawPointer(T.self)
    count = tensor.count
  }

  /// `self ← a·self` (`cblas_?scal`).
  func scale(by a: Double) {
    T.scal(count, T(a), base, 1)
  }

  /// `self ← self + a·x` (`cblas_?axpy`).
  func add(_ x: BLASVector, times a: Double) {
    T.axpy(count, T(a), x.base, 1, base, 1)
  }

  /// `self ← b·self + a·x` (OpenBLAS `cblas_?axpby`).
  func scale(by b: Double, adding x: BLASVector, times a: Double) {
    T.axpby(count, T(a), x.base, 1, T(b), base, 1)
  }

  /// `self ← x`.
  func copy(from x: BLASVector) {
    base.update(from: x.base, count: count)
  }

  @inline(__always)
  subscript(i: Int) -> T {
    get { base[i] }
    nonmutating set { base[i] = newValue }
  }
}
