/// A map-style dataset: a fixed number of samples, each reachable by its index
/// (`torch.utils.data.Dataset` with `__len__` and `__getitem__`).
///
/// Conform by giving `count` and a subscript. The subscript may throw: a file that cannot be
/// read or a malformed record then reaches the code that iterates the ``DataLoader`` as an
/// error. A conforming type may also implement the subscript without `throws`; the
/// requirement is still met and direct calls need no `try`.
///
/// ```swift
/// struct Squares: Dataset {
///   var count: Int { 100 }
///   subscript(index: Int) -> [String: Tensor] {
///     let x = Double(index)
///     return ["x": Tensor([x]), "y": Tensor([x * x])]
///   }
/// }
/// ```
///
/// With `numWorkers > 0` the loader calls the subscript from several threads at once, so it
/// must be safe for concurrent reads. (PyTorch's workers are processes holding their own
/// copies; Descent's are threads sharing one.)
public protocol Dataset<Element> {
  /// The type of one sample.
  associatedtype Element
  /// The number of samples (`len(dataset)`).
  var count: Int { get }
  /// The sample at `index`, for `0 <= index < count` (`dataset[index]`).
  subscript(index: Int) -> Element { get throws }
}

/// An iterator whose `next()` may throw; the stream of an ``IterableDataset``.
public protocol ThrowingIteratorProtocol<Element> {
  associatedtype Element
  /// The next element, `nil` at the end, or an error.
  mutating func next() throws -> Element?
}

/// An iterable-style dataset: a stream of samples (`torch.utils.data.IterableDataset`).
///
/// The ``DataLoader`` asks for a fresh iterator at each epoch. With `numWorkers > 0` every
/// worker asks for its own iterator, as every PyTorch worker holds a replica of the
/// dataset: without sharding each worker yields the whole stream, so the data are
/// duplicated. Read ``getWorkerInfo()`` inside ``makeDataIterator()`` to give each worker
/// its share, as PyTorch's documentation shows with `get_worker_info()`.
public protocol IterableDataset<Element> {
  associatedtype Element
  associatedtype DataIterator: ThrowingIteratorProtocol where DataIterator.Element == Element
  /// A new pass over the samples.
  func makeDataIterator() -> DataIterator
  /// The number of samples if known (`len(dataset)`); `nil` (the default) otherwise.
  var length: Int? { get }
}

extension IterableDataset {
  public var length: Int? { nil }
}

/// Any Swift `Sequence` as an ``IterableDataset`` whose stream cannot fail.
public struct SequenceDataset<Base: Sequence>: IterableDataset {
  public let base: Base
  public let length: Int?

  /// Wraps `base`; pass `length` when it is known, for ``DataLoader/count``.
  public init(_ base: Base, length: Int? = nil) {
    self.base = base
    self.length = length
  }

  public struct DataIterator: ThrowingIteratorProtocol {
    var base: Base.Iterator
    public mutating func next() -> Base.Element? { base.next() }
  }

  public func makeDataIterator() -> DataIterator { DataIterator(base: base.makeIterator()) }
}

/// A type-erased map-style dataset, so that datasets of different types with one element
/// type can be combined (for example in ``ConcatDataset``).
public struct AnyDataset<Element>: Dataset {
  private let countValue: Int
  private let fetch: (Int) throws -> Element

  /// Wraps `base`.
  public init<D: Dataset>(_ base: D) where D.Element == Element {
    countValue = base.count
    fetch = { try base[$0] }
  }

  public var count: Int { countValue }

  public subscript(index: Int) -> Element {
    get throws { try fetch(index) }
  }
}

/// Resolves a possibly negative Python-style index against `count`, or throws PyTorch's
/// `IndexError`.
func resolveIndex(_ index: Int, count: Int) throws -> Int {
  guard index >= -count && index < count else {
    throw DataError.indexOutOfRange(
      "index \(index) is out of bounds for dimension 0 with size \(count)")
  }
  return index < 0 ? index + count : index
}
