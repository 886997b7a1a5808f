/// A byte-level JSON scanner over a safetensors header with serde_json's rules: RFC 8259
/// strictly (whitespace is space, tab, newline and return; no comments, trailing commas or
/// leading zeros; control characters must be escaped; escaped surrogates must pair), and at
/// most 127 levels of nesting. It builds no document: callers read the values they need and
/// skip the rest, so memory stays proportional to what they keep.
///
/// The header has already been checked to be UTF-8, so unescaped bytes are copied as they
/// are and names come back byte for byte.
struct SafetensorsHeaderScanner {
  let bytes: UnsafeRawBufferPointer
  var position = 0
  /// Open arrays and objects, the header's own object included.
  private var depth = 0
  /// serde_json's recursion limit: the 128th nested level is an error.
  static let depthLimit = 128

  init(_ bytes: UnsafeRawBufferPointer, position: Int = 0, depth: Int = 0) {
    self.bytes = bytes
    self.position = position
    self.depth = depth
  }

  var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

  func syntax(_ reason: String) -> SafetensorsError {
    .invalidJSON(reason: reason, offset: position)
  }

  /// Skips whitespace and returns the next byte without consuming it.
  mutating func peekValue() -> UInt8? {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x0A, 0x09, 0x0D: position += 1
      default: return bytes[position]
      }
    }
    return nil
  }

  // MARK: Containers

  /// Consumes `[` or `{` and enters one level.
  mutating func enter() throws {
    depth += 1
    if depth >= Self.depthLimit { throw syntax("recursion limit exceeded") }
    position += 1
  }

  /// Moves to the next element of an array whose `[` was consumed: `true` when one
  /// follows, `false` after the closing `]`.
  mutating func nextElement(first: inout Bool) throws -> Bool {
    guard var c = peekValue() else { throw syntax("EOF while parsing a list") }
    if c == UInt8(ascii: "]") {
      position += 1
      depth -= 1
      return false
    }
    if !first {
      guard c == UInt8(ascii: ",") else { throw syntax("expected `,` or `]`") }
      position += 1
      guard let d = peekValue() else { throw syntax("EOF while parsing a value") }
      if d == UInt8(ascii: "]") { throw syntax("trailing comma") }
      c = d
    }
    first = false
    return true
  }

  /// Moves to the next key of an object whose `{` was consumed and reads it, with the
  /// colon after it: the key (decoded when `decode`, else empty), or `nil` after the
  /// closing `}`. `keyStart` is the offset of the key's opening quote.
  mutating func nextKey(first: inout Bool, decode: Bool, keyStart: inout Int) throws -> String? {
    guard var c = peekValue() else { throw syntax("EOF while parsing an object") }
    if c == UInt8(ascii: "}") {
      position += 1
      depth -= 1
      return nil
    }
    if !first {
      guard c == UInt8(ascii: ",") else { throw syntax("expected `,` or `}`") }
      position += 1
      guard let d = peekValue() else { throw syntax("EOF while parsing a value") }
      if d == UInt8(ascii: "}") { throw syntax("trailing comma") }
      c = d
    }
    first = false
    guard c == UInt8(ascii: "\"") else { throw syntax("key must be a string") }
    keyStart = position
    let key = try scanString(decode: decode) ?? ""
    guard let colon = peekValue() else { throw syntax("EOF while parsing an object") }
    guard colon == UInt8(ascii: ":") else { throw syntax("expected `:`") }
    position += 1
    return key
  }

  // MARK: Values

  /// Skips one value of any kind, checking its syntax.
  mutating func skipValue() throws {
    guard let c = peekValue() else { throw syntax("EOF while parsing a value") }
    switch c {
    case UInt8(ascii: "n"): try literal("null")
    case UInt8(ascii: "t"): try literal("true")
    case UInt8(ascii: "f"): try literal("false")
    case UInt8(ascii: "\""): _ = try scanString(decode: false)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try scanNumber()
    case UInt8(ascii: "["):
      try enter()
      var first = true
      while try nextElement(first: &first) { try skipValue() }
    case UInt8(ascii: "{"):
      try enter()
      var first = true
      var keyStart = 0
      while try nextKey(first: &first, decode: false, keyStart: &keyStart) != nil { try skipValue() }
    default:
      throw syntax("expected value")
    }
  }

  /// Consumes `word` (`null`, `true`, `false`).
  mutating func literal(_ word: StaticString) throws {
    let count = word.utf8CodeUnitCount
    for i in 0..<count {
      guard position < bytes.count else { throw syntax("EOF while parsing a value") }
      guard bytes[position] == word.utf8Start[i] else { throw syntax("expected ident") }
      position += 1
    }
  }

  /// Reads a string at its opening quote. Returns the decoded text when `decode`, else
  /// `nil` (the string is still checked).
  mutating func scanString(decode: Bool) throws -> String? {
    position += 1
    let start = position
    var decoded: [UInt8]? = nil
    var plainStart = start
    while true {
      guard position < bytes.count else { throw syntax("EOF while parsing a string") }
      let b = bytes[position]
      if b == UInt8(ascii: "\"") {
        let end = position
        position += 1
        guard decode else { return nil }
        if var decoded {
          decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[plainStart..<end]))
          return String(decoding: decoded, as: UTF8.self)
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
      }
      if b < 0x20 { throw syntax("control character (\\u0000-\\u001F) found while parsing a string") }
      guard b == UInt8(ascii: "\\") else {
        position += 1
        continue
      }
      if decode {
        if decoded == nil { decoded = [] }
        decoded!.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[plainStart..<position]))
      }
      position += 1
      guard position < bytes.count else { throw syntax("EOF while parsing a string") }
      let escape = bytes[position]
      position += 1
      var scalar: Unicode.Scalar
      switch escape {
      case UInt8(ascii: "\""): scalar = "\""
      case UInt8(ascii: "\\"): scalar = "\\"
      case UInt8(ascii: "/"): scalar = "/"
      case UInt8(ascii: "b"): scalar = "\u{08}"
      case UInt8(ascii: "f"): scalar = "\u{0C}"
      case UInt8(ascii: "n"): scalar = "\n"
      case UInt8(ascii: "r"): scalar = "\r"
      case UInt8(ascii: "t"): scalar = "\t"
      case UInt8(ascii: "u"):
        let unit = try hexUnit()
        switch unit {
        case 0xD800...0xDBFF:
          // A leading surrogate must be followed by an escaped trailing one.
          guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
            bytes[position + 1] == UInt8(ascii: "u")
          else { throw syntax("unexpected end of hex escape") }
          position += 2
          let low = try hexUnit()
          guard (0xDC00...0xDFFF).contains(low) else { throw syntax("lone leading surrogate in hex escape") }
          scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
        case 0xDC00...0xDFFF:
          throw syntax("lone leading surrogate in hex escape")
        default:
          scalar = Unicode.Scalar(unit)!
        }
      default:
        throw syntax("invalid escape")
      }
      if decode { UTF8.encode(scalar) { decoded!.append($0) } }
      plainStart = position
    }
  }

  private mutating func hexUnit() throws -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard position < bytes.count else { throw syntax("EOF while parsing a string") }
      let c = bytes[position]
      let digit: UInt32
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
      default: throw syntax("invalid escape")
      }
      value = value * 16 + digit
      position += 1
    }
    return value
  }
}

