import Descent

/// The operations LBFGS needs on its flat vectors (1-D contiguous tensors of the
/// parameters' dtype): BLAS level 1 for the inner products and axpys of the two-loop
/// recursion, and the reductions `lbfgs.py` makes on 0-d tensors (rounded to `T`).
enum FlatVector<T: TensorScalar> {
  /// `x.dot(y)` (`cblas_?dot`).
  static func dot(_ x: Tensor, _ y: Tensor) -> T {
    withExtendedLifetime((x, y)) { T.dot(x.count, x.rawPointer(T.self), 1, y.rawPointer(T.self), 1) }
  }

  /// `y.add_(x, alpha=a)` (`cblas_?axpy`).
  static func add(_ y: Tensor, _ x: Tensor, alpha: T) {
    withExtendedLifetime((x, y)) { T.axpy(x.count, alpha, x.rawPointer(T.self), 1, y.rawPointer(T.self), 1) }
  }

  /// `x.mul(a)`, a new vector.
  static func scaled(_ x: Tensor, by a: T) -> Tensor {
    let out = Tensor.zeros(x.shape, dtype: x.dtype)
    withExtendedLifetime((x, out)) {
      let src = x.rawPointer(T.self)
      let dst = out.rawPointer(T.self)
      for i in 0..<x.count { dst[i] = src[i] * a }
    }
    return out
  }

  /// `x - y`, a new vector.
  static func difference(_ x: Tensor, _ y: Tensor) -> Tensor {
    let out = Tensor.zeros(x.shape, dtype: x.dtype)
    withExtendedLifetime((x, y, out)) {
      let a = x.rawPointer(T.self)
      let b = y.rawPointer(T.self)
      let dst = out.rawPointer(T.self)
      for i in 0..<x.count { dst[i] = a[i] - b[i] }
    }
    return out
  }

  /// `x.abs().max()`.
  static func maxMagnitude(_ x: Tensor) -> T {
    withExtendedLifetime(x) {
      let p = x.rawPointer(T.self)
      var m: T = 0
      for i in 0..<x.count {
        let a = Swift.abs(p[i])
        if m.isNaN { break }
        if a.isNaN || a > m { m = a }
      }
      return m
    }
  }

  /// `(x · a).abs().max()`, without the product vector.
  static func maxMagnitude(_ x: Tensor, scaledBy a: T) -> T {
    withExtendedLifetime(x) {
      let p = x.rawPointer(T.self)
      var m: T = 0
      for i in 0..<x.count {
        let v = Swift.abs(p[i] * a)
        if m.isNaN { break }
        if v.isNaN || v > m { m = v }
      }
      return m
    }
  }

  /// `x.abs().sum()`, accumulated in Double and rounded to `T`.
  static func sumOfMagnitudes(_ x: Tensor) -> T {
    withExtendedLifetime(x) {
      let p = x.rawPointer(T.self)
      var sum = 0.0
      for i in 0..<x.count { sum += Double(Swift.abs(p[i])) }
      return T(sum)
    }
  }
}
