import Foundation

/// Up to six integers held inline: the key under which ``ShapeCache`` keeps one shared
/// `[Int]` per distinct small shape or stride list, so that building it allocates nothing.
struct SmallInts: Hashable {
  static let capacity = 6
  private(set) var count = 0
  private var values: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)

  init() {}

  /// The first `count` elements of `source`; `nil` when there are more than six.
  init?(_ source: [Int]) {
    guard source.count <= Self.capacity else { return nil }
    for v in source { append(v) }
  }

  subscript(i: Int) -> Int {
    get {
      withUnsafeBytes(of: values) { $0.load(fromByteOffset: i * MemoryLayout<Int>.stride, as: Int.self) }
    }
    set {
      withUnsafeMutableBytes(of: &values) {
        $0.storeBytes(of: newValue, toByteOffset: i * MemoryLayout<Int>.stride, as: Int.self)
      }
    }
  }

  mutating func append(_ v: Int) {
    self[count] = v
    count += 1
  }

  static func == (a: SmallInts, b: SmallInts) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<a.count where a[i] != b[i] { return false }
    return true
  }

  func hash(into hasher: inout Hasher) {
    hasher.combine(count)
    for i in 0..<count { hasher.combine(self[i]) }
  }

  var array: [Int] { (0..<count).map { self[$0] } }
}

/// One shared array per distinct small shape and per contiguous stride list: a training
/// step builds tensors of the same few shapes over and over, and each new `[Int]` is a heap
/// allocation. Bounded; thread-safe.
final class ShapeCache: @unchecked Sendable {
  static let shared = ShapeCache()
  /// Entries before the tables are emptied and start over.
  static let limit = 4096

  private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private var arrays: [SmallInts: [Int]] = [:]
  private var strides: [SmallInts: [Int]] = [:]

  private init() { pthread_mutex_init(lock, nil) }

  /// The shared array holding `key`'s integers.
  func array(_ key: SmallInts) -> [Int] {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    if let found = arrays[key] { return found }
    if arrays.count >= Self.limit { arrays.removeAll(keepingCapacity: true) }
    let made = key.array
    arrays[key] = made
    return made
  }

  /// `[0, 1, ..., rank - 1]`, shared.
  func allDims(_ rank: Int) -> [Int] {
    guard rank <= SmallInts.capacity else { return Array(0..<rank) }
    var key = SmallInts()
    for d in 0..<rank { key.append(d) }
    return array(key)
  }

  /// Row-major strides of `shape` (size-0 dimensions count as 1), shared between tensors.
  func contiguousStrides(for shape: [Int]) -> [Int] {
    guard let key = SmallInts(shape) else { return Self.computeStrides(shape) }
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    if let found = strides[key] { return found }
    if strides.count >= Self.limit { strides.removeAll(keepingCapacity: true) }
    let made = Self.computeStrides(shape)
    strides[key] = made
    return made
  }

  static func computeStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[d] = acc
      acc *= Swift.max(shape[d], 1)
    }
    return strides
  }
}
