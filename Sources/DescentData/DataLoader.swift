import Descent

/// Batches of samples from a dataset, in a `for` loop (`torch.utils.data.DataLoader`).
///
/// ```swift
/// let loader = try DataLoader(dataset, batchSize: 32, shuffle: true, generator: Generator(seed: 0))
/// for (batchIndex, batch) in loader.enumerated() {
///   let x = batch["x"], y = batch["y"]        // a TensorDictDataset's batch
///   // zeroGrad, forward, loss, backward, step
/// }
/// ```
///
/// Only the arguments that differ from PyTorch's defaults need writing. A two-tensor
/// ``TensorDataset`` yields `(x, y)` pairs:
///
/// ```swift
/// let pairs = try DataLoader(try TensorDataset(features, targets), batchSize: 32, shuffle: true)
/// for (x, y) in pairs { /* ... */ }
/// ```
///
/// Options (PyTorch's name in brackets; every default is PyTorch's):
/// - `batchSize` (`batch_size`, default 1): samples per batch; `nil` turns automatic
///   batching off (see the `batchSize: Int?` initialisers).
/// - `shuffle` (default `false`): a new random order every epoch, from a ``RandomSampler``
///   over the dataset using `generator`.
/// - `sampler`: the indices to load, as a `Sampler<Int>`; excludes `shuffle`.
/// - `batchSampler` (`batch_sampler`): the index batches to load, as a `Sampler<[Int]>`;
///   excludes `batchSize`, `shuffle`, `sampler` and `dropLast`.
/// - `numWorkers` (`num_workers`, default 0): with 0 the batches are built on the iterating
///   thread; with N > 0, on N background threads, at most `prefetchFactor * numWorkers`
///   batches ahead, and still yielded in sampler order.
/// - `collate` (`collate_fn`, default `nil` = ``defaultCollate(_:)``): merges the list of
///   samples into a batch.
/// - `pinMemory` (`pin_memory`, default `false`): accepted and ignored. Pinned (page-locked)
///   memory speeds up copies to a GPU; Descent computes on the CPU, where it changes nothing.
/// - `dropLast` (`drop_last`, default `false`): leave out the last batch if it is short.
/// - `timeout` (default 0 = wait for ever): seconds to wait for each batch from the workers;
///   longer throws ``DataError/timeout(_:)`` "DataLoader timed out after N seconds". Needs
///   `numWorkers > 0`, as in PyTorch.
/// - `workerInit` (`worker_init_fn`): called once on each worker thread with its id, before
///   the worker loads anything; ``getWorkerInfo()`` works inside it. An error it throws
///   reaches the loop when that worker's first batch is due.
/// - `generator`: the random source for shuffling and for the per-epoch worker base seed.
///   The same seed gives the same batches whatever `numWorkers` is.
/// - `prefetchFactor` (`prefetch_factor`, default `nil`, meaning 2 with workers): batches
///   loaded ahead per worker; only allowed with `numWorkers > 0`.
///
/// ## Errors
///
/// Conflicting options throw PyTorch's `ValueError` messages from the initialiser. Two
/// checks PyTorch makes only when iteration starts are made here at once: a `timeout` with
/// `numWorkers == 0` ("_SingleProcessDataLoaderIter requires timeout == 0") and a
/// `prefetchFactor` of 0.
///
/// An error thrown while loading or collating a batch — by the dataset's subscript, by an
/// iterable dataset's stream, by `collate`, by `workerInit`, or a timeout — reaches the
/// consumer, on the consumer's thread, unchanged (your own error type survives; PyTorch
/// re-raises the worker's exception with its traceback). Since `for batch in loader`
/// cannot throw, there are two ways to iterate:
///
/// - ``forEachBatch(_:)`` or ``makeThrowingIterator()`` when loading can fail: the error is
///   thrown where you can catch it, and the workers are stopped, nothing hangs:
///   ```swift
///   try loader.forEachBatch { batch in ... }
///   var batches = loader.makeThrowingIterator()
///   while let batch = try batches.next() { ... }
///   ```
/// - `for batch in loader` (the `Sequence` conformance) for data that cannot fail, like
///   tensors in memory. If an error does occur, the program stops with the error's message,
///   as `try!` would: silently ending the epoch early would train on part of the data.
///
/// ## Threads
///
/// The dataset's subscript runs on the worker threads, concurrently, so it must be safe for
/// concurrent reads. Each batch is built by one worker and then handed to the consumer; no
/// two threads touch it at once. The index order is drawn on the consumer's thread, so
/// `Generator` use is the same with 0 or N workers.
///
/// Departures from PyTorch: workers are threads, not processes (no pickling, shared memory);
/// `persistent_workers`, `multiprocessing_context`, `in_order` and `pin_memory_device` are
/// not offered (batches always come in order).
public struct DataLoader<Element, Batch>: Sequence {
  /// Samples per batch, or `nil` when automatic batching is off.
  public let batchSize: Int?
  /// Whether a short last batch is dropped.
  public let dropLast: Bool
  /// The sampler of single indices, for a map-style dataset.
  public let sampler: (any Sampler<Int>)?
  /// The sampler of index batches, for a map-style dataset with automatic batching.
  public let batchSampler: (any Sampler<[Int]>)?
  /// Number of background threads (0: load on the iterating thread).
  public let numWorkers: Int
  /// Batches loaded ahead per worker (`nil` without workers).
  public let prefetchFactor: Int?
  /// Accepted for PyTorch compatibility; no effect on the CPU.
  public let pinMemory: Bool
  /// Seconds to wait for a batch from the workers; 0 waits for ever.
  public let timeout: Double
  /// The generator for shuffling and worker seeds, or `nil` for the default generator.
  public let generator: Descent.Generator?

