import RealModule

// Each op's forward kernel sits beside its backward rule. Backward closures save results
// through `detach()` so that an output never retains its own graph node.

struct NegOp: UnaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T) -> T { -x } }
struct ExpOp: UnaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T) -> T { T.exp(x) } }
struct LogOp: UnaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T) -> T { T.log(x) } }
struct Log1pOp: UnaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T) -> T { T.log(onePlus: x) }
}
struct SqrtOp: UnaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T) -> T { x.squareRoot() } }
struct RsqrtOp: UnaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T) -> T { 1 / x.squareRoot() }
  /// c10's `std::sqrt` of a half value returns the half type: the root is rounded first.
  func halfScalarForm(_ dtype: DType) -> ((Float) -> Float)? {
    { x in 1 / dtype.rounding(x.squareRoot()) }
  }
}
struct AbsOp: UnaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T) -> T { Swift.abs(x) } }
struct SignOp: UnaryScalarOp {
  // PyTorch's `(0 < x) - (x < 0)`: NaN gives 0.
  func callAsFunction<T: TensorScalar>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}
struct ReciprocalOp: UnaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T) -> T { 1 / x } }
struct SigmoidOp: UnaryScalarOp {
  // PyTorch's formula. For x below about -88 (float32) exp(-x) overflows and the result
  // is 0 where the true value is subnormal, exactly as in PyTorch.
  func callAsFunction<T: TensorScalar>(_ x: T) -> T { 1 / (1 + T.exp(-x)) }
}
struct TanhOp: UnaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T) -> T { T.tanh(x) } }
struct ReLUOp: UnaryScalarOp {
  // NaN stays NaN, as in PyTorch.
  func callAsFunction<T: TensorScalar>(_ x: T) -> T { x < 0 ? 0 : x }
}
struct LeakyReLUOp: UnaryScalarOp {
  let slope: Double
  func callAsFunction<T: TensorScalar>(_ x: T) -> T { x > 0 ? x : x * T(slope) }
}
struct ClampOp: UnaryScalarOp {
  let low: Double
  let high: Double
  func callAsFunction<T: TensorScalar>(_ x: T) -> T {
    if x.isNaN { return x }
    return Swift.min(Swift.max(x, T(low)), T(high))
  }
}
struct PowScalarOp: UnaryScalarOp {
  let exponent: Double
  /// The tensor's dtype, for PyTorch's half kernels (computed in float32, `T` = Float).
  var storage: DType = .float64

  // PyTorch's special cases (`pow_tensor_scalar_optimized_kernel`): small integer and
  // half-integer exponents are products, square roots and reciprocals, not `pow`.
  func callAsFunction<T: TensorScalar>(_ x: T) -> T {
    if storage.isReducedPrecision { return half(x) }
    switch exponent {
    case 0: return 1
    case 1: return x
    case 2: return x * x
    case 3: return x * x * x
    case 0.5: return x.squareRoot()
    case -0.5: return 1 / x.squareRoot()
    case -1: return 1 / x
    case -2: return 1 / (x * x)
    default: return ieeePow(x, T(exponent))
    }
  }

  /// PyTorch's `pow_tensor_scalar_kernel` on half tensors. bfloat16 runs the special cases
  /// in bfloat16 arithmetic (`x·x·x` and `1/(x·x)` round each product; ±0.5 and -1 are
  /// `sqrt`, `rsqrt` and `reciprocal`); float16 has none of them and calls `pow`. Both cast
  /// any other exponent to the tensor's type first (`pow(x, 0.3)` raises to 0.30078125 in
  /// bfloat16).
  private func half<T: TensorScalar>(_ x: T) -> T {
    func r(_ v: T) -> T { T(storage.rounding(Double(v))) }
    let bfloat = storage == .bfloat16
    switch exponent {
    case 0: return 1
    case 1: return x
    case 2: return x * x
    case 3 where bfloat: return r(x * x) * x
    case -2 where bfloat: return 1 / r(x * x)
    case 0.5 where bfloat: return x.squareRoot()
    case -0.5 where bfloat: return 1 / x.squareRoot()
    case -1: return 1 / x
    // float16's `pow` (SLEEF's, under 1 ulp): x·x is exact in float32, the rest correctly
    // rounded through Double.
    case 3, -2, -0.5:
      return T(ieeePow(Double(x), exponent))
    default: return ieeePow(x, T(storage.rounding(exponent)))
    }
  }

