import Descent
import Foundation

@testable import DescentData

/// Sample `i` is the integer `i`; a batch is an `int64` tensor of indices.
struct Indices: Dataset {
  let count: Int
  subscript(index: Int) -> Int { index }
}

/// An error type of the test's own, to check that errors arrive unchanged.
struct Boom: Error, Equatable {
  let index: Int
}

/// Throws ``Boom`` for the indices in `failing`.
struct Failing: Dataset {
  let count: Int
  let failing: Set<Int>
  subscript(index: Int) -> Int {
    get throws {
      if failing.contains(index) { throw Boom(index: index) }
      return index
    }
  }
}

/// Sample `i` is `i`; reading one of the `holding` indices waits for `release` first, so a
/// test decides when a slow sample arrives (no timers).
struct Held: Dataset {
  let count: Int
  let release: DispatchSemaphore
  let holding: Set<Int>
  subscript(index: Int) -> Int {
    if holding.contains(index) { release.wait() }
    return index
  }
}

/// A value guarded by a lock, shared between the test and worker threads.
final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value
  init(_ value: Value) { self.value = value }
  func withValue<R>(_ body: (inout Value) -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    return body(&value)
  }
  var current: Value { withValue { $0 } }
}

/// Every batch of one epoch, as arrays of indices.
func epoch<Element>(_ loader: DataLoader<Element, Tensor>) throws -> [[Int]] {
  var out: [[Int]] = []
  try loader.forEachBatch { out.append($0.asArray(Int.self)) }
  return out
}

/// The stream `0..<n`; with `shard`, worker k takes k, k + workers, ... (PyTorch's
/// documented `get_worker_info()` recipe).
struct Stream: IterableDataset {
  let n: Int
  let shard: Bool
  var length: Int? { n }
  func makeDataIterator() -> SequenceDataset<StrideTo<Int>>.DataIterator {
    if shard, let info = getWorkerInfo() {
      return SequenceDataset(stride(from: info.id, to: n, by: info.numWorkers)).makeDataIterator()
    }
    return SequenceDataset(stride(from: 0, to: n, by: 1)).makeDataIterator()
  }
}

/// Worker k yields `3 * (k + 1)` items `k * 100 + i`, so workers end at different times.
struct Uneven: IterableDataset {
  func makeDataIterator() -> SequenceDataset<[Int]>.DataIterator {
    let k = getWorkerInfo()?.id ?? 0
    return SequenceDataset((0..<(3 * (k + 1))).map { k * 100 + $0 }).makeDataIterator()
  }
}
