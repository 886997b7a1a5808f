// In-place variants for optimizers and init code. They record no graph: modifying a leaf
// that requires grad stops with PyTorch's error unless inside `withNoGrad`.

struct AddcmulOp: BinaryScalarOp {
  let value: Double
  // Applied as `self += value * (t1 * t2)`: fused through a two-operand kernel below.
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T { T(value) * x * y }
}

extension Tensor {
  private func inPlace<Op: BinaryScalarOp>(_ op: Op, _ other: Tensor, _ name: String) -> Tensor {
    checkInPlace(name)
    precondition(dtype.isFloatingPoint, "\(name): expected a floating point tensor, got \(dtype)")
    Tensor.applyBinary(op, self, other.to(dtype: dtype), into: self, name: name)
    return self
  }

  /// `self += alpha * other` (`add_`).
  @discardableResult
  public func addInPlace(_ other: Tensor, alpha: Double = 1) -> Tensor {
    alpha == 1 ? inPlace(AddOp(), other, "add_") : inPlace(AddScaledOp(alpha: alpha), other, "add_")
  }
  /// `self -= alpha * other` (`sub_`).
  @discardableResult
  public func subInPlace(_ other: Tensor, alpha: Double = 1) -> Tensor {
    inPlace(AddScaledOp(alpha: -alpha), other, "sub_")
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

  /// `self += value * t1 * t2` (`addcmul_`).
  @discardableResult
  public func addcmulInPlace(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor {
    addInPlace(Tensor.zipped(t1, t2, AddcmulOp(value: value), name: "addcmul_"))
  }
  /// `self += value * t1 / t2` (`addcdiv_`).
  @discardableResult
  public func addcdivInPlace(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor {
    addInPlace(Tensor.zipped(t1, t2, DivOp(), name: "addcdiv_"), alpha: value)
  }
  /// `self += weight * (end - self)` (`lerp_`).
  @discardableResult
  public func lerpInPlace(_ end: Tensor, weight: Double) -> Tensor {
    addInPlace(end - self, alpha: weight)
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