  func halfScalarForm(_ dtype: DType) -> ((Float) -> Float)? {
    // bfloat16's -0.5 is `rsqrt`, whose scalar loop rounds the root first.
    guard dtype == .bfloat16 && exponent == -0.5 else { return nil }
    return RsqrtOp().halfScalarForm(dtype)
  }
}
struct SinOp: UnaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T) -> T { T.sin(x) } }
struct CosOp: UnaryScalarOp { func callAsFunction<T: TensorScalar>(_ x: T) -> T { T.cos(x) } }
struct GELUOp: UnaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T) -> T {
    x * T(0.5) * (1 + T.erf(x * T(0.5).squareRoot()))
  }
}
/// `Φ(x) + x·φ(x)`, as PyTorch's `gelu_backward` writes it: φ(x) = β·exp(x·x·(-0.5)) with
/// β = (2/√π)·(1/√2)·0.5 rounded to `T` once.
struct GELUGradOp: UnaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T) -> T {
    let beta = T(1.1283791670955126 * 0.7071067811865476 * 0.5)  // M_2_SQRTPI * M_SQRT1_2 * 0.5
    let cdf = T(0.5) * (1 + T.erf(x * T(0.5).squareRoot()))
    let pdf = beta * T.exp(x * x * T(-0.5))
    return cdf + x * pdf
  }
}
/// ReLU's backward in one pass, as PyTorch's `threshold_backward(grad, result, 0)`: the
/// gradient where the result is above the threshold, else 0 (a NaN result passes it).
struct ThresholdBackwardOp: BinaryScalarOp {
  let threshold: Double
  func callAsFunction<T: TensorScalar>(_ g: T, _ y: T) -> T { y <= T(threshold) ? 0 : g }
}
/// Leaky ReLU's backward in one pass (`leaky_relu_backward`): `g` where `x > 0`, else
/// `g · slope`.
struct LeakyReLUBackwardOp: BinaryScalarOp {
  let slope: Double
  func callAsFunction<T: TensorScalar>(_ g: T, _ x: T) -> T { x > 0 ? g : g * T(slope) }
}
struct ClampMaskOp: UnaryScalarOp {
  let low: Double
  let high: Double
  func callAsFunction<T: TensorScalar>(_ x: T) -> T { x >= T(low) && x <= T(high) ? 1 : 0 }
}

extension Tensor {
  /// Runs `op` and records `backward(g, x, y)`. The input `x` is kept as it is (an input
  /// can't hold its consumer's node); the output `y` is kept, detached, only by the ops
  /// whose gradient needs it (`savesOutput`), so that the others allocate no extra tensor.
  private func unary<Op: UnaryScalarOp>(
    _ op: Op, _ name: String, savesOutput: Bool = false,
    backward: @escaping (_ g: Tensor, _ x: Tensor, _ y: Tensor?) -> Tensor
  ) -> Tensor {
    let out = mapped(op, name: name)
    guard GradMode.isEnabled, requiresGrad else { return out }
    let y = savesOutput ? out.detach() : nil
    return out.recording(name, [self]) { [self] g in [backward(g, self, y)] }
  }

