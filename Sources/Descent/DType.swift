/// The element type of a ``Tensor``.
///
/// `float32` is the default, as in PyTorch. `int64` and `bool` exist for indices
/// (`argmax`, `randint`, `randperm`, class targets) and masks (comparisons, `where`);
/// arithmetic, reductions and autograd are defined for the floating types only.
///
/// `bfloat16` and `float16` are stored in 16 bits and computed in float32 (PyTorch's
/// "opmath"): each op widens its operands, computes in float32 and rounds its result once,
/// to nearest even, as PyTorch's CPU kernels do.
///
/// `uint8` is storage only (the codes of 8-bit optimizer state): it is created, copied,
/// converted, read back and saved, but has no arithmetic, reductions or autograd.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
  case float32
  case float64
  case int64
  case bool
  case uint8
  /// Brain floating point: float32's exponent with 8 significand bits (`torch.bfloat16`).
  case bfloat16
  /// IEEE 754 half precision (`torch.float16`).
  case float16

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .float32: 4
    case .float64: 8
    case .int64: 8
    case .bool: 1
    case .uint8: 1
    case .bfloat16, .float16: 2
    }
  }

  /// Whether arithmetic and autograd are defined for this type.
  public var isFloatingPoint: Bool { self == .float32 || self == .float64 || isReducedPrecision }

  /// Whether this is a 16-bit floating type (`bfloat16`, `float16`), stored in 16 bits and
  /// computed in float32.
  public var isReducedPrecision: Bool { self == .bfloat16 || self == .float16 }

  /// PyTorch's spelling, `torch.float32` (what `print(t.dtype)` shows in PyTorch); the
  /// Swift case name, `float32`, is `rawValue`.
  ///
  /// Kept on purpose: a tensor's `description` (PyTorch's `repr`, `dtype=torch.float64`) and
  /// the messages copied from PyTorch interpolate the dtype, and code that compares
  /// `"\(t.dtype)"` with PyTorch's `str(t.dtype)` (as the collate tests do with PyTorch's
  /// fixtures) keeps working.
  public var description: String { "torch." + rawValue }

  /// PyTorch's type promotion (`torch.promote_types`): the wider floating type wins, a
  /// floating type wins over `int64` and `bool`, and `bfloat16` with `float16` gives
  /// `float32` (neither holds the other).
  static func promoted(_ a: DType, _ b: DType) -> DType {
    if a == b { return a }
    if a == .float64 || b == .float64 { return .float64 }
    if a == .float32 || b == .float32 { return .float32 }
    if a == .bool && b == .uint8 || a == .uint8 && b == .bool { return .uint8 }
    if a.isReducedPrecision && b.isReducedPrecision { return .float32 }
    if a.isReducedPrecision { return a }
    if b.isReducedPrecision { return b }
    return .int64
  }
}
