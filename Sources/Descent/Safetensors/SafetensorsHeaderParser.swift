/// One tensor of a header as the reference deserialises it (`TensorInfo`).
struct SafetensorsEntry {
  var name: String
  var dtype: SafetensorsDType
  var shape: [UInt64]
  var begin: UInt64
  var end: UInt64
}

/// Reads a safetensors header in the reference's order of checks: the JSON syntax of the
/// whole header (and `__metadata__`'s types, read directly), then the tensor entries' types
/// in document order (the reference buffers them and reads them after the closing brace),
/// then trailing characters.
///
/// The first pass (``validate()``) keeps only a few bytes per tensor, so that a malformed
/// header costs little memory; the second (``forEachEntry(_:)``) runs on a header known
/// to be valid and hands over each tensor with its name and shape.
struct SafetensorsHeaderParser {
  private var scanner: SafetensorsHeaderScanner
  /// The first entry whose types are wrong, reported after the header's syntax.
  private var deferred: SafetensorsError?
  /// The metadata, when the parse collects it (the second pass, on a header known to be
  /// valid); the first pass only checks it, so that a malformed header's metadata costs no
  /// strings.
  private(set) var metadata: [String: String] = [:]
  private var collectMetadata = false
  private var metadataSeen = false
  /// The offsets of the metadata keys' opening quotes, for ``equivalentMetadataKeys()``.
  private var metadataKeyStarts: [UInt32] = []
  private var metadataHasNonASCIIKey = false

  init(_ header: UnsafeRawBufferPointer) { scanner = SafetensorsHeaderScanner(header) }

  /// A parser of the entry whose name starts at `keyStart` (its opening quote), for
  /// ``entry()``.
  init(_ header: UnsafeRawBufferPointer, entryAt keyStart: Int) {
    scanner = SafetensorsHeaderScanner(header, position: keyStart, depth: 1)
  }

  /// Parses the header, calling `entry` with each tensor entry whose types are right, in
  /// document order; `keyStart` is the offset of the name's opening quote. Shapes are
  /// collected only when `collectShapes`.
  mutating func parse(
    collectShapes: Bool, collectMetadata: Bool = false,
    _ entry: (_ name: String, _ keyStart: Int, _ info: ParsedInfo) throws -> Void
  ) throws {
    self.collectMetadata = collectMetadata
    guard let c = scanner.peekValue() else { throw scanner.syntax("EOF while parsing a value") }
    guard c == UInt8(ascii: "{") else {
      if c != UInt8(ascii: "[") { try scanner.skipValue() }
      throw SafetensorsError.invalidHeaderEntry(tensor: nil, reason: "the header is not a JSON object")
    }
    try scanner.enter()
    var first = true
    var keyStart = 0
    while let key = try scanner.nextKey(first: &first, decode: true, keyStart: &keyStart) {
      if key.utf8.elementsEqual("__metadata__".utf8) {
        try parseMetadata()
        continue
      }
      if let info = try parseInfo(name: key, collectShape: collectShapes) {
        try entry(key, keyStart, info)
      }
    }
    if let deferred { throw deferred }
    if scanner.peekValue() != nil { throw scanner.syntax("trailing characters") }
  }

  /// What an entry says, before validation against the others.
  struct ParsedInfo {
    var dtype: SafetensorsDType
    /// The shape, when collected.
    var shape: [UInt64]
    /// The product of the shape, folded left with overflow checks as the reference does;
    /// `nil` once it overflowed (even if a later dimension is 0).
    var elements: UInt64?
    var begin: UInt64
    var end: UInt64

    /// The byte size the shape and type need, or why there is none.
    var size: SizeCheck {
      guard let elements else { return .overflow }
      let (bits, overflow) = elements.multipliedReportingOverflow(by: dtype.bits)
      if overflow { return .overflow }
      if bits % 8 != 0 { return .misaligned }
      return .bytes(bits / 8)
    }
  }

  enum SizeCheck: Equatable {
    case bytes(UInt64)
    case overflow
    case misaligned
  }

  /// The entry this parser was made for (``init(_:entryAt:)``), with its shape: for
  /// messages and for the header listing. The header is known to be well formed.
  mutating func entry() throws -> SafetensorsEntry {
    var first = true
    var keyStart = 0
    let name = try scanner.nextKey(first: &first, decode: true, keyStart: &keyStart) ?? ""
    guard let info = try parseInfo(name: name, collectShape: true) else {
      throw deferred ?? SafetensorsError.invalidHeaderEntry(tensor: name, reason: "unreadable entry")
    }
    return SafetensorsEntry(
      name: name, dtype: info.dtype, shape: info.shape, begin: info.begin, end: info.end)
  }

  // MARK: __metadata__

