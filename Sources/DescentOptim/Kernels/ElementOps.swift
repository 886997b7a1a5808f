import Descent

/// PyTorch's in-place tensor operations on one element, rounded where PyTorch's x86-64 CPU
/// kernels round, for the reference rules. PyTorch's builds contract `add_` with `alpha`,
/// `addcmul_` and `lerp_` into fused multiply-adds (one rounding of `a·b + c`); `addcdiv_`
/// and the plain operations round each step. The fused C kernels make the same roundings
/// (`DESCENT_FMA`), which is why they are bitwise equal to the references.
enum ElementOps {
  /// `x.add_(other, alpha=alpha)`: `x + alpha·other`, rounded once.
  @inline(__always)
  static func add<T: TensorScalar>(_ x: T, _ other: T, alpha: T) -> T {
    x.addingProduct(alpha, other)
  }

  /// `start.lerp_(end, weight)`, with PyTorch's two formulas: `start + w·(end - start)` for
  /// |w| < 0.5, else `end - (end - start)·(1 - w)`, each rounded once.
  @inline(__always)
  static func lerp<T: TensorScalar>(_ start: T, _ end: T, weight: T) -> T {
    Swift.abs(weight) < 0.5
      ? start.addingProduct(weight, end - start) : end.addingProduct(weight - 1, end - start)
  }

  /// `x.addcmul_(t1, t2, value=value)`: `x + (value·t1)·t2`, the sum rounded once.
  @inline(__always)
  static func addcmul<T: TensorScalar>(_ x: T, _ t1: T, _ t2: T, value: T) -> T {
    x.addingProduct(value * t1, t2)
  }

  /// `x.addcdiv_(t1, t2, value=value)`: `x + (value·t1)/t2`, each operation rounded.
  @inline(__always)
  static func addcdiv<T: TensorScalar>(_ x: T, _ t1: T, _ t2: T, value: T) -> T {
    x + value * t1 / t2
  }

  /// `torch.maximum(a, b)`: NaN in either operand gives NaN.
  @inline(__always)
  static func maximum<T: TensorScalar>(_ a: T, _ b: T) -> T {
    (a.isNaN || a > b) ? a : b
  }

  /// `x.sign()`: 1, -1 or 0, computed as PyTorch's CPU kernel does, `(0 < x) - (x < 0)`:
  /// NaN and -0 give +0.
  @inline(__always)
  static func sign<T: TensorScalar>(_ x: T) -> T {
    x > 0 ? 1 : (x < 0 ? -1 : 0)
  }

  /// `x.clamp_(lo, hi)`: `min(max(x, lo), hi)`, so NaN stays NaN and `lo > hi` gives `hi`.
  @inline(__always)
  static func clamp<T: TensorScalar>(_ x: T, _ lo: T, _ hi: T) -> T {
    let raised = x < lo ? lo : x
    return hi < raised ? hi : raised
  }
}
