/// A JSON number as serde_json (1.x, default features) reads it: the reference reader's
/// parser, whose rules decide which headers are valid.
enum SerdeNumber {
  /// A non-negative integer literal that fits 64 bits: the only kind a shape or an offset
  /// may be.
  case unsigned(UInt64)
  /// A negative integer literal that fits 64 bits.
  case signed(Int64)
  /// Anything else: a fraction, an exponent, `-0`, or an integer too long for 64 bits.
  case float(Double)
}

/// serde_json's powers of ten, `1e0` through `1e308`, each the correctly rounded literal.
private let powersOfTen: [Double] = (0...308).map { Double("1e\($0)")! }

extension SafetensorsHeaderScanner {
  /// Reads a number at the current byte (a digit or `-`) exactly as serde_json does without
  /// its `float_roundtrip` feature: a 64-bit significand, extra digits dropped, scaled by
  /// one power of ten. Throws where serde_json does: a leading zero, a missing digit, or a
  /// value that is infinite in that arithmetic ("number out of range").
  mutating func scanNumber() throws -> SerdeNumber {
    var positive = true
    if peek == UInt8(ascii: "-") {
      positive = false
      position += 1
    }
    guard let first = peek else { throw syntax("EOF while parsing a value") }
    position += 1
    switch first {
    case UInt8(ascii: "0"):
      if let next = peek, isDigit(next) { throw syntax("invalid number") }
      return try numberAfterInteger(positive: positive, significand: 0)
    case UInt8(ascii: "1")...UInt8(ascii: "9"):
      var significand = UInt64(first - UInt8(ascii: "0"))
      while let c = peek, isDigit(c) {
        let digit = UInt64(c - UInt8(ascii: "0"))
        if overflows(significand, digit, UInt64.max) {
          return .float(try longInteger(positive: positive, significand: significand))
        }
        position += 1
        significand = significand * 10 + digit
      }
      return try numberAfterInteger(positive: positive, significand: significand)
    default:
      position -= 1
      throw syntax("invalid number")
    }
  }

  private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

  /// serde_json's `overflow!(a * 10 + b, max)`.
  private func overflows<T: FixedWidthInteger>(_ a: T, _ b: T, _ max: T) -> Bool {
    a >= max / 10 && (a > max / 10 || b > max % 10)
  }

  private mutating func numberAfterInteger(positive: Bool, significand: UInt64) throws -> SerdeNumber {
    switch peek {
    case UInt8(ascii: "."):
      return .float(try decimal(positive: positive, significand: significand, exponentBefore: 0))
    case UInt8(ascii: "e"), UInt8(ascii: "E"):
      return .float(try exponent(positive: positive, significand: significand, startingExponent: 0))
    default:
      if positive { return .unsigned(significand) }
      let negated = Int64(bitPattern: significand) &* -1
      // serde_json turns `-0` and integers below Int64.min into floats.
      return negated >= 0 ? .float(-Double(significand)) : .signed(negated)
    }
  }

  private mutating func decimal(positive: Bool, significand start: UInt64, exponentBefore: Int32) throws
    -> Double
  {
    position += 1  // the '.'
    var significand = start
    var exponentAfter: Int32 = 0
    while let c = peek, isDigit(c) {
      let digit = UInt64(c - UInt8(ascii: "0"))
      if overflows(significand, digit, UInt64.max) {
        // Further digits are dropped.
        while let d = peek, isDigit(d) { position += 1 }
        return try exponentOrValue(
          positive: positive, significand: significand, exponent: exponentBefore &+ exponentAfter)
      }
      position += 1
      significand = significand * 10 + digit
      exponentAfter -= 1
    }
    if exponentAfter == 0 {
      throw syntax(peek == nil ? "EOF while parsing a value" : "invalid number")
    }
    return try exponentOrValue(
      positive: positive, significand: significand, exponent: exponentBefore &+ exponentAfter)
  }

  private mutating func exponentOrValue(positive: Bool, significand: UInt64, exponent e: Int32) throws
    -> Double
  {
    if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
      return try exponent(positive: positive, significand: significand, startingExponent: e)
    }
    return try fromParts(positive: positive, significand: significand, exponent: e)
  }

  private mutating func exponent(positive: Bool, significand: UInt64, startingExponent: Int32) throws
    -> Double
  {
    position += 1  // the 'e'
    var positiveExponent = true
    if peek == UInt8(ascii: "+") {
      position += 1
    } else if peek == UInt8(ascii: "-") {
      position += 1
      positiveExponent = false
    }
    guard let first = peek else { throw syntax("EOF while parsing a value") }
    position += 1
    guard isDigit(first) else { throw syntax("invalid number") }
    var value = Int32(first - UInt8(ascii: "0"))
    while let c = peek, isDigit(c) {
      position += 1
      let digit = Int32(c - UInt8(ascii: "0"))
      if overflows(value, digit, Int32.max) {
        // An exponent past Int32: infinity is an error, zero is zero.
        if significand != 0 && positiveExponent { throw syntax("number out of range") }
        while let d = peek, isDigit(d) { position += 1 }
        return positive ? 0.0 : -0.0
      }
      value = value * 10 + digit
    }
    let (sum, overflow) =
      positiveExponent
      ? startingExponent.addingReportingOverflow(value)
      : startingExponent.subtractingReportingOverflow(value)
    let final = overflow ? (positiveExponent ? Int32.max : Int32.min) : sum
    return try fromParts(positive: positive, significand: significand, exponent: final)
  }

  /// An integer with more digits than 64 bits hold: the extra digits scale by ten.
  private mutating func longInteger(positive: Bool, significand: UInt64) throws -> Double {
    var e: Int32 = 0
    while let c = peek {
      if isDigit(c) {
        position += 1
        e += 1
      } else if c == UInt8(ascii: ".") {
        return try decimal(positive: positive, significand: significand, exponentBefore: e)
      } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
        return try exponent(positive: positive, significand: significand, startingExponent: e)
      } else {
        break
      }
    }
    return try fromParts(positive: positive, significand: significand, exponent: e)
  }

  /// serde_json's `f64_from_parts`: one multiplication or division by a power of ten.
  private mutating func fromParts(positive: Bool, significand: UInt64, exponent start: Int32) throws
    -> Double
  {
    var f = Double(significand)
    var e = start
    while true {
      let magnitude = e == Int32.min ? Int(Int32.max) + 1 : Int(abs(e))
      if magnitude < powersOfTen.count {
        if e >= 0 {
          f *= powersOfTen[magnitude]
          if f.isInfinite { throw syntax("number out of range") }
        } else {
          f /= powersOfTen[magnitude]
        }
        break
      }
      if f == 0 { break }
      if e >= 0 { throw syntax("number out of range") }
      f /= 1e308
      e += 308
    }
    return positive ? f : -f
  }
}