  /// The first two metadata keys with different bytes that are canonically equivalent
  /// Unicode (one dictionary can't hold both), or `nil`. Exact repeats are fine: the last
  /// value wins, as in the reference.
  func equivalentMetadataKeys() throws -> (String, String)? {
    guard metadataHasNonASCIIKey else { return nil }
    let header = scanner.bytes
    let starts = metadataKeyStarts
    var canonical = NameIndex()
    for index in starts.indices {
      let key = try headerString(at: Int(starts[index]), in: header)
      var twin: String?
      _ = try canonical.find(
        orAdd: index, hash: key.hashValue,
        matches: { other in
          let text = try headerString(at: Int(starts[other]), in: header)
          guard text == key else { return false }
          if !text.utf8.elementsEqual(key.utf8) { twin = text }
          return true
        },
        rehash: { try headerString(at: Int(starts[$0]), in: header).hashValue })
      if let twin { return (twin, key) }
    }
    return nil
  }

  private mutating func parseMetadata() throws {
    if metadataSeen {
      throw SafetensorsError.invalidHeaderEntry(tensor: nil, reason: "duplicate field `__metadata__`")
    }
    metadataSeen = true
    guard let c = scanner.peekValue() else { throw scanner.syntax("EOF while parsing a value") }
    if c == UInt8(ascii: "n") {
      try scanner.literal("null")
      return
    }
    guard c == UInt8(ascii: "{") else {
      if c != UInt8(ascii: "[") { try scanner.skipValue() }
      throw SafetensorsError.invalidHeaderEntry(
        tensor: nil, reason: "`__metadata__` must be an object of strings")
    }
    try scanner.enter()
    var first = true
    var keyStart = 0
    while let key = try scanner.nextKey(first: &first, decode: true, keyStart: &keyStart) {
      guard scanner.peekValue() == UInt8(ascii: "\"") else {
        try scanner.skipValue()
        throw SafetensorsError.invalidHeaderEntry(
          tensor: nil, reason: "`__metadata__` value of key \"\(key)\" is not a string")
      }
      if collectMetadata {
        // A repeated key keeps its last value, as the reference's map does.
        metadata[key] = try scanner.scanString(decode: true)!
        continue
      }
      _ = try scanner.scanString(decode: false)
      // Canonically equivalent keys are looked for after the checks, and only when a key
      // is not ASCII: an ASCII key is equivalent to another ASCII key only when equal.
      metadataKeyStarts.append(UInt32(keyStart))
      if !metadataHasNonASCIIKey && key.utf8.contains(where: { $0 >= 0x80 }) { metadataHasNonASCIIKey = true }
    }
  }

  // MARK: Tensor entries

  /// Reads one entry, always consuming it; returns `nil` (and remembers the first such
  /// error) when its types are wrong.
  private mutating func parseInfo(name: String, collectShape: Bool) throws -> ParsedInfo? {
    var problem: SafetensorsError?
    func note(_ reason: String) {
      if problem == nil { problem = .invalidHeaderEntry(tensor: name, reason: reason) }
    }
    var dtype: SafetensorsDType?
    var shape: ShapeField?
    var offsets: [UInt64]?
    var dtypeSeen = false
    var shapeSeen = false
    var offsetsSeen = false

    guard let c = scanner.peekValue() else { throw scanner.syntax("EOF while parsing a value") }
    switch c {
    case UInt8(ascii: "{"):
      try scanner.enter()
      var first = true
      var keyStart = 0
      while let key = try scanner.nextKey(first: &first, decode: true, keyStart: &keyStart) {
        switch key {
        case _ where key.utf8.elementsEqual("dtype".utf8):
          if dtypeSeen { note("duplicate field `dtype`") }
          dtypeSeen = true
          let read = try readDtype(name: name)
          if problem == nil {
            if case .failure(let error) = read { problem = error } else { dtype = try read.get() }
          }
        case _ where key.utf8.elementsEqual("shape".utf8):
          if shapeSeen { note("duplicate field `shape`") }
          shapeSeen = true
          let read = try readShape(collect: collectShape)
          if let read { shape = read } else { note("`shape` must be a list of non-negative integers") }
        case _ where key.utf8.elementsEqual("data_offsets".utf8):
          if offsetsSeen { note("duplicate field `data_offsets`") }
          offsetsSeen = true
          offsets = try readOffsets()
          if offsets == nil { note("`data_offsets` must be a list of two non-negative integers") }
        default:
          // Unknown fields are ignored, as the reference's derived reader does.
          try scanner.skipValue()
        }
      }
    case UInt8(ascii: "["):
      // The reference's derived reader also takes the three fields as a list.
      try scanner.enter()
      var first = true
      var count = 0
      while try scanner.nextElement(first: &first) {
        switch count {
        case 0:
          dtypeSeen = true
          let read = try readDtype(name: name)
          if problem == nil {
            if case .failure(let error) = read { problem = error } else { dtype = try read.get() }
          }
        case 1:
          shapeSeen = true
          shape = try readShape(collect: collectShape)
          if shape == nil { note("`shape` must be a list of non-negative integers") }
        case 2:
          offsetsSeen = true
          offsets = try readOffsets()
          if offsets == nil { note("`data_offsets` must be a list of two non-negative integers") }
        default:
          try scanner.skipValue()
          note("a tensor given as a list must have 3 elements: dtype, shape, data_offsets")
        }
        count += 1
      }
    default:
      try scanner.skipValue()
      note("a tensor must be an object with dtype, shape and data_offsets")
    }
    if !dtypeSeen { note("missing field `dtype`") }
    if !shapeSeen { note("missing field `shape`") }
    if !offsetsSeen { note("missing field `data_offsets`") }
    if let problem {
      if deferred == nil { deferred = problem }
      return nil
    }
    guard let dtype, let shape, let offsets else { return nil }
    return ParsedInfo(
      dtype: dtype, shape: shape.dims, elements: shape.elements, begin: offsets[0], end: offsets[1])
  }

