import Descent

// The public initialisers. Each option is described on ``DataLoader``. The labels and their
// order follow PyTorch's `DataLoader(dataset, batch_size, shuffle, sampler, batch_sampler,
// num_workers, collate_fn, pin_memory, drop_last, timeout, worker_init_fn, generator,
// prefetch_factor)`.

extension DataLoader {
  /// A loader over a map-style dataset with your own `collate` function.
  public init<D: Dataset>(
    _ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: (any Sampler<Int>)? = nil,
    batchSampler: (any Sampler<[Int]>)? = nil, numWorkers: Int = 0,
    collate: @escaping ([Element]) throws -> Batch, pinMemory: Bool = false,
    dropLast: Bool = false, timeout: Double = 0, workerInit: ((Int) throws -> Void)? = nil,
    generator: Descent.Generator? = nil, prefetchFactor: Int? = nil
  ) throws where D.Element == Element {
    try self.init(
      source: .map(count: dataset.count, fetch: { try dataset[$0] }), collation: .batched(collate),
      batchSize: batchSize, shuffle: shuffle, sampler: sampler, batchSampler: batchSampler,
      numWorkers: numWorkers, pinMemory: pinMemory, dropLast: dropLast, timeout: timeout,
      workerInit: workerInit, generator: generator, prefetchFactor: prefetchFactor)
  }

  /// A loader over an iterable dataset with your own `collate` function.
  ///
  /// `shuffle`, `sampler` and `batchSampler` must be left out, as in PyTorch.
  public init<D: IterableDataset>(
    _ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: (any Sampler<Int>)? = nil,
    batchSampler: (any Sampler<[Int]>)? = nil, numWorkers: Int = 0,
    collate: @escaping ([Element]) throws -> Batch, pinMemory: Bool = false,
    dropLast: Bool = false, timeout: Double = 0, workerInit: ((Int) throws -> Void)? = nil,
    generator: Descent.Generator? = nil, prefetchFactor: Int? = nil
  ) throws where D.Element == Element {
    try self.init(
      source: .iterable(
        length: dataset.length, makeIterator: { AnyThrowingIterator(dataset.makeDataIterator()) }),
      collation: .batched(collate), batchSize: batchSize, shuffle: shuffle, sampler: sampler,
      batchSampler: batchSampler, numWorkers: numWorkers, pinMemory: pinMemory,
      dropLast: dropLast, timeout: timeout, workerInit: workerInit, generator: generator,
      prefetchFactor: prefetchFactor)
  }
}

extension DataLoader where Element: Collatable, Batch == Element.Collated {
  /// A loader over a map-style dataset; `collate: nil` uses ``defaultCollate(_:)``.
  public init<D: Dataset>(
    _ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: (any Sampler<Int>)? = nil,
    batchSampler: (any Sampler<[Int]>)? = nil, numWorkers: Int = 0,
    collate: (([Element]) throws -> Batch)? = nil, pinMemory: Bool = false,
    dropLast: Bool = false, timeout: Double = 0, workerInit: ((Int) throws -> Void)? = nil,
    generator: Descent.Generator? = nil, prefetchFactor: Int? = nil
  ) throws where D.Element == Element {
    try self.init(
      dataset, batchSize: batchSize, shuffle: shuffle, sampler: sampler,
      batchSampler: batchSampler, numWorkers: numWorkers, collate: collate ?? defaultCollate,
      pinMemory: pinMemory, dropLast: dropLast, timeout: timeout, workerInit: workerInit,
      generator: generator, prefetchFactor: prefetchFactor)
  }

  /// A loader over an iterable dataset; `collate: nil` uses ``defaultCollate(_:)``.
  public init<D: IterableDataset>(
    _ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: (any Sampler<Int>)? = nil,
    batchSampler: (any Sampler<[Int]>)? = nil, numWorkers: Int = 0,
    collate: (([Element]) throws -> Batch)? = nil, pinMemory: Bool = false,
    dropLast: Bool = false, timeout: Double = 0, workerInit: ((Int) throws -> Void)? = nil,
    generator: Descent.Generator? = nil, prefetchFactor: Int? = nil
  ) throws where D.Element == Element {
    try self.init(
      dataset, batchSize: batchSize, shuffle: shuffle, sampler: sampler,
      batchSampler: batchSampler, numWorkers: numWorkers, collate: collate ?? defaultCollate,
      pinMemory: pinMemory, dropLast: dropLast, timeout: timeout, workerInit: workerInit,
      generator: generator, prefetchFactor: prefetchFactor)
  }
}