  let source: DataSource<Element>
  let collation: Collation<Element, Batch>
  let workerInit: ((Int) throws -> Void)?

  // MARK: Shared option checks, in PyTorch's order

  init(
    source: DataSource<Element>, collation: Collation<Element, Batch>, batchSize: Int?,
    shuffle: Bool, sampler: (any Sampler<Int>)?, batchSampler: (any Sampler<[Int]>)?,
    numWorkers: Int, pinMemory: Bool, dropLast: Bool, timeout: Double,
    workerInit: ((Int) throws -> Void)?, generator: Descent.Generator?, prefetchFactor: Int?
  ) throws {
    guard numWorkers >= 0 else {
      throw DataError.invalidArgument(
        "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    }
    guard timeout >= 0 else {
      throw DataError.invalidArgument("timeout option should be non-negative")
    }
    var prefetch = prefetchFactor
    if numWorkers == 0 && prefetchFactor != nil {
      throw DataError.invalidArgument(
        "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
      )
    } else if numWorkers > 0 && prefetchFactor == nil {
      prefetch = 2
    } else if let p = prefetchFactor, p < 0 {
      throw DataError.invalidArgument("prefetch_factor option should be non-negative")
    }

    var sampler = sampler
    var batchSampler = batchSampler
    switch source {
    case .iterable:
      if shuffle {
        throw DataError.invalidArgument(
          "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=true")
      }
      if let sampler {
        throw DataError.invalidArgument(
          "DataLoader with IterableDataset: expected unspecified sampler option, but got sampler=\(type(of: sampler))"
        )
      }
      if let batchSampler {
        throw DataError.invalidArgument(
          "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got batch_sampler=\(type(of: batchSampler))"
        )
      }
    case .map:
      break
    }
    if sampler != nil && shuffle {
      throw DataError.invalidArgument("sampler option is mutually exclusive with shuffle")
    }
    var batchSize = batchSize
    var dropLast = dropLast
    if batchSampler != nil {
      if batchSize != 1 || shuffle || sampler != nil || dropLast {
        throw DataError.invalidArgument(
          "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
      }
      batchSize = nil
      dropLast = false
    } else if batchSize == nil && dropLast {
      throw DataError.invalidArgument(
        "batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
    }
    if case .map(let count, _) = source {
      if sampler == nil {
        sampler =
          shuffle
          ? try RandomSampler(count: count, generator: generator) : SequentialSampler(count: count)
      }
      if let size = batchSize, batchSampler == nil {
        batchSampler = try BatchSampler(sampler!, batchSize: size, dropLast: dropLast)
      }
    } else if let size = batchSize, size <= 0 {
      throw DataError.invalidArgument(
        "batch_size should be a positive integer value, but got batch_size=\(size)")
    }
    // PyTorch raises these two when iteration starts; raising them here is earlier.
    if numWorkers == 0 && timeout != 0 {
      throw DataError.invalidArgument(
        "_SingleProcessDataLoaderIter requires timeout == 0 (a timeout needs numWorkers > 0)")
    }
    if numWorkers > 0 && prefetch == 0 {
      throw DataError.invalidArgument(
        "prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
    }

    self.source = source
    self.collation = collation
    self.batchSize = batchSize
    self.dropLast = dropLast
    self.sampler = sampler
    self.batchSampler = batchSampler
    self.numWorkers = numWorkers
    self.prefetchFactor = prefetch
    self.pinMemory = pinMemory
    self.timeout = timeout
    self.workerInit = workerInit
    self.generator = generator
  }

  // MARK: Length

  /// The number of batches per epoch (`len(dataloader)`): the batch sampler's count, or
  /// for an iterable dataset with a known length `ceil(length / batchSize)`
  /// (`floor` with `dropLast`). Stops the program for an iterable dataset without a
  /// length, where PyTorch raises `TypeError`.
  public var count: Int {
    switch source {
    case .map:
      return batchSampler?.count ?? sampler!.count
    case .iterable(let length, _):
      guard let length else {
        requirementFailure("DataLoader.count: the IterableDataset has no length")
      }
      guard let size = batchSize else { return length }
      return dropLast ? length / size : (length + size - 1) / size
    }
  }

  public var underestimatedCount: Int {
    if case .iterable(nil, _) = source { return 0 }
    return count
  }

  // MARK: Iteration

  /// An iterator over one epoch whose `next()` throws loading errors.
  ///
  /// The epoch starts here: the worker base seed is drawn from `generator` (or the default
  /// generator), then the sampler's order, and with `numWorkers > 0` the workers start and
  /// the first `prefetchFactor * numWorkers` batches are queued. Dropping the iterator
  /// before the end stops the workers.
  public func makeThrowingIterator() -> ThrowingIterator {
    let baseSeed = UInt64((generator ?? .default).nextInt(below: Int.max))
    let tasks: AnyIterator<[Int]>
    switch source {
    case .map:
      if let batchSampler {
        tasks = anyIterator(batchSampler)
      } else {
        let indices = anyIterator(sampler!)
        tasks = AnyIterator { indices.next().map { [$0] } }
      }
    case .iterable:
      // PyTorch's _InfiniteConstantSampler: only the batch length matters.
      let task = [Int](repeating: 0, count: batchSize ?? 1)
      tasks = AnyIterator { task }
    }
    let session = LoaderSession(
      source: source, collation: collation, tasks: tasks, dropLast: dropLast,
      numWorkers: numWorkers, prefetchFactor: prefetchFactor ?? 0, timeout: timeout,
      baseSeed: baseSeed, workerInit: workerInit)
    return ThrowingIterator(session: session)
  }

  /// Runs `body` on every batch of one epoch, throwing the first error from loading or from
  /// `body`. The workers are stopped before the error is thrown.
  public func forEachBatch(_ body: (Batch) throws -> Void) throws {
    var iterator = makeThrowingIterator()
    while let batch = try iterator.next() { try body(batch) }
  }

  /// One epoch whose loading errors are thrown by ``next()``.
  public struct ThrowingIterator: ThrowingIteratorProtocol {
    let session: LoaderSession<Element, Batch>

    /// The next batch, `nil` after the last, or the error that loading it threw. After an
    /// error the epoch can go on: the next call yields the batch after the failed one, as
    /// in PyTorch; after a timeout it waits again for the same batch.
    public mutating func next() throws -> Batch? { try session.next() }
  }

  /// One epoch for `for batch in loader`; stops the program on a loading error (see
  /// "Errors" above).
  public struct Iterator: IteratorProtocol {
    var base: ThrowingIterator

    public mutating func next() -> Batch? {
      do {
        return try base.next()
      } catch {
        fatalError(
          "DataLoader: \(error) (iterate with try loader.forEachBatch { } or loader.makeThrowingIterator() to catch loading errors)"
        )
      }
    }
  }

  public func makeIterator() -> Iterator { Iterator(base: makeThrowingIterator()) }
}
