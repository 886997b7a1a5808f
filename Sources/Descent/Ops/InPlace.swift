// In-place variants for optimizers and init code. They record no graph: modifying a leaf
// that requires grad stops with PyTorch's error unless inside `withNoGrad`.

// The fused updates round like PyTorch on x86-64 with FMA (its AVX2/AVX-512 kernels, which
// GCC contracts): `addcmul_` is fma(value * t1, t2, self), `lerp_` an fma of the
// difference, `add_(alpha:)` fma(alpha, other, self). Checked bit for bit in the tests.

struct AddcmulOp: TernaryScalarOp {
  let value: Double
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T, _ z: T) -> T {
    x.addingProduct(T(value) * y, z)
  }
}
struct AddcdivOp: TernaryScalarOp {
  let value: Double
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T, _ z: T) -> T { x + T(value) * y / z }
}
/// PyTorch's `lerp`: from `start` for small weights, from `end` otherwise, so that both
/// ends are reproduced exactly.
struct LerpOp: BinaryScalarOp {
  let weight: Double
  func callAsFunction<T: TensorScalar>(_ start: T, _ end: T) -> T {
    let w = T(weight)
    let diff = end - start
    return Swift.abs(w) < 0.5 ? start.addingProduct(w, diff) : end.addingProduct(w - 1, diff)
  }
}

extension Tensor {
  private func inPlace<Op: BinaryScalarOp>(_ op: Op, _ other: Tensor, _ name: String) -> Tensor {
    checkInPlace(name)
    require(dtype.isFloatingPoint, "\(name): expected a floating point tensor, got \(dtype)")
    Tensor.applyBinary(
      op, self, other.operand(for: dtype, scalarInOpmath: Op.readsScalarInOpmath), into: self,
      name: name)
    return self
  }

  /// `self += alpha * other` (`add_`), rounded as fma(alpha, other, self).
  @discardableResult
  public func addInPlace(_ other: Tensor, alpha: Double = 1) -> Tensor {
    alpha == 1
      ? inPlace(AddOp(), other, "add_")
      : inPlace(AddScaledOp(alpha: alpha, roundedTo: dtype), other, "add_")
  }
  /// `self -= alpha * other` (`sub_`).
  @discardableResult
  public func subInPlace(_ other: Tensor, alpha: Double = 1) -> Tensor {
    inPlace(AddScaledOp(alpha: -alpha, roundedTo: dtype), other, "sub_")
  }
  /// `self *= other` (`mul_`).
  @discardableResult
  public func mulInPlace(_ other: Tensor) -> Tensor { inPlace(MulOp(), other, "mul_") }
  /// `self /= other` (`div_`).
  @discardableResult
  public func divInPlace(_ other: Tensor) -> Tensor { inPlace(DivOp(), other, "div_") }
  /// `self += value` (`add_` with a scalar).
  @discardableResult
  public func addInPlace(_ value: Double) -> Tensor { inPlace(AddOp(), scalarLike(value), "add_") }
  /// `self *= value` (`mul_` with a scalar).
  @discardableResult
  public func mulInPlace(_ value: Double) -> Tensor { inPlace(MulOp(), scalarLike(value), "mul_") }
  /// `self /= value` (`div_` with a scalar).
  @discardableResult
  public func divInPlace(_ value: Double) -> Tensor { inPlace(DivOp(), scalarLike(value), "div_") }

  private func inPlace<Op: TernaryScalarOp>(_ op: Op, _ t1: Tensor, _ t2: Tensor, _ name: String)
    -> Tensor
  {
    checkInPlace(name)
    require(dtype.isFloatingPoint, "\(name): expected a floating point tensor, got \(dtype)")
    Tensor.applyTernary(op, self, t1.to(dtype: dtype), t2.to(dtype: dtype), into: self, name: name)
    return self
  }

  /// `self += value * t1 * t2` (`addcmul_`), rounded as fma(value · t1, t2, self).
  @discardableResult
  public func addcmulInPlace(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor {
    inPlace(AddcmulOp(value: value), t1, t2, "addcmul_")
  }
  /// `self += value * t1 / t2` (`addcdiv_`), evaluated as `self + (value · t1) / t2`.
  @discardableResult
  public func addcdivInPlace(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor {
    inPlace(AddcdivOp(value: value), t1, t2, "addcdiv_")
  }
  /// `self += weight * (end - self)` (`lerp_`). As in PyTorch, weights of magnitude 0.5
  /// or more are evaluated from `end` as `end + (weight - 1) * (end - self)`.
  @discardableResult
  public func lerpInPlace(_ end: Tensor, weight: Double) -> Tensor {
    inPlace(LerpOp(weight: weight), end, "lerp_")
  }
  /// Clamps in place (`clamp_`).
  @discardableResult
  public func clampInPlace(min low: Double? = nil, max high: Double? = nil) -> Tensor {
    checkInPlace("clamp_")
    Tensor.applyUnary(
      ClampOp(low: low ?? -.infinity, high: high ?? .infinity), self, into: self, name: "clamp_")
    return self
  }

  public static func += (a: Tensor, b: Tensor) { a.addInPlace(b) }
  public static func -= (a: Tensor, b: Tensor) { a.subInPlace(b) }
  public static func *= (a: Tensor, b: Tensor) { a.mulInPlace(b) }
  public static func /= (a: Tensor, b: Tensor) { a.divInPlace(b) }
  public static func += (a: Tensor, b: Double) { a.addInPlace(b) }
  public static func -= (a: Tensor, b: Double) { a.addInPlace(-b) }
  public static func *= (a: Tensor, b: Double) { a.mulInPlace(b) }
  public static func /= (a: Tensor, b: Double) { a.divInPlace(b) }
}
