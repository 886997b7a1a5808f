/// A source of dataset indices (`torch.utils.data.Sampler`): a sequence with a length.
///
/// `Sampler<Int>` yields single indices (what ``DataLoader``'s `sampler:` takes) and
/// `Sampler<[Int]>` yields batches of indices (what its `batchSampler:` takes), mirroring
/// PyTorch's `Sampler[int]` and `Sampler[List[int]]`. Conform by giving `makeIterator()` and
/// `count`. Each call of `makeIterator()` is one epoch.
public protocol Sampler<Element>: Sequence {
  /// The number of elements one pass yields (`len(sampler)`).
  var count: Int { get }
}

/// The indices `0..<count` in order (`torch.utils.data.SequentialSampler`).
public struct SequentialSampler: Sampler {
  public let count: Int

  /// Samples `0..<count`.
  public init(count: Int) {
    self.count = count
  }

  /// Samples every index of `dataset` in order.
  public init<D: Dataset>(_ dataset: D) {
    self.init(count: dataset.count)
  }

  public func makeIterator() -> Range<Int>.Iterator { (0..<count).makeIterator() }
}

/// Wraps any sampler of indices into batches of indices (`torch.utils.data.BatchSampler`).
///
/// With `dropLast` the last, short batch is left out: `count` is `n / batchSize` instead of
/// `ceil(n / batchSize)`.
///
/// ```swift
/// let s = try BatchSampler(SequentialSampler(count: 10), batchSize: 3, dropLast: false)
/// Array(s)   // [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
/// ```
public struct BatchSampler: Sampler {
  /// The sampler of single indices.
  public let sampler: any Sampler<Int>
  /// Indices per batch.
  public let batchSize: Int
  /// Whether a last batch shorter than `batchSize` is dropped.
  public let dropLast: Bool

  /// Throws PyTorch's error unless `batchSize` is positive.
  public init(_ sampler: any Sampler<Int>, batchSize: Int, dropLast: Bool) throws {
    guard batchSize > 0 else {
      throw DataError.invalidArgument(
        "batch_size should be a positive integer value, but got batch_size=\(batchSize)")
    }
    self.sampler = sampler
    self.batchSize = batchSize
    self.dropLast = dropLast
  }

  public var count: Int {
    dropLast ? sampler.count / batchSize : (sampler.count + batchSize - 1) / batchSize
  }

  public struct Iterator: IteratorProtocol {
    var base: AnyIterator<Int>
    let batchSize: Int
    let dropLast: Bool

    public mutating func next() -> [Int]? {
      var batch: [Int] = []
      batch.reserveCapacity(batchSize)
      while batch.count < batchSize, let i = base.next() { batch.append(i) }
      if batch.isEmpty || (dropLast && batch.count < batchSize) { return nil }
      return batch
    }
  }

  public func makeIterator() -> Iterator {
    Iterator(base: anyIterator(sampler), batchSize: batchSize, dropLast: dropLast)
  }
}

/// Opens an existential sequence into a type-erased iterator.
func anyIterator<S: Sequence>(_ sequence: S) -> AnyIterator<S.Element> {
  AnyIterator(sequence.makeIterator())
}
