import Foundation

/// A reference-counted, 64-byte-aligned block of memory that one or more tensors view.
///
/// Views (`transpose`, `reshape` of a contiguous tensor, `expand`, slicing) share one
/// storage; only `contiguous()` of a non-contiguous tensor and the out-of-place ops
/// allocate a new one.
public final class TensorStorage: @unchecked Sendable {
  /// The start of the buffer. Valid for `byteCount` bytes for the storage's lifetime.
  public let base: UnsafeMutableRawPointer
  /// Size of the buffer in bytes.
  public let byteCount: Int
  /// Element type of the buffer.
  public let dtype: DType
  /// Number of elements the buffer holds.
  public var count: Int { byteCount / dtype.byteSize }

  static let alignment = 64

  /// Allocates uninitialised storage for `count` elements of `dtype`.
  init(count: Int, dtype: DType) {
    self.dtype = dtype
    self.byteCount = count * dtype.byteSize
    // At least one cache line so that zero-size tensors still own a valid pointer.
    let bytes = max(byteCount, Self.alignment)
    let rounded = (bytes + Self.alignment - 1) / Self.alignment * Self.alignment
    base = UnsafeMutableRawPointer(aligned_alloc(Self.alignment, rounded)!)
  }

  /// Allocates storage for `count` elements of `dtype` filled with zero bytes.
  convenience init(zeroedCount count: Int, dtype: DType) {
    self.init(count: count, dtype: dtype)
    base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
  }

  deinit { free(base) }

  @inline(__always)
  func pointer<T>(as: T.Type) -> UnsafeMutablePointer<T> {
    base.assumingMemoryBound(to: T.self)
  }
}
