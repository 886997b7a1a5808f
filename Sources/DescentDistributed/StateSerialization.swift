import Descent

/// A flat byte encoding of per-parameter optimizer state, to send one rank's shard of a
/// ZeRO state to another: for each entry, the parameter index, the key, the dtype, the
/// shape and the raw elements, each length as a little-endian 64-bit integer.
enum StateSerialization {
  static func encode(_ state: [Int: [String: Tensor]]) -> [UInt8] {
    var bytes: [UInt8] = []
    func put(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 } }
    for (index, entries) in state.sorted(by: { $0.key < $1.key }) {
      for (key, tensor) in entries.sorted(by: { $0.key < $1.key }) {
        let contiguous = tensor.contiguous()
        put(index)
        let utf8 = Array(key.utf8)
        put(utf8.count)
        bytes += utf8
        put(DType.allCases.firstIndex(of: contiguous.dtype)!)
        put(contiguous.shape.count)
        for d in contiguous.shape { put(d) }
        let count = contiguous.count * contiguous.dtype.byteSize
        put(count)
        withExtendedLifetime(contiguous) {
          let start = contiguous.storage.base + contiguous.offset * contiguous.dtype.byteSize
          bytes += UnsafeRawBufferPointer(start: start, count: count)
        }
      }
    }
    return bytes
  }

  static func decode(_ bytes: [UInt8]) throws -> [Int: [String: Tensor]] {
    var state: [Int: [String: Tensor]] = [:]
    var position = 0
    func take() throws -> Int {
      guard position + 8 <= bytes.count else {
        throw DistributedError("ZeRO state: truncated message of \(bytes.count) bytes")
      }
      var value: Int64 = 0
      withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[position..<position + 8]) }
      position += 8
      return Int(Int64(littleEndian: value))
    }
    func takeBytes(_ count: Int) throws -> ArraySlice<UInt8> {
      guard count >= 0, position + count <= bytes.count else {
        throw DistributedError("ZeRO state: truncated message of \(bytes.count) bytes")
      }
      defer { position += count }
      return bytes[position..<position + count]
    }
    while position < bytes.count {
      let index = try take()
      let key = String(decoding: try takeBytes(try take()), as: UTF8.self)
      let code = try take()
      guard DType.allCases.indices.contains(code) else {
        throw DistributedError("ZeRO state: unknown dtype code \(code)")
      }
      let dtype = DType.allCases[code]
      let rank = try take()
      var shape: [Int] = []
      for _ in 0..<rank { shape.append(try take()) }
      let data = try takeBytes(try take())
      let tensor = Tensor.zeros(shape, dtype: dtype)
      guard data.count == tensor.count * dtype.byteSize else {
        throw DistributedError("ZeRO state: \(data.count) bytes for a \(dtype) tensor of shape \(shape)")
      }
      if !data.isEmpty {
        data.withUnsafeBytes { tensor.storage.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
      }
      state[index, default: [:]][key] = tensor
    }
    return state
  }
}