  /// `"F32"`, or `{"F32": null}` (the reference's enum also reads the map form).
  private mutating func readDtype(name: String) throws -> Result<SafetensorsDType, SafetensorsError> {
    let invalid = { (reason: String) in
      Result<SafetensorsDType, SafetensorsError>.failure(
        .invalidHeaderEntry(tensor: name, reason: reason))
    }
    guard let c = scanner.peekValue() else { throw scanner.syntax("EOF while parsing a value") }
    switch c {
    case UInt8(ascii: "\""):
      let text = try scanner.scanString(decode: true)!
      guard let dtype = SafetensorsDType(name: text) else {
        return .failure(.unknownDtype(tensor: name, dtype: text))
      }
      return .success(dtype)
    case UInt8(ascii: "{"):
      try scanner.enter()
      var first = true
      var keyStart = 0
      var count = 0
      var variant = ""
      var isNull = false
      while let key = try scanner.nextKey(first: &first, decode: true, keyStart: &keyStart) {
        if count == 0 {
          variant = key
          if scanner.peekValue() == UInt8(ascii: "n") {
            try scanner.literal("null")
            isNull = true
          } else {
            try scanner.skipValue()
          }
        } else {
          try scanner.skipValue()
        }
        count += 1
      }
      guard count == 1 else { return invalid("`dtype` given as a map must have a single key") }
      guard let dtype = SafetensorsDType(name: variant) else {
        return .failure(.unknownDtype(tensor: name, dtype: variant))
      }
      guard isNull else { return invalid("`dtype` given as a map must map the type to null") }
      return .success(dtype)
    default:
      try scanner.skipValue()
      return invalid("`dtype` must be a string")
    }
  }

  private struct ShapeField {
    var dims: [UInt64]
    var elements: UInt64?
  }

  /// A list of non-negative integers, with its product; `nil` when it is something else.
  private mutating func readShape(collect: Bool) throws -> ShapeField? {
    var field = ShapeField(dims: [], elements: 1)
    var valid = true
    guard scanner.peekValue() == UInt8(ascii: "[") else {
      try scanner.skipValue()
      return nil
    }
    try scanner.enter()
    var first = true
    while try scanner.nextElement(first: &first) {
      guard let dim = try readUnsigned() else {
        valid = false
        continue
      }
      if collect { field.dims.append(dim) }
      if let product = field.elements {
        let (next, overflow) = product.multipliedReportingOverflow(by: dim)
        field.elements = overflow ? nil : next
      }
    }
    return valid ? field : nil
  }

  /// A list of exactly two non-negative integers, or `nil`.
  private mutating func readOffsets() throws -> [UInt64]? {
    guard scanner.peekValue() == UInt8(ascii: "[") else {
      try scanner.skipValue()
      return nil
    }
    try scanner.enter()
    var first = true
    var count = 0
    var (begin, end): (UInt64, UInt64) = (0, 0)
    var valid = true
    while try scanner.nextElement(first: &first) {
      if let value = try readUnsigned() {
        if count == 0 { begin = value } else if count == 1 { end = value }
      } else {
        valid = false
      }
      count += 1
    }
    return valid && count == 2 ? [begin, end] : nil
  }

  /// A JSON number that is a non-negative 64-bit integer literal; any other value is read
  /// (for its syntax) and gives `nil`.
  private mutating func readUnsigned() throws -> UInt64? {
    guard let c = scanner.peekValue() else { throw scanner.syntax("EOF while parsing a value") }
    guard c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) else {
      try scanner.skipValue()
      return nil
    }
    if case .unsigned(let value) = try scanner.scanNumber() { return value }
    return nil
  }
}
