import Testing

@testable import Descent

/// The buffer cache behind tensor storage: size classes, reuse, bounds.
@Suite("Tensor buffer cache")
struct TensorMemoryTests {
  @Test("a size class holds its request and wastes at most a quarter")
  func sizeClasses() {
    var sizes = Array(1...5000)
    var b = 5000
    while b < 1 << 40 {
      sizes += [b - 1, b, b + 1]
      b = b * 9 / 7
    }
    for bytes in sizes {
      let c = BufferCache.sizeClass(bytes)
      let capacity = BufferCache.capacity(ofClass: c)
      #expect(capacity >= bytes, "\(bytes) bytes → class \(c) of \(capacity)")
      #expect(capacity <= Swift.max(64, bytes + bytes / 4 + 1), "\(bytes) bytes → \(capacity)")
      #expect(BufferCache.sizeClass(capacity) == c)
      #expect(c < BufferCache.classCount)
    }
  }

  @Test("a freed buffer serves the next request of its class")
  func reuse() {
    let cache = BufferCache(limit: 1 << 20)
    let (a, capacity) = cache.allocate(1000)
    cache.release(a, capacity: capacity)
    #expect(cache.withLock { $0.bytes } == capacity)
    let (b, again) = cache.allocate(capacity - 3)
    #expect(b == a)
    #expect(again == capacity)
    #expect(cache.withLock { $0.bytes } == 0)
    // Another class does not get it.
    cache.release(b, capacity: again)
    let (c, other) = cache.allocate(capacity * 2)
    #expect(c != b)
    cache.release(c, capacity: other)
    cache.withLock { $0.trim(to: 0) }
    #expect(cache.withLock { $0.bytes } == 0)
  }

  @Test("the cache stays within its limit")
  func bounded() {
    let limit = 64 << 10
    let cache = BufferCache(limit: limit)
    var held: [(UnsafeMutableRawPointer, Int)] = []
    for _ in 0..<40 { held.append(cache.allocate(4000)) }
    // A buffer above a quarter of the limit is never kept.
    held.append(cache.allocate(limit / 2))
    for (buffer, capacity) in held { cache.release(buffer, capacity: capacity) }
    let bytes = cache.withLock { $0.bytes }
    #expect(bytes <= limit)
    #expect(bytes > 0)
    // At most `depth` buffers per class.
    #expect(bytes <= BufferCache.depth * BufferCache.capacity(ofClass: BufferCache.sizeClass(4000)))
    cache.withLock { $0.trim(to: 0) }
    #expect(cache.withLock { $0.bytes } == 0)
  }

  @Test("tensors built on reused buffers hold their own values")
  func reusedBuffersAreInitialised() {
    for _ in 0..<3 {
      let dirty = Tensor.full([1000], 7.5)
      withExtendedLifetime(dirty) {}
    }
    let zeros = Tensor.zeros([1000])
    #expect(zeros.asArray(Float.self).allSatisfy { $0 == 0 })
    let ones = Tensor.ones([999])
    #expect(ones.asArray(Float.self).allSatisfy { $0 == 1 })
  }

  @Test("TensorMemory: a zero limit keeps nothing, and emptyCache empties")
  func publicControls() {
    let before = TensorMemory.cacheLimit
    defer { TensorMemory.cacheLimit = before }
    #expect(before > 0)
    TensorMemory.cacheLimit = 0
    _ = Tensor.zeros([4096]) + 1
    #expect(TensorMemory.cachedBytes == 0)
    TensorMemory.cacheLimit = before
    TensorMemory.emptyCache()
    #expect(TensorMemory.cachedBytes <= before)
  }
}