  /// `exp(x)`.
  public func exp() -> Tensor { unary(ExpOp(), "ExpBackward0", savesOutput: true) { g, _, y in g * y! } }
  /// Natural logarithm.
  public func log() -> Tensor { unary(LogOp(), "LogBackward0") { g, x, _ in g / x } }
  /// `log(1 + x)`, accurate near zero.
  public func log1p() -> Tensor { unary(Log1pOp(), "Log1PBackward0") { g, x, _ in g / (x + 1) } }
  /// Square root.
  public func sqrt() -> Tensor {
    unary(SqrtOp(), "SqrtBackward0", savesOutput: true) { g, _, y in g / (y! * 2) }
  }
  /// `1 / sqrt(x)`.
  public func rsqrt() -> Tensor {
    unary(RsqrtOp(), "RsqrtBackward0", savesOutput: true) { g, _, y in g * y!.pow(3) * -0.5 }
  }
  /// `1 / x` (`reciprocal`).
  public func reciprocal() -> Tensor {
    unary(ReciprocalOp(), "ReciprocalBackward0", savesOutput: true) { g, _, y in -(g * y! * y!) }
  }
  /// Absolute value.
  public func abs() -> Tensor { unary(AbsOp(), "AbsBackward0") { g, x, _ in g * x.sign() } }
  /// `-1`, `0` or `1` by sign; its gradient is zero.
  public func sign() -> Tensor {
    unary(SignOp(), "SignBackward0") { g, _, _ in Tensor.zerosLike(g) }
  }
  /// Logistic sigmoid `1 / (1 + exp(-x))`.
  public func sigmoid() -> Tensor {
    // PyTorch's sigmoid_backward: g · (1 - y) · y, in that order; its bfloat16 kernel
    // computes in float32, its float16 kernel rounds each op.
    unary(SigmoidOp(), "SigmoidBackward0", savesOutput: true) { g, _, y in
      g.dtype == .float16 ? g * (1 - y!) * y! : Tensor.fusedBackward(g, y!) { g, y in g * (1 - y) * y }
    }
  }
  /// Hyperbolic tangent.
  public func tanh() -> Tensor {
    unary(TanhOp(), "TanhBackward0", savesOutput: true) { g, _, y in
      Tensor.fusedBackward(g, y!) { g, y in g * (1 - y * y) }
    }
  }
  /// `max(x, 0)`.
  public func relu() -> Tensor {
    unary(ReLUOp(), "ReluBackward0", savesOutput: true) { g, _, y in
      Tensor.zipped(g, y!, ThresholdBackwardOp(threshold: 0), name: "relu")
    }
  }
  /// `x` if `x > 0` else `negativeSlope * x` (`leaky_relu`, default slope 0.01).
  public func leakyRelu(negativeSlope: Double = 0.01) -> Tensor {
    unary(LeakyReLUOp(slope: negativeSlope), "LeakyReluBackward0") { g, x, _ in
      Tensor.zipped(g, x, LeakyReLUBackwardOp(slope: negativeSlope), name: "leaky_relu")
    }
  }
  /// Exact GELU, `x * Φ(x)` (`gelu(approximate='none')`).
  public func gelu() -> Tensor {
    unary(GELUOp(), "GeluBackward0") { g, x, _ in
      Tensor.fusedBackward(g, x) { g, x in g * x.mapped(GELUGradOp(), name: "gelu") }
    }
  }
  /// Sine.
  public func sin() -> Tensor { unary(SinOp(), "SinBackward0") { g, x, _ in g * x.cos() } }
  /// Cosine.
  public func cos() -> Tensor { unary(CosOp(), "CosBackward0") { g, x, _ in -(g * x.sin()) } }

  /// Clamps into `[min, max]`; either bound may be omitted (`clamp`). The gradient passes
  /// where `min <= x <= max`, as in PyTorch.
  public func clamp(min low: Double? = nil, max high: Double? = nil) -> Tensor {
    require(low != nil || high != nil, "torch.clamp: At least one of 'min' or 'max' must not be None")
    let lo = low ?? -.infinity
    let hi = high ?? .infinity
    return unary(ClampOp(low: lo, high: hi), "ClampBackward1") { g, x, _ in
      g * x.mapped(ClampMaskOp(low: lo, high: hi), name: "clamp")
    }
  }

  /// `x ** exponent` for a scalar exponent.
  public func pow(_ exponent: Double) -> Tensor {
    unary(PowScalarOp(exponent: exponent, storage: dtype), "PowBackward0") { g, x, _ in
      // `grad * (exponent * self.pow(exponent - 1))`, PyTorch's order.
      exponent == 0 ? Tensor.zerosLike(g) : g * (x.pow(exponent - 1) * exponent)
    }
  }

  /// `x * x`.
  public func square() -> Tensor { pow(2) }

  /// Negation.
  public static prefix func - (x: Tensor) -> Tensor {
    x.unary(NegOp(), "NegBackward0") { g, _, _ in -g }
  }
}
