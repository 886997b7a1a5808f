/// A safetensors file whose layout passed every check: where its header and data are, and
/// its metadata. Entries are read again from the header when needed.
struct ValidatedSafetensors {
  let file: UnsafeRawBufferPointer
  let header: UnsafeRawBufferPointer
  let metadata: [String: String]
  /// Offsets of the entries' names in the header, in order of data offsets.
  let keyStarts: [UInt32]
  /// The file offset of the data section.
  var dataStart: Int { 8 + header.count }

  /// The entry whose name starts at `keyStart`, with its shape.
  func entry(at keyStart: UInt32) throws -> SafetensorsEntry {
    var parser = SafetensorsHeaderParser(header, entryAt: Int(keyStart))
    return try parser.entry()
  }

  /// Every entry with its shape, in order of data offsets.
  func entries() throws -> [SafetensorsEntry] { try keyStarts.map(entry(at:)) }
}

/// Checks a whole file as the reference reader (safetensors 0.8) does, and the names as
/// Descent needs them; throws the first violation. Per tensor it keeps only its offsets,
/// its type and where its name is, so that a malformed header costs little more memory than
/// its own size.
func validateSafetensors(_ file: UnsafeRawBufferPointer) throws -> ValidatedSafetensors {
  guard file.count >= 8 else { throw SafetensorsError.fileTooSmall(byteCount: file.count) }
  var length: UInt64 = 0
  for i in (0..<8).reversed() { length = length << 8 | UInt64(file[i]) }
  guard length <= 100_000_000 else { throw SafetensorsError.headerTooLarge(length: length) }
  guard 8 + Int(length) <= file.count else {
    throw SafetensorsError.headerPastEndOfFile(length: length, fileSize: file.count)
  }
  let header = UnsafeRawBufferPointer(rebasing: file[8..<(8 + Int(length))])
  if let bad = firstInvalidUTF8(header) { throw SafetensorsError.invalidUTF8(offset: bad) }

  var table = EntryTable()
  var parser = SafetensorsHeaderParser(header)
  try parser.parse(collectShapes: false) { name, keyStart, info in
    table.add(name: name, keyStart: UInt32(keyStart), info: info, header: header)
  }

  // The reference sorts by (start, end) and walks the data from offset 0.
  let order = table.orderByOffsets()
  var position: UInt64 = 0
  for (rank, index) in order.enumerated() {
    let begin = table.begins[index]
    let end = table.ends[index]
    let check = table.checks[index]
    if begin != position || end < begin {
      let name = try table.name(at: index, header: header)
      if begin == position { throw SafetensorsError.endBeforeStart(tensor: name, start: begin, end: end) }
      if rank == 0 {
        throw SafetensorsError.dataDoesNotStartAtZero(tensor: name, start: begin)
      }
      if begin > position {
        throw SafetensorsError.gapBeforeTensor(tensor: name, start: begin, previousEnd: position)
      }
      throw SafetensorsError.overlappingTensors(tensor: name, start: begin, previousEnd: position)
    }
    position = end
    if check != EntryTable.sizeOK {
      var entryParser = SafetensorsHeaderParser(header, entryAt: Int(table.keyStarts[index]))
      let entry = try entryParser.entry()
      switch check {
      case EntryTable.sizeOverflow:
        throw SafetensorsError.shapeOverflow(tensor: entry.name, shape: entry.shape, dtype: entry.dtype.name)
      case EntryTable.sizeMisaligned:
        throw SafetensorsError.misalignedSubByteTensor(
          tensor: entry.name, shape: entry.shape, dtype: entry.dtype.name)
      default:
        let bits = entry.shape.reduce(1, *) * entry.dtype.bits
        throw SafetensorsError.byteLengthMismatch(
          tensor: entry.name, shape: entry.shape, dtype: entry.dtype.name, expected: bits / 8,
          actual: end - begin)
      }
    }
  }
  let available = UInt64(file.count - 8 - header.count)
  if position > available {
    throw SafetensorsError.dataPastEndOfFile(dataEnd: position, available: available)
  }
  if position < available { throw SafetensorsError.trailingBytes(dataEnd: position, available: available) }

  // What the reference lets through and Descent does not.
  if let duplicate = table.duplicate { throw SafetensorsError.duplicateTensorName(duplicate) }
  if table.hasNonASCIIName, let (a, b) = try table.equivalentNames(header: header) {
    throw SafetensorsError.equivalentTensorNames(a, b)
  }
  if let (a, b) = parser.equivalentMetadataKeys { throw SafetensorsError.equivalentMetadataKeys(a, b) }
  return ValidatedSafetensors(
    file: file, header: header, metadata: parser.metadata,
    keyStarts: order.map { table.keyStarts[$0] })
}

