/// A hash set of names that live in a safetensors header: it stores small indices, not
/// strings, and asks its caller to compare and rehash them, so that a header with millions
/// of names costs a few bytes per name.
struct NameIndex {
  /// The entry index + 1 in the low 32 bits (0 for an empty slot) and the top 32 bits of
  /// its hash in the high ones, so that most probes are settled without reading a name.
  /// At most three quarters full.
  private var slots = [UInt64](repeating: 0, count: 16)
  private var count = 0

  /// The index of an entry that `matches` among those hashed like `hash`, or `nil` after
  /// adding `index` under `hash`. `rehash` gives the hash of an entry already added.
  mutating func find(
    orAdd index: Int, hash: Int, matches: (Int) throws -> Bool, rehash: (Int) throws -> Int
  ) rethrows -> Int? {
    let tag = UInt64(UInt(bitPattern: hash) >> 32) << 32
    var slot = hash & (slots.count - 1)
    while slots[slot] != 0 {
      let value = slots[slot]
      if value & 0xFFFF_FFFF_0000_0000 == tag, try matches(Int(value & 0xFFFF_FFFF) - 1) {
        return Int(value & 0xFFFF_FFFF) - 1
      }
      slot = (slot + 1) & (slots.count - 1)
    }
    slots[slot] = tag | UInt64(index + 1)
    count += 1
    if count * 4 > slots.count * 3 { try grow(rehash) }
    return nil
  }

  private mutating func grow(_ rehash: (Int) throws -> Int) rethrows {
    var bigger = [UInt64](repeating: 0, count: slots.count * 2)
    for value in slots where value != 0 {
      let hash = try rehash(Int(value & 0xFFFF_FFFF) - 1)
      var slot = hash & (bigger.count - 1)
      while bigger[slot] != 0 { slot = (slot + 1) & (bigger.count - 1) }
      bigger[slot] = value
    }
    slots = bigger
  }
}

/// The decoded string whose opening quote is at `offset` in a header already checked.
func headerString(at offset: Int, in header: UnsafeRawBufferPointer) throws -> String {
  var scanner = SafetensorsHeaderScanner(header, position: offset)
  return try scanner.scanString(decode: true)!
}

/// Calls `body` with the decoded bytes of the string whose opening quote is at `offset`:
/// the header's own bytes when the string has no escapes (most names), a decoded copy
/// otherwise.
func withHeaderStringBytes<R>(
  at offset: Int, in header: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R
) throws -> R {
  var end = offset + 1
  while end < header.count {
    let b = header[end]
    if b == UInt8(ascii: "\"") {
      return try body(UnsafeRawBufferPointer(rebasing: header[(offset + 1)..<end]))
    }
    if b == UInt8(ascii: "\\") { break }
    end += 1
  }
  var decoded = try headerString(at: offset, in: header)
  return try decoded.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
}

/// A hash of bytes (`String.hashValue` hashes a string's canonical form instead).
func byteHash(_ bytes: UnsafeRawBufferPointer) -> Int {
  var hasher = Hasher()
  hasher.combine(bytes: bytes)
  return hasher.finalize()
}
