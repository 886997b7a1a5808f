import RealModule

struct AddOp: BinaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T { x + y } }
struct SubOp: BinaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T { x - y } }
struct MulOp: BinaryScalarOp {
  static var readsScalarInOpmath: Bool { true }
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T { x * y }
}
struct DivOp: BinaryScalarOp {
  static var readsScalarInOpmath: Bool { true }
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T { x / y }
}
/// `x + alpha * y` as one fused multiply-add, as PyTorch's `add(alpha=)` rounds.
struct AddScaledOp: BinaryScalarOp {
  let alpha: Double

  init(alpha: Double) { self.alpha = alpha }

  /// `alpha` as PyTorch's `add` kernel uses it for a result of `dtype`: rounded to a half
  /// type first (the kernel casts it to the tensor's scalar type).
  init(alpha: Double, roundedTo dtype: DType) {
    self.alpha = dtype.isReducedPrecision ? Tensor.full([], alpha, dtype: dtype).item() : alpha
  }
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T { x.addingProduct(T(alpha), y) }
  /// `self + alpha * other` in c10's half arithmetic: the product is rounded first.
  func halfScalarForm(_ dtype: DType) -> ((Float, Float) -> Float)? {
    let alpha = Float(alpha)
    return { x, y in x + dtype.rounding(alpha * y) }
  }
}
struct PowOp: BinaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T { ieeePow(x, y) }
}
struct MaximumOp: BinaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T {
    x.isNaN || y.isNaN ? T.nan : Swift.max(x, y)
  }
}
struct MinimumOp: BinaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T {
    x.isNaN || y.isNaN ? T.nan : Swift.min(x, y)
  }
}
/// Gradient share of the first operand of maximum/minimum: 1 where it wins, ½ on ties.
struct WinnerShareOp: BinaryScalarOp {
  let takesLarger: Bool
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T {
    if x == y { return T(0.5) }
    return (x > y) == takesLarger ? 1 : 0
  }
}
/// `log(x)` masked to 0 where `x == 0 && y >= 0`, for the exponent's gradient of `pow`.
struct PowExponentGradOp: BinaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T {
    x == 0 && y >= 0 ? 0 : T.log(x)
  }
}

extension Tensor {
  /// `label` is PyTorch's op name for precondition messages; `name` is the graph node's.
  /// The inputs are kept as they are; the output, detached, only where the gradient needs
  /// it (`savesOutput`). Nothing is kept when nothing records.
  private static func binary<Op: BinaryScalarOp>(
    _ a: Tensor, _ b: Tensor, _ op: Op, _ label: String, _ name: String, savesOutput: Bool = false,
    dtype: DType? = nil,
    backward: @escaping (_ g: Tensor, _ a: Tensor, _ b: Tensor, _ out: Tensor?) -> (Tensor?, Tensor?)
  ) -> Tensor {
    let out = zipped(a, b, op, name: label, dtype: dtype)
    guard GradMode.isEnabled, a.requiresGrad || b.requiresGrad else { return out }
    let so = savesOutput ? out.detach() : nil
    let shapeA = a.shape
    let shapeB = b.shape
    let typeA = a.dtype
    let typeB = b.dtype
    return out.recording(name, [a, b]) { g in
      let (ga, gb) = backward(g, a, b, so)
      return [
        ga?.sumToShape(shapeA).to(dtype: typeA), gb?.sumToShape(shapeB).to(dtype: typeB),
      ]
    }
  }

  /// A zero-dimensional tensor of this tensor's dtype, for tensor-scalar ops (a Swift scalar
  /// does not promote the tensor's dtype, as in PyTorch).
  ///
  /// For a dimensioned bfloat16 or float16 tensor the scalar is a float32 0-d tensor, which
  /// leaves the result half (a 0-d operand of the same category does not promote) and keeps
  /// the value unrounded: PyTorch's kernels compute `x * 0.1` with `0.1` as a float32.
  /// (A 0-d half tensor gets a half scalar, so that the result stays half; `*` and `/`
  /// instead keep a float32 scalar and name the result's dtype, see ``timesScalar(_:)``.)
  func scalarLike(_ value: Double) -> Tensor {
    if dtype.isReducedPrecision && rank > 0 { return Tensor.full([], value, dtype: .float32) }
    return Tensor.full([], value, dtype: dtype.isFloatingPoint ? dtype : .float32)
  }