/// The offset of the first byte that makes `bytes` invalid UTF-8 (overlong forms,
/// surrogates and values past U+10FFFF included, as Rust's `str::from_utf8` rejects them),
/// or `nil` when it is valid.
func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
  var i = 0
  let n = bytes.count
  while i < n {
    let b0 = bytes[i]
    if b0 < 0x80 {
      i += 1
      continue
    }
    func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
      i + k < n && range.contains(bytes[i + k])
    }
    switch b0 {
    case 0xC2...0xDF:
      guard continuation(1) else { return i }
      i += 2
    case 0xE0:
      guard continuation(1, 0xA0...0xBF), continuation(2) else { return i }
      i += 3
    case 0xE1...0xEC, 0xEE...0xEF:
      guard continuation(1), continuation(2) else { return i }
      i += 3
    case 0xED:
      guard continuation(1, 0x80...0x9F), continuation(2) else { return i }
      i += 3
    case 0xF0:
      guard continuation(1, 0x90...0xBF), continuation(2), continuation(3) else { return i }
      i += 4
    case 0xF1...0xF3:
      guard continuation(1), continuation(2), continuation(3) else { return i }
      i += 4
    case 0xF4:
      guard continuation(1, 0x80...0x8F), continuation(2), continuation(3) else { return i }
      i += 4
    default:
      return i
    }
  }
  return nil
}
