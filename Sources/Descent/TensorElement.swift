/// Swift types that tensor elements can be read as and written from: `Float`, `Double`,
/// `Int`, `Bool` and `UInt8`. Conversions follow PyTorch's `to(dtype)`: floats truncate toward zero
/// when converted to `Int`, and any non-zero value is `true`.
public protocol TensorElement {
  /// The dtype whose storage holds `Self` directly.
  static var naturalDType: DType { get }
  init(elementValue: Double)
  var elementValue: Double { get }
}

extension Float: TensorElement {
  public static var naturalDType: DType { .float32 }
  @inline(__always) public init(elementValue: Double) { self = Float(elementValue) }
  @inline(__always) public var elementValue: Double { Double(self) }
}

extension Double: TensorElement {
  public static var naturalDType: DType { .float64 }
  @inline(__always) public init(elementValue: Double) { self = elementValue }
  @inline(__always) public var elementValue: Double { self }
}

extension Int: TensorElement {
  public static var naturalDType: DType { .int64 }
  @inline(__always) public init(elementValue: Double) {
    self = elementValue.isFinite ? Int(elementValue.rounded(.towardZero)) : Int.min
  }
  @inline(__always) public var elementValue: Double { Double(self) }
}

extension Bool: TensorElement {
  public static var naturalDType: DType { .bool }
  @inline(__always) public init(elementValue: Double) { self = elementValue != 0 }
  @inline(__always) public var elementValue: Double { self ? 1 : 0 }
}

extension UInt8: TensorElement {
  public static var naturalDType: DType { .uint8 }
  /// Truncates toward zero and wraps modulo 256, as PyTorch's `to(torch.uint8)` does for
  /// values in the range of `int64`.
  @inline(__always) public init(elementValue: Double) {
    self = UInt8(truncatingIfNeeded: Int(elementValue: elementValue))
  }
  @inline(__always) public var elementValue: Double { Double(self) }
}
