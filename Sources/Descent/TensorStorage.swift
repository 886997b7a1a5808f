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
  /// Buffers of at least this many bytes are marked for transparent huge pages on Linux:
  /// streaming kernels such as optimizer steps run up to a quarter faster on them (fewer
  /// TLB misses, and hardware prefetchers no longer stop at every 4 KiB page). Unlike
  /// PyTorch's `THP_MEM_ALLOC_ENABLE=1`, buffers keep their ordinary alignment, so that
  /// tensors read side by side do not all start at the same offset within a 2 MiB page
  /// (which makes them contend for the same cache sets and memory banks).
  static let hugePageThreshold = 4 << 20

  /// Bytes of the buffer, as allocated (at least `byteCount`): what goes back to the cache.
  private let capacity: Int

  /// Allocates uninitialised storage for `count` elements of `dtype`, reusing a freed
  /// buffer of the same size class when ``TensorMemory`` holds one.
  init(count: Int, dtype: DType) {
    self.dtype = dtype
    self.byteCount = count * dtype.byteSize
    // At least one cache line so that zero-size tensors still own a valid pointer.
    let (buffer, capacity) = BufferCache.shared.allocate(Swift.max(byteCount, Self.alignment))
    base = buffer
    self.capacity = capacity
    #if os(Linux)
      if capacity >= Self.hugePageThreshold {
        // Advice only, given before the first touch, on the whole pages of the buffer; the
        // kernel backs its 2 MiB-aligned stretches with huge pages where it can. (Repeated
        // for a reused buffer: harmless.)
        let page = 4096
        let start = (Int(bitPattern: base) + page - 1) & ~(page - 1)
        let end = (Int(bitPattern: base) + capacity) & ~(page - 1)
        if end > start {
          _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE)
        }
      }
    #endif
  }

  /// Allocates storage for `count` elements of `dtype` filled with zero bytes.
  convenience init(zeroedCount count: Int, dtype: DType) {
    self.init(count: count, dtype: dtype)
    base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
  }

  deinit { BufferCache.shared.release(base, capacity: capacity) }

  @inline(__always)
  func pointer<T>(as: T.Type) -> UnsafeMutablePointer<T> {
    base.assumingMemoryBound(to: T.self)
  }
}
