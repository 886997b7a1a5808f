import Foundation

/// A JSON value of a checkpoint's metadata, read and written as Python's `json` module does:
/// integers and floats stay apart (`0` and `0.0`), object keys keep their order, and
/// non-finite floats are `NaN`, `Infinity` and `-Infinity`.
indirect enum JSONValue: Equatable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): true
    case (.bool(let x), .bool(let y)): x == y
    case (.int(let x), .int(let y)): x == y
    case (.double(let x), .double(let y)): x.bitPattern == y.bitPattern || x == y
    case (.string(let x), .string(let y)): x == y
    case (.array(let x), .array(let y)): x == y
    case (.object(let x), .object(let y)):
      x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: false
    }
  }

  /// The value under `key` of an object, or `nil`.
  subscript(key: String) -> JSONValue? {
    guard case .object(let entries) = self else { return nil }
    return entries.last { $0.0 == key }?.1
  }

  /// An int or a float as a `Double`.
  var number: Double? {
    switch self {
    case .int(let v): Double(v)
    case .double(let v): v
    default: nil
    }
  }

  // MARK: Writing

  /// Compact JSON text.
  var text: String {
    var out = ""
    write(to: &out)
    return out
  }

  private func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let v): out += v ? "true" : "false"
    case .int(let v): out += String(v)
    case .double(let v):
      if v.isNaN {
        out += "NaN"
      } else if v.isInfinite {
        out += v > 0 ? "Infinity" : "-Infinity"
      } else {
        // Swift's shortest round-trip form; "1.0", not "1", so that it stays a float.
        let text = "\(v)"
        out += text
        if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { out += ".0" }
      }
    case .string(let v): Self.writeString(v, to: &out)
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case .object(let entries):
      out += "{"
      for (i, (key, value)) in entries.enumerated() {
        if i > 0 { out += "," }
        Self.writeString(key, to: &out)
        out += ":"
        value.write(to: &out)
      }
      out += "}"
    }
  }

  private static func writeString(_ text: String, to out: inout String) {
    out += "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }

  // MARK: Reading

  /// Parses JSON text as Python's `json.loads` does (`NaN` and `Infinity` included).
  init(parsing text: String) throws {
    var parser = Parser(bytes: Array(text.utf8))
    self = try parser.value(depth: 0)
    parser.skipWhitespace()
    guard parser.position == parser.bytes.count else { throw parser.error("extra data") }
  }

  private struct Parser {
    let bytes: [UInt8]
    var position = 0

    struct Failure: Error, CustomStringConvertible {
      let description: String
    }

    func error(_ reason: String) -> Failure { Failure(description: "\(reason) at character \(position)") }

    mutating func skipWhitespace() {
      while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func consume(_ word: String) -> Bool {
      let w = Array(word.utf8)
      guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else {
        return false
      }
      position += w.count
      return true
    }

    mutating func value(depth: Int) throws -> JSONValue {
      guard depth < 512 else { throw error("nesting too deep") }
      skipWhitespace()
      guard position < bytes.count else { throw error("expecting value") }
      switch bytes[position] {
      case UInt8(ascii: "{"):
        position += 1
        var entries: [(String, JSONValue)] = []
        skipWhitespace()
        if consume("}") { return .object(entries) }
        while true {
          skipWhitespace()
          guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw error("expecting property name")
          }
          let key = try string()
          skipWhitespace()
          guard consume(":") else { throw error("expecting ':'") }
          entries.append((key, try value(depth: depth + 1)))
          skipWhitespace()
          if consume("}") { return .object(entries) }
          guard consume(",") else { throw error("expecting ',' or '}'") }
        }
      case UInt8(ascii: "["):
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if consume("]") { return .array(items) }
        while true {
          items.append(try value(depth: depth + 1))
          skipWhitespace()
          if consume("]") { return .array(items) }
          guard consume(",") else { throw error("expecting ',' or ']'") }
        }
      case UInt8(ascii: "\""):
        return .string(try string())
      default:
        if consume("null") { return .null }
        if consume("true") { return .bool(true) }
        if consume("false") { return .bool(false) }
        if consume("NaN") { return .double(.nan) }
        if consume("Infinity") { return .double(.infinity) }
        if consume("-Infinity") { return .double(-.infinity) }
        return try number()
      }
    }

    mutating func number() throws -> JSONValue {
      let start = position
      var isFloat = false
      if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
      while position < bytes.count {
        let c = bytes[position]
        if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
          position += 1
        } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
          || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && isFloat)
        {
          isFloat = true
          position += 1
        } else {
          break
        }
      }
      let text = String(decoding: bytes[start..<position], as: UTF8.self)
      if !isFloat, let v = Int(text) { return .int(v) }
      guard !text.isEmpty, text != "-", let v = Double(text) else {
        position = start
        throw error("expecting value")
      }
      return .double(v)
    }

    mutating func string() throws -> String {
      position += 1
      var out: [UInt8] = []
      while true {
        guard position < bytes.count else { throw error("unterminated string") }
        let c = bytes[position]
        position += 1
        if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
        guard c == UInt8(ascii: "\\") else {
          out.append(c)
          continue
        }
        guard position < bytes.count else { throw error("unterminated string") }
        let e = bytes[position]
        position += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var unit = try hex()
          if (0xD800...0xDBFF).contains(unit), consume("\\u") {
            let low = try hex()
            if (0xDC00...0xDFFF).contains(low) {
              unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            } else {
              position -= 6
            }
          }
          let scalar = Unicode.Scalar(unit) ?? "\u{FFFD}"
          UTF8.encode(scalar) { out.append($0) }
        default: throw error("invalid \\escape")
        }
      }
    }

    mutating func hex() throws -> UInt32 {
      guard position + 4 <= bytes.count,
        let v = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
      else { throw error("invalid \\uXXXX escape") }
      position += 4
      return v
    }
  }
}
