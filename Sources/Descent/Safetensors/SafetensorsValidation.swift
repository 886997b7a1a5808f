import Foundation

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

  var table = EntryTable(headerLength: header.count)
  var parser = SafetensorsHeaderParser(header)
  try parser.parse(collectShapes: false) { name, keyStart, info in
    try table.add(name: name, keyStart: UInt32(keyStart), info: info, header: header)
  }
  table.releaseNames()

  // The reference sorts by (start, end) and walks the data from offset 0.
  let order = table.orderByOffsets()
  var position: UInt64 = 0
  for (rank, entry) in order.enumerated() {
    let index = Int(entry)
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
  if let (a, b) = try parser.equivalentMetadataKeys() { throw SafetensorsError.equivalentMetadataKeys(a, b) }
  // The header is valid: now its metadata is worth its strings.
  var collector = SafetensorsHeaderParser(header)
  try collector.parse(collectShapes: false, collectMetadata: true) { _, _, _ in }
  return ValidatedSafetensors(
    file: file, header: header, metadata: collector.metadata,
    keyStarts: order.map { table.keyStarts[Int($0)] })
}

/// The tensors of a header as parallel arrays (21 bytes each), with a hash set of their
/// names that points back into the header instead of holding strings.
private struct EntryTable {
  var begins: [UInt64] = []
  var ends: [UInt64] = []
  var keyStarts: [UInt32] = []
  var checks: [UInt8] = []
  private var names = NameIndex()
  private(set) var duplicate: String?
  private(set) var hasNonASCIIName = false

  static let sizeOK: UInt8 = 0
  static let sizeOverflow: UInt8 = 1
  static let sizeMisaligned: UInt8 = 2
  static let sizeMismatch: UInt8 = 3

  /// A table with room for every entry a header of `headerLength` bytes can hold (an entry
  /// takes at least 19 bytes), reserved but not touched, so that it never grows by copying.
  init(headerLength: Int) {
    let most = headerLength / 19 + 1
    begins.reserveCapacity(most)
    ends.reserveCapacity(most)
    keyStarts.reserveCapacity(most)
    checks.reserveCapacity(most)
  }

  mutating func add(
    name: String, keyStart: UInt32, info: SafetensorsHeaderParser.ParsedInfo,
    header: UnsafeRawBufferPointer
  ) throws {
    let check: UInt8
    switch info.size {
    case .overflow: check = Self.sizeOverflow
    case .misaligned: check = Self.sizeMisaligned
    case .bytes(let n):
      check = info.end >= info.begin && info.end - info.begin != n ? Self.sizeMismatch : Self.sizeOK
    }
    if !hasNonASCIIName && name.utf8.contains(where: { $0 >= 0x80 }) { hasNonASCIIName = true }
    let count = keyStarts.count
    let found: Int?
    do {
      // The copy of the offsets is dropped before the append below, which then does not copy.
      let starts = keyStarts
      let hash = try withHeaderStringBytes(at: Int(keyStart), in: header, byteHash)
      found = try names.find(
        orAdd: count, hash: hash,
        matches: { other in
          try withHeaderStringBytes(at: Int(starts[other]), in: header) { a in
            try withHeaderStringBytes(at: Int(keyStart), in: header) { b in
              a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
          }
        },
        rehash: { i in
          i == count ? hash : try withHeaderStringBytes(at: Int(starts[i]), in: header, byteHash)
        })
    }
    if let other = found {
      // The reference's map keeps the last entry under a repeated name.
      begins[other] = info.begin
      ends[other] = info.end
      checks[other] = check
      if duplicate == nil { duplicate = name }
      return
    }
    begins.append(info.begin)
    ends.append(info.end)
    keyStarts.append(keyStart)
    checks.append(check)
  }

  /// Drops the name index, which the checks after parsing do not need.
  mutating func releaseNames() { names = NameIndex() }

  /// The decoded name of entry `index`.
  func name(at index: Int, header: UnsafeRawBufferPointer) throws -> String {
    try headerString(at: Int(keyStarts[index]), in: header)
  }

  /// Entry indices sorted by (start, end).
  func orderByOffsets() -> [UInt32] {
    var order = [UInt32](0..<UInt32(begins.count))
    order.sort { (begins[Int($0)], ends[Int($0)]) < (begins[Int($1)], ends[Int($1)]) }
    return order
  }

  /// Two names with different bytes that Swift's `String` equality (canonical equivalence)
  /// calls equal, or `nil`.
  func equivalentNames(header: UnsafeRawBufferPointer) throws -> (String, String)? {
    var canonical = NameIndex()
    for index in begins.indices {
      let name = try self.name(at: index, header: header)
      if let other = try canonical.find(
        orAdd: index, hash: name.hashValue,
        matches: { try self.name(at: $0, header: header) == name },
        rehash: { try self.name(at: $0, header: header).hashValue })
      {
        return (try self.name(at: other, header: header), name)
      }
    }
    return nil
  }
}
