// Guards against non-finite values: `isnan`, `isinf`, `isfinite` and `nan_to_num`.

struct IsNaNOp: ComparisonScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _: T) -> Bool { x.isNaN }
}
struct IsInfOp: ComparisonScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _: T) -> Bool { x.isInfinite }
}
struct IsFiniteOp: ComparisonScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _: T) -> Bool { x.isFinite }
}
/// NaN, +inf and -inf replaced; `nil` infinities mean the dtype's largest finite values.
struct NanToNumOp: UnaryScalarOp {
  let nan: Double
  let posinf: Double?
  let neginf: Double?
  func callAsFunction<T: TensorScalar>(_ x: T) -> T {
    if x.isNaN { return T(nan) }
    if x == .infinity { return posinf.map { T($0) } ?? T.greatestFiniteMagnitude }
    if x == -.infinity { return neginf.map { T($0) } ?? -T.greatestFiniteMagnitude }
    return x
  }
}

extension Tensor {
  /// `true` where an element is NaN (`torch.isnan`); all `false` for `int64` and `bool`.
  public func isnan() -> Tensor { nonFiniteMask(IsNaNOp(), integers: false) }

  /// `true` where an element is +inf or -inf (`torch.isinf`); all `false` for `int64` and
  /// `bool`.
  public func isinf() -> Tensor { nonFiniteMask(IsInfOp(), integers: false) }

  /// `true` where an element is neither NaN nor infinite (`torch.isfinite`); all `true`
  /// for `int64` and `bool`.
  public func isfinite() -> Tensor { nonFiniteMask(IsFiniteOp(), integers: true) }

  private func nonFiniteMask<Op: ComparisonScalarOp>(_ op: Op, integers: Bool) -> Tensor {
    guard dtype.isFloatingPoint else { return Tensor.full(shape, integers ? 1 : 0, dtype: .bool) }
    return Tensor.compared(self, self, op, name: "isfinite")
  }

  /// NaN replaced by `nan`, +inf by `posinf` and -inf by `neginf` (`torch.nan_to_num`).
  ///
  /// - Parameters:
  ///   - nan: the value for NaN (default 0).
  ///   - posinf: the value for +inf (default: the dtype's largest finite value).
  ///   - neginf: the value for -inf (default: the dtype's most negative finite value).
  /// - Returns: a new tensor; `int64` and `bool` tensors are copied unchanged.
  ///
  /// Backward: `g · isfinite(x)`, as in PyTorch: replaced elements pass no gradient.
  public func nanToNum(nan: Double = 0, posinf: Double? = nil, neginf: Double? = nil) -> Tensor {
    guard dtype.isFloatingPoint else { return contiguousCopy() }
    // Half types clamp to their own largest value (computed in float32, whose is larger).
    let limit: Double? = dtype == .bfloat16 ? 0x1.FEp127 : (dtype == .float16 ? 65504 : nil)
    let out = mapped(
      NanToNumOp(nan: nan, posinf: posinf ?? limit, neginf: neginf ?? limit.map { -$0 }),
      name: "nan_to_num")
    let source = detach()
    return out.recording("NanToNumBackward0", [self]) { g in
      [g * source.isfinite().to(dtype: g.dtype)]
    }
  }
}
