/// The element types of the safetensors format (0.8), in the reference's declaration order,
/// which is also its order of alignment: files sort their tensors by it, largest first.
enum SafetensorsDType: UInt8, CaseIterable, Comparable {
  case bool, f4, f6E2M3, f6E3M2, u8, i8, f8E5M2, f8E4M3, f8E8M0, f8E4M3FNUZ, f8E5M2FNUZ
  case i16, u16, f16, bf16, i32, u32, f32, c64, f64, i64, u64

  /// The name in the header (`"F32"`).
  var name: String { Self.names[Int(rawValue)] }

  private static let names = [
    "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
    "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64",
  ]

  private static let byName: [String: SafetensorsDType] = Dictionary(
    uniqueKeysWithValues: allCases.map { ($0.name, $0) })

  /// The type named `name` exactly (case matters, as in the reference).
  init?(name: String) {
    // A dictionary lookup compares canonically; the reference compares bytes, and every
    // name is ASCII, so a byte check settles it.
    guard let found = Self.byName[name], found.name.utf8.elementsEqual(name.utf8) else { return nil }
    self = found
  }

  /// Bits per element (4 for `F4`, 6 for the `F6` types).
  var bits: UInt64 {
    switch self {
    case .f4: 4
    case .f6E2M3, .f6E3M2: 6
    case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: 8
    case .i16, .u16, .f16, .bf16: 16
    case .i32, .u32, .f32: 32
    case .c64, .f64, .i64, .u64: 64
    }
  }

  /// The Descent type that holds it, or `nil` when Descent has none.
  var descentType: DType? {
    switch self {
    case .f32: .float32
    case .f64: .float64
    case .i64: .int64
    case .bool: .bool
    case .u8: .uint8
    case .bf16: .bfloat16
    case .f16: .float16
    default: nil
    }
  }

  /// The safetensors type of a Descent type.
  init(_ dtype: DType) {
    switch dtype {
    case .float32: self = .f32
    case .float64: self = .f64
    case .int64: self = .i64
    case .bool: self = .bool
    case .uint8: self = .u8
    case .bfloat16: self = .bf16
    case .float16: self = .f16
    }
  }

  static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}
