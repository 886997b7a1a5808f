/// A JSON value as the fixture generators in `scripts/` write it.
///
/// JSON has no NaN or infinities: the generators write them as the strings `"nan"`, `"inf"`
/// and `"-inf"`, which ``number`` and ``double`` read back as numbers.
public enum JSON: Decodable, Sendable {
  case number(Double)
  case string(String)
  case bool(Bool)
  case array([JSON])
  case object([String: JSON])
  case null

  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let d = try? c.decode(Double.self) {
      self = .number(d)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSON].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSON].self))
    }
  }

  // MARK: Optional readers: nil when the value has another type

  /// A number, or a number written as a string (`"nan"`, `"inf"`, `"-inf"`).
  public var number: Double? {
    switch self {
    case .number(let d): d
    case .string(let s): Double(s)
    default: nil
    }
  }
  public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
  /// An array of numbers.
  public var doubles: [Double]? {
    if case .array(let a) = self { a.compactMap(\.number) } else { nil }
  }
  public var isNull: Bool { if case .null = self { true } else { false } }
  /// The member `key` of an object; nil for a missing key or a value that isn't an object.
  public subscript(key: String) -> JSON? {
    guard case .object(let o) = self else { return nil }
    return o[key]
  }

  // MARK: Readers that stop on a value of another type (the fixture is malformed)

  /// A number (a bool reads as 0 or 1).
  public var double: Double {
    if case .bool(let b) = self { return b ? 1 : 0 }
    guard let number else { fatalError("fixture value is not a number: \(self)") }
    return number
  }
  public var int: Int { Int(double) }
  public var array: [JSON] {
    guard case .array(let a) = self else { fatalError("fixture value is not an array: \(self)") }
    return a
  }
  public var ints: [Int] { array.map(\.int) }
  public var string: String {
    guard case .string(let s) = self else { fatalError("fixture value is not a string: \(self)") }
    return s
  }
}
