import Foundation

/// Saves tensors to a safetensors file (`safetensors.torch.save_file`), atomically.
///
/// The file is the official format: an 8-byte little-endian header length, a JSON header
/// (`dtype`, `shape`, `data_offsets` for each tensor, and `__metadata__` when `metadata` is
/// not empty) padded with spaces to a multiple of 8 bytes, then each tensor's raw
/// little-endian bytes. Tensors are laid out as the reference writer lays them out: by
/// element size, largest first, then by name. Views that are not contiguous are saved as
/// contiguous data. The file loads in Python's `safetensors` and in `torch`.
///
/// Saving writes a temporary file beside the target, flushes it to disk, renames it over
/// the target and flushes the directory: a crash at any moment leaves the old file or the
/// new one, never a torn one.
///
/// - Parameters:
///   - tensors: the tensors by name; names are kept byte for byte. `__metadata__` is
///     reserved.
///   - url: the file to write; an existing file is replaced.
///   - metadata: free-form strings for the header's `__metadata__` (default none).
/// - Throws: ``SafetensorsError/cannotWrite(path:operation:reason:)`` when the file can't be
///   written (the previous file is untouched), ``SafetensorsError/reservedTensorName(_:)``.
public func saveSafetensors(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:])
  throws
{
  if tensors["__metadata__"] != nil { throw SafetensorsError.reservedTensorName("__metadata__") }
  let layout = SafetensorsLayout(tensors, metadata: metadata)
  try AtomicFileWriter.write(to: url) { writer in
    try writer.append(layout.prefix)
    for item in layout.items {
      let tensor = item.tensor.isContiguous ? item.tensor : item.tensor.contiguousCopy()
      let byteCount = tensor.count * tensor.dtype.byteSize
      guard byteCount > 0 else { continue }
      try withExtendedLifetime(tensor) {
        let start = UnsafeRawPointer(tensor.storage.base) + tensor.offset * tensor.dtype.byteSize
        try writer.append(UnsafeRawBufferPointer(start: start, count: byteCount))
      }
    }
  }
}

/// The header and the data order of a file to write.
struct SafetensorsLayout {
  struct Item {
    let name: String
    let tensor: Tensor
  }
  /// The tensors in file order.
  let items: [Item]
  /// The length and the padded header.
  let prefix: [UInt8]

  init(_ tensors: [String: Tensor], metadata: [String: String]) {
    // The reference writer's order: larger element types first, then names by bytes.
    items = tensors.map { Item(name: $0.key, tensor: $0.value) }.sorted { a, b in
      let ta = SafetensorsDType(a.tensor.dtype)
      let tb = SafetensorsDType(b.tensor.dtype)
      if ta != tb { return ta > tb }
      return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }
    var json: [UInt8] = [UInt8(ascii: "{")]
    var first = true
    if !metadata.isEmpty {
      json += Array("\"__metadata__\":{".utf8)
      for (i, (key, value)) in metadata.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
        .enumerated()
      {
        if i > 0 { json.append(UInt8(ascii: ",")) }
        appendJSONString(key, to: &json)
        json.append(UInt8(ascii: ":"))
        appendJSONString(value, to: &json)
      }
      json.append(UInt8(ascii: "}"))
      first = false
    }
    var offset: UInt64 = 0
    for item in items {
      if !first { json.append(UInt8(ascii: ",")) }
      first = false
      appendJSONString(item.name, to: &json)
      let bytes = UInt64(item.tensor.count * item.tensor.dtype.byteSize)
      json += Array(":{\"dtype\":\"\(SafetensorsDType(item.tensor.dtype).name)\",\"shape\":[".utf8)
      json += Array(item.tensor.shape.map(String.init).joined(separator: ",").utf8)
      json += Array("],\"data_offsets\":[\(offset),\(offset + bytes)]}".utf8)
      offset += bytes
    }
    json.append(UInt8(ascii: "}"))
    // Padded with spaces to a multiple of 8, so that the data starts aligned.
    while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
    var length = UInt64(json.count)
    var prefix = [UInt8](repeating: 0, count: 8)
    for i in 0..<8 {
      prefix[i] = UInt8(length & 0xFF)
      length >>= 8
    }
    self.prefix = prefix + json
  }
}

/// Appends `text` as a JSON string as serde_json writes it: `"` and `\` escaped, control
/// characters as `\n`-style or `\u00XX` escapes, everything else as its UTF-8 bytes.
func appendJSONString(_ text: String, to out: inout [UInt8]) {
  out.append(UInt8(ascii: "\""))
  for byte in text.utf8 {
    switch byte {
    case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
    case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
    case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
    case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
    case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
    case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
    case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
    case 0..<0x20:
      let hex = Array("0123456789abcdef".utf8)
      out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
    default: out.append(byte)
    }
  }
  out.append(UInt8(ascii: "\""))
}
