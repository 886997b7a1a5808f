/// The result of one loader task: a batch, the error that loading or collating threw, or the
/// end of an iterable dataset's stream (PyTorch's `_IterableDatasetStopIteration`).
enum FetchOutcome<Batch> {
  case batch(Batch)
  case failure(any Error)
  case exhausted
}

/// Where the samples come from.
enum DataSource<Element> {
  /// A map-style dataset: its count and its (possibly throwing) subscript.
  case map(count: Int, fetch: (Int) throws -> Element)
  /// An iterable dataset: its length if known, and a fresh stream per epoch and worker.
  case iterable(length: Int?, makeIterator: () -> AnyThrowingIterator<Element>)
}

/// How samples become what the loop receives.
enum Collation<Element, Batch> {
  /// Automatic batching: a list of samples goes through the collate function.
  case batched(([Element]) throws -> Batch)
  /// `batchSize: nil`: each sample is yielded on its own.
  case unbatched((Element) throws -> Batch)
}

/// A type-erased ``ThrowingIteratorProtocol``.
struct AnyThrowingIterator<Element> {
  private let nextElement: () throws -> Element?

  init<I: ThrowingIteratorProtocol>(_ base: I) where I.Element == Element {
    var base = base
    nextElement = { try base.next() }
  }

  func next() throws -> Element? { try nextElement() }
}

/// Turns tasks into batches (PyTorch's `_MapDatasetFetcher` / `_IterableDatasetFetcher`).
///
/// A task is a list of indices; for an iterable dataset only its length matters (PyTorch
/// passes a list of `None`). One fetcher lives on one thread: the consumer's with
/// `numWorkers == 0`, else one per worker, each with its own stream of an iterable dataset.
final class Fetcher<Element, Batch> {
  private let fetchSample: ((Int) throws -> Element)?
  private let stream: AnyThrowingIterator<Element>?
  private let collation: Collation<Element, Batch>
  private let dropLast: Bool
  private var ended = false

  init(source: DataSource<Element>, collation: Collation<Element, Batch>, dropLast: Bool) {
    switch source {
    case .map(_, let fetch):
      fetchSample = fetch
      stream = nil
    case .iterable(_, let makeIterator):
      fetchSample = nil
      stream = makeIterator()
    }
    self.collation = collation
    self.dropLast = dropLast
  }

  func fetch(_ task: [Int]) -> FetchOutcome<Batch> {
    do {
      if let fetchSample {
        switch collation {
        case .batched(let collate):
          return .batch(try collate(try task.map(fetchSample)))
        case .unbatched(let convert):
          return .batch(try convert(try fetchSample(task[0])))
        }
      }
      guard let stream, !ended else { return .exhausted }
      switch collation {
      case .batched(let collate):
        var samples: [Element] = []
        samples.reserveCapacity(task.count)
        while samples.count < task.count {
          guard let sample = try stream.next() else {
            ended = true
            break
          }
          samples.append(sample)
        }
        if samples.isEmpty || (dropLast && samples.count < task.count) { return .exhausted }
        return .batch(try collate(samples))
      case .unbatched(let convert):
        guard let sample = try stream.next() else {
          ended = true
          return .exhausted
        }
        return .batch(try convert(sample))
      }
    } catch {
      return .failure(error)
    }
  }
}