  public static func + (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, AddOp(), "add", "AddBackward0") { g, _, _, _ in (g, g) }
  }
  public static func - (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, SubOp(), "sub", "SubBackward0") { g, _, _, _ in (g, -g) }
  }
  public static func * (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, MulOp(), "mul", "MulBackward0") { g, a, b, _ in
      (g * b, g * a)
    }
  }
  public static func / (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, DivOp(), "div", "DivBackward0") { g, a, b, _ in (g / b, -(g * a) / (b * b)) }
  }

  public static func + (a: Tensor, b: Double) -> Tensor { a + a.scalarLike(b) }
  public static func + (a: Double, b: Tensor) -> Tensor { b.scalarLike(a) + b }
  public static func - (a: Tensor, b: Double) -> Tensor { a - a.scalarLike(b) }
  /// `a - b` for a scalar `a` (`torch.rsub`, node `RsubBackward1`).
  public static func - (a: Double, b: Tensor) -> Tensor {
    binary(b.scalarLike(a), b, SubOp(), "sub", "RsubBackward1") { g, _, _, _ in (nil, -g) }
  }
  public static func * (a: Tensor, b: Double) -> Tensor { a.timesScalar(b) }
  public static func * (a: Double, b: Tensor) -> Tensor { b.timesScalar(a) }
  public static func / (a: Tensor, b: Double) -> Tensor {
    guard a.dtype.isReducedPrecision && a.rank == 0 else { return a / a.scalarLike(b) }
    // As `timesScalar`: a 0-d half tensor divides by the float32 value, result half.
    return binary(a, Tensor.full([], b, dtype: .float32), DivOp(), "div", "DivBackward0", dtype: a.dtype) {
      g, _, b, _ in (g / b, nil)
    }
  }

  /// `self * value`. PyTorch's `mul` reads a Python scalar in float32 ("opmath") for half
  /// tensors, 0-d ones included, and a 0-d half tensor stays half (the scalar is a wrapped
  /// number, which does not promote): here the 0-d case gets a float32 scalar and names the
  /// result's dtype, since two 0-d tensors would promote to float32.
  func timesScalar(_ value: Double) -> Tensor {
    guard dtype.isReducedPrecision && rank == 0 else { return self * scalarLike(value) }
    return Tensor.binary(
      self, Tensor.full([], value, dtype: .float32), MulOp(), "mul", "MulBackward0", dtype: dtype
    ) { g, _, b, _ in (g * b, nil) }
  }
  /// `a / b` for a scalar numerator is `b.reciprocal() * a`, as in PyTorch's
  /// `Tensor.__rtruediv__` (so `2.5 / x` rounds twice, like PyTorch).
  public static func / (a: Double, b: Tensor) -> Tensor { b.reciprocal() * a }

  /// `self + alpha * other` (`torch.add(input, other, alpha=)`), rounded once per element
  /// (a fused multiply-add), as PyTorch does.
  public func add(_ other: Tensor, alpha: Double = 1) -> Tensor {
    if alpha == 1 { return self + other }
    let scaled = AddScaledOp(alpha: alpha, roundedTo: resultType(self, other))
    return Tensor.binary(self, other, scaled, "add", "AddBackward0") { g, _, _, _ in
      (g, g * alpha)
    }
  }

  /// `self - alpha * other` (`torch.sub(input, other, alpha=)`), one fused multiply-add.
  public func sub(_ other: Tensor, alpha: Double = 1) -> Tensor {
    if alpha == 1 { return self - other }
    let scaled = AddScaledOp(alpha: -alpha, roundedTo: resultType(self, other))
    return Tensor.binary(self, other, scaled, "sub", "SubBackward0") { g, _, _, _ in
      (g, g * -alpha)
    }
  }

  /// Elementwise power with a tensor exponent (`torch.pow(input, exponent)`).
  public func pow(_ exponent: Tensor) -> Tensor {
    Tensor.binary(self, exponent, PowOp(), "pow", "PowBackward1", savesOutput: true) { g, a, b, out in
      (
        g * b * Tensor.zipped(a, b - 1, PowOp(), name: "pow"),
        g * out! * Tensor.zipped(a, b, PowExponentGradOp(), name: "pow")
      )
    }
  }

  /// Elementwise maximum with NaN propagation (`torch.maximum`). Ties split the gradient.
  public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    binary(a, b, MaximumOp(), "maximum", "MaximumBackward0") { g, a, b, _ in
      (
        g * zipped(a, b, WinnerShareOp(takesLarger: true), name: "maximum"),
        g * zipped(b, a, WinnerShareOp(takesLarger: true), name: "maximum")
      )
    }
  }

  /// Elementwise minimum with NaN propagation (`torch.minimum`). Ties split the gradient.
  public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
    binary(a, b, MinimumOp(), "minimum", "MinimumBackward0") { g, a, b, _ in
      (
        g * zipped(a, b, WinnerShareOp(takesLarger: false), name: "minimum"),
        g * zipped(b, a, WinnerShareOp(takesLarger: false), name: "minimum")
      )
    }
  }

  /// `torch.maximum` against a scalar.
  public static func maximum(_ a: Tensor, _ b: Double) -> Tensor { maximum(a, a.scalarLike(b)) }
  /// `torch.minimum` against a scalar.
  public static func minimum(_ a: Tensor, _ b: Double) -> Tensor { minimum(a, a.scalarLike(b)) }
}