/// The tensors of a header as parallel arrays (a few bytes each), with a hash set of their
/// names that points back into the header instead of holding strings.
private struct EntryTable {
  var begins: [UInt64] = []
  var ends: [UInt64] = []
  var keyStarts: [UInt32] = []
  var checks: [UInt8] = []
  /// Open addressing: entry index + 1, 0 for empty.
  private var slots: [UInt32] = Array(repeating: 0, count: 64)
  private(set) var duplicate: String?
  private(set) var hasNonASCIIName = false

  static let sizeOK: UInt8 = 0
  static let sizeOverflow: UInt8 = 1
  static let sizeMisaligned: UInt8 = 2
  static let sizeMismatch: UInt8 = 3

  mutating func add(
    name: String, keyStart: UInt32, info: SafetensorsHeaderParser.ParsedInfo,
    header: UnsafeRawBufferPointer
  ) {
    let check: UInt8
    switch info.size {
    case .overflow: check = Self.sizeOverflow
    case .misaligned: check = Self.sizeMisaligned
    case .bytes(let n):
      check = info.end >= info.begin && info.end - info.begin != n ? Self.sizeMismatch : Self.sizeOK
    }
    if !hasNonASCIIName && name.utf8.contains(where: { $0 >= 0x80 }) { hasNonASCIIName = true }
    let hash = Self.byteHash(name)
    var slot = hash & (slots.count - 1)
    while slots[slot] != 0 {
      let other = Int(slots[slot] - 1)
      if let otherName = try? self.name(at: other, header: header), otherName.utf8.elementsEqual(name.utf8) {
        // The reference's map keeps the last entry under a repeated name.
        begins[other] = info.begin
        ends[other] = info.end
        checks[other] = check
        if duplicate == nil { duplicate = name }
        return
      }
      slot = (slot + 1) & (slots.count - 1)
    }
    begins.append(info.begin)
    ends.append(info.end)
    keyStarts.append(keyStart)
    checks.append(check)
    slots[slot] = UInt32(begins.count)
    if begins.count * 2 > slots.count { grow(header: header) }
  }

  private mutating func grow(header: UnsafeRawBufferPointer) {
    var bigger = [UInt32](repeating: 0, count: slots.count * 2)
    for index in begins.indices {
      let name = (try? self.name(at: index, header: header)) ?? ""
      var slot = Self.byteHash(name) & (bigger.count - 1)
      while bigger[slot] != 0 { slot = (slot + 1) & (bigger.count - 1) }
      bigger[slot] = UInt32(index + 1)
    }
    slots = bigger
  }

  /// A hash of the name's bytes (not of its canonical form, as `String.hashValue` is).
  private static func byteHash(_ name: String) -> Int {
    var hasher = Hasher()
    var copy = name
    copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    return hasher.finalize()
  }

  /// The decoded name of entry `index`.
  func name(at index: Int, header: UnsafeRawBufferPointer) throws -> String {
    var scanner = SafetensorsHeaderScanner(header, position: Int(keyStarts[index]))
    return try scanner.scanString(decode: true)!
  }

  /// Entry indices sorted by (start, end).
  func orderByOffsets() -> [Int] {
    begins.indices.sorted { (begins[$0], ends[$0]) < (begins[$1], ends[$1]) }
  }

  /// Two names with different bytes that Swift's `String` equality (canonical equivalence)
  /// calls equal, or `nil`.
  func equivalentNames(header: UnsafeRawBufferPointer) throws -> (String, String)? {
    var canonical = [UInt32](repeating: 0, count: max(64, (begins.count * 2).nextPowerOf2))
    for index in begins.indices {
      let name = try self.name(at: index, header: header)
      var slot = name.hashValue & (canonical.count - 1)
      while canonical[slot] != 0 {
        let other = try self.name(at: Int(canonical[slot] - 1), header: header)
        if other == name { return (other, name) }
        slot = (slot + 1) & (canonical.count - 1)
      }
      canonical[slot] = UInt32(index + 1)
    }
    return nil
  }
}

extension Int {
  fileprivate var nextPowerOf2: Int {
    var n = 1
    while n < self { n <<= 1 }
    return n
  }
}
