import Foundation

/// Freed tensor buffers, kept by size class and handed to the next tensor of the same class.
///
/// An eager training step allocates and frees the same set of buffers at every step
/// (activations, gradients, temporaries). Reusing them skips the allocator and, for buffers
/// above glibc's mmap threshold, the page faults of touching fresh memory. Sizes are
/// rounded up to one of four classes per power of two (at most 25 % more than asked),
/// so that a freed buffer serves any request of its class. The cache is bounded
/// (``cacheLimit``): a buffer that would exceed it, or larger than a quarter of it, is
/// returned to the system. ``emptyCache()`` returns everything, like PyTorch's
/// `torch.cuda.empty_cache()` does for its GPU cache.
public enum TensorMemory {
  /// The most bytes freed buffers may hold. Default: 256 MiB, or a sixteenth of physical
  /// memory if that is less. Setting it lower frees buffers until the cache fits; 0 turns
  /// caching off.
  public static var cacheLimit: Int {
    get { BufferCache.shared.withLock { $0.limit } }
    set {
      require(newValue >= 0, "TensorMemory.cacheLimit: expected a non-negative byte count, got \(newValue)")
      BufferCache.shared.withLock { cache in
        cache.limit = newValue
        cache.trim(to: newValue)
      }
    }
  }

  /// Bytes held by freed buffers now.
  public static var cachedBytes: Int { BufferCache.shared.withLock { $0.bytes } }

  /// Returns every cached buffer to the system.
  public static func emptyCache() { BufferCache.shared.withLock { $0.trim(to: 0) } }
}

/// The cache behind ``TensorMemory``: per size class, a small stack of free buffers, all
/// in memory allocated once, behind a mutex (storages are freed on any thread).
final class BufferCache: @unchecked Sendable {
  static let shared = BufferCache()

  static let alignment = 64
  /// Buffers per class; a freed buffer beyond this goes back to the system.
  static let depth = 16
  /// Classes: 4 per power of two, capacities 2ᵉ + j·2ᵉ⁻² (j = 1...4) for e = 5...47; the
  /// smallest used is 64 bytes.
  static let classCount = 4 * 43

  struct State {
    var limit: Int
    var bytes = 0
    /// `slots[c * depth + i]`, `counts[c]` entries each.
    let slots: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    let counts: UnsafeMutablePointer<Int>

    /// Frees cached buffers, largest classes first, until at most `target` bytes remain.
    mutating func trim(to target: Int) {
      var c = BufferCache.classCount - 1
      while bytes > target && c >= 0 {
        while counts[c] > 0 && bytes > target {
          counts[c] -= 1
          free(slots[c * BufferCache.depth + counts[c]])
          bytes -= BufferCache.capacity(ofClass: c)
        }
        c -= 1
      }
    }
  }

  private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private var state: State

  /// A cache holding at most `limit` bytes (default: 256 MiB, or a sixteenth of physical
  /// memory if less). Internal: the process uses ``shared``; tests make their own.
  init(limit: Int? = nil) {
    pthread_mutex_init(lock, nil)
    let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(
      capacity: Self.classCount * Self.depth)
    slots.initialize(repeating: nil, count: Self.classCount * Self.depth)
    let counts = UnsafeMutablePointer<Int>.allocate(capacity: Self.classCount)
    counts.initialize(repeating: 0, count: Self.classCount)
    let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    let standard = Swift.min(256 << 20, Swift.max(physical / 16, 16 << 20))
    state = State(limit: limit ?? standard, slots: slots, counts: counts)
  }

  func withLock<R>(_ body: (inout State) -> R) -> R {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    return body(&state)
  }

  /// The class of a request of `bytes` bytes: the smallest capacity that holds it.
  @inline(__always)
  static func sizeClass(_ bytes: Int) -> Int {
    let b = Swift.max(bytes, 64)
    // b in (2ᵉ, 2ᵉ⁺¹]: the classes there hold 2ᵉ + j·2ᵉ⁻², j = 1...4.
    let e = Int.bitWidth - 1 - (b - 1).leadingZeroBitCount
    let quarter = 1 << (e - 2)
    let j = (b - (1 << e) + quarter - 1) / quarter
    return (e - 5) * 4 + j - 1
  }

  /// The bytes a buffer of class `c` holds.
  @inline(__always)
  static func capacity(ofClass c: Int) -> Int {
    let e = c / 4 + 5
    let j = c % 4 + 1
    return (1 << e) + j * (1 << (e - 2))
  }

  /// A buffer of at least `bytes` bytes, 64-byte aligned, and its capacity (to give back).
  func allocate(_ bytes: Int) -> (UnsafeMutableRawPointer, Int) {
    let c = Self.sizeClass(bytes)
    let capacity = Self.capacity(ofClass: c)
    if c < Self.classCount {
      pthread_mutex_lock(lock)
      if state.counts[c] > 0 {
        state.counts[c] -= 1
        let buffer = state.slots[c * Self.depth + state.counts[c]]!
        state.bytes -= capacity
        pthread_mutex_unlock(lock)
        return (buffer, capacity)
      }
      pthread_mutex_unlock(lock)
    }
    return (UnsafeMutableRawPointer(aligned_alloc(Self.alignment, capacity)!), capacity)
  }

  /// Takes back a buffer from ``allocate(_:)``: cached, or freed if the cache is full.
  func release(_ buffer: UnsafeMutableRawPointer, capacity: Int) {
    let c = Self.sizeClass(capacity)
    pthread_mutex_lock(lock)
    if c < Self.classCount && state.counts[c] < Self.depth && capacity <= state.limit / 4
      && state.bytes + capacity <= state.limit
    {
      state.slots[c * Self.depth + state.counts[c]] = buffer
      state.counts[c] += 1
      state.bytes += capacity
      pthread_mutex_unlock(lock)
      return
    }
    pthread_mutex_unlock(lock)
    free(buffer)
  }
}