extension DataLoader where Batch == Element {
  /// A loader that yields samples one by one, without automatic batching
  /// (`DataLoader(dataset, batch_size=None)`).
  ///
  /// `batchSize` must be `nil` (pass an `Int` to the other initialisers to get batches).
  /// Each sample goes through `convert` (default: unchanged, like PyTorch's
  /// `default_convert` for Swift values). `dropLast` and `batchSampler` are not allowed, as
  /// in PyTorch.
  public init<D: Dataset>(
    _ dataset: D, batchSize: Int?, shuffle: Bool = false, sampler: (any Sampler<Int>)? = nil,
    numWorkers: Int = 0, convert: ((Element) throws -> Element)? = nil, pinMemory: Bool = false,
    dropLast: Bool = false, timeout: Double = 0, workerInit: ((Int) throws -> Void)? = nil,
    generator: Descent.Generator? = nil, prefetchFactor: Int? = nil
  ) throws where D.Element == Element {
    if let batchSize {
      throw DataError.invalidArgument(
        "DataLoader(_:batchSize:) without batching takes batchSize: nil, got \(batchSize)")
    }
    try self.init(
      source: .map(count: dataset.count, fetch: { try dataset[$0] }),
      collation: .unbatched(convert ?? { $0 }), batchSize: nil, shuffle: shuffle,
      sampler: sampler, batchSampler: nil, numWorkers: numWorkers, pinMemory: pinMemory,
      dropLast: dropLast, timeout: timeout, workerInit: workerInit, generator: generator,
      prefetchFactor: prefetchFactor)
  }

  /// An unbatched loader over an iterable dataset (`batch_size=None`).
  public init<D: IterableDataset>(
    _ dataset: D, batchSize: Int?, numWorkers: Int = 0,
    convert: ((Element) throws -> Element)? = nil, pinMemory: Bool = false,
    dropLast: Bool = false, timeout: Double = 0, workerInit: ((Int) throws -> Void)? = nil,
    generator: Descent.Generator? = nil, prefetchFactor: Int? = nil
  ) throws where D.Element == Element {
    if let batchSize {
      throw DataError.invalidArgument(
        "DataLoader(_:batchSize:) without batching takes batchSize: nil, got \(batchSize)")
    }
    try self.init(
      source: .iterable(
        length: dataset.length, makeIterator: { AnyThrowingIterator(dataset.makeDataIterator()) }),
      collation: .unbatched(convert ?? { $0 }), batchSize: nil, shuffle: false, sampler: nil,
      batchSampler: nil, numWorkers: numWorkers, pinMemory: pinMemory, dropLast: dropLast,
      timeout: timeout, workerInit: workerInit, generator: generator,
      prefetchFactor: prefetchFactor)
  }
}

extension DataLoader where Element == [Tensor], Batch == (Tensor, Tensor) {
  /// A loader over a two-tensor ``TensorDataset`` whose batches are `(x, y)` pairs, so that
  /// `for (x, y) in loader` destructures them. The options are those of the other
  /// initialisers (see ``DataLoader``); the collate is the default one, stacking each of
  /// the two tensors.
  public init(
    _ dataset: TensorDataset<(Tensor, Tensor)>, batchSize: Int = 1, shuffle: Bool = false,
    sampler: (any Sampler<Int>)? = nil, batchSampler: (any Sampler<[Int]>)? = nil,
    numWorkers: Int = 0, pinMemory: Bool = false, dropLast: Bool = false, timeout: Double = 0,
    workerInit: ((Int) throws -> Void)? = nil, generator: Descent.Generator? = nil,
    prefetchFactor: Int? = nil
  ) throws {
    try self.init(
      dataset, batchSize: batchSize, shuffle: shuffle, sampler: sampler,
      batchSampler: batchSampler, numWorkers: numWorkers,
      collate: { samples in
        let stacked = try [Tensor].collate(samples)
        return (stacked[0], stacked[1])
      }, pinMemory: pinMemory, dropLast: dropLast, timeout: timeout, workerInit: workerInit,
      generator: generator, prefetchFactor: prefetchFactor)
  }
}
