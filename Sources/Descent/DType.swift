/// The element type of a ``Tensor``.
///
/// `float32` is the default, as in PyTorch. `int64` and `bool` exist for indices
/// (`argmax`, `randint`, `randperm`, class targets) and masks (comparisons, `where`);
/// arithmetic, reductions and autograd are defined for the floating types only.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
  case float32
  case float64
  case int64
  case bool

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .float32: 4
    case .float64: 8
    case .int64: 8
    case .bool: 1
    }
  }

  /// Whether arithmetic and autograd are defined for this type.
  public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

  /// The case name, as Swift prints an enum: `float32`, `float64`, `int64`, `bool`.
  ///
  /// PyTorch prints `torch.float32`; that spelling is ``torchName``, which the messages
  /// copied from PyTorch and a tensor's `description` (PyTorch's `repr`) use.
  public var description: String { rawValue }

  /// PyTorch's name of the dtype: `torch.float32`, `torch.float64`, `torch.int64`,
  /// `torch.bool`.
  public var torchName: String { "torch." + rawValue }

  /// PyTorch's type promotion for two floating operands: the wider one wins.
  static func promoted(_ a: DType, _ b: DType) -> DType {
    if a == b { return a }
    if a == .float64 || b == .float64 { return .float64 }
    if a == .float32 || b == .float32 { return .float32 }
    return .int64
  }
}
