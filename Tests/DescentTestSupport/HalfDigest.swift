import Descent

/// A fixture's record of a bfloat16/float16 tensor: the 64-bit FNV-1a hash of its 16-bit
/// patterns in row-major order, one pattern per step (the generator scripts' `fnv1a`), and
/// its element count.
public struct HalfDigest: Decodable, Sendable, Equatable, CustomStringConvertible {
  public let hash: String
  public let count: Int

  public init(hash: String, count: Int) {
    self.hash = hash
    self.count = count
  }

  /// The digest of `tensor`, a bfloat16 or float16 tensor.
  public init(of tensor: Tensor) {
    precondition(tensor.dtype == .bfloat16 || tensor.dtype == .float16, "HalfDigest: \(tensor.dtype)")
    // Widening to float32 and back is exact for every half value, NaN payloads included.
    let bfloat16 = tensor.dtype == .bfloat16
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for x in tensor.to(dtype: .float32).contiguous().asArray(Float.self) {
      let bits = bfloat16 ? UInt16(truncatingIfNeeded: x.bitPattern >> 16) : Float16(x).bitPattern
      h = (h ^ UInt64(bits)) &* 0x100_0000_01B3
    }
    let hex = String(h, radix: 16)
    self.init(hash: String(repeating: "0", count: 16 - hex.count) + hex, count: tensor.count)
  }

  public var description: String { "\(hash) (\(count) elements)" }
}
