import Descent

/// One epoch of a ``DataLoader``: PyTorch's `_SingleProcessDataLoaderIter` and
/// `_MultiProcessingDataLoaderIter` in one class.
///
/// Everything here runs on the consumer's thread. The order of the batches is fixed before
/// any worker runs: the index batches are drawn here, from the sampler, in the order
/// PyTorch draws them, and handed to workers round-robin; results are yielded in task
/// order. So a seed gives the same batches with 0 or N workers.
final class LoaderSession<Element, Batch> {
  private let timeout: Double
  private var tasks: AnyIterator<[Int]>
  private var ended = false

  // numWorkers == 0
  private let fetcher: Fetcher<Element, Batch>?

  // numWorkers > 0 (PyTorch's names)
  private let pool: WorkerPool<Element, Batch>?
  private let numWorkers: Int
  private let maxTasks: Int
  private var sendIndex = 0
  private var receivedIndex = 0
  private var taskWorker: [Int: Int] = [:]
  private var stash: [Int: FetchOutcome<Batch>] = [:]
  private var workerActive: [Bool]
  private var nextWorker = 0
  private var tasksOutstanding = 0

  init(
    source: DataSource<Element>, collation: Collation<Element, Batch>, tasks: AnyIterator<[Int]>,
    dropLast: Bool, numWorkers: Int, prefetchFactor: Int, timeout: Double, baseSeed: UInt64,
    workerInit: ((Int) throws -> Void)?
  ) {
    self.tasks = tasks
    self.timeout = timeout
    self.numWorkers = numWorkers
    self.maxTasks = prefetchFactor * numWorkers
    self.workerActive = Array(repeating: true, count: numWorkers)
    if numWorkers == 0 {
      fetcher = Fetcher(source: source, collation: collation, dropLast: dropLast)
      pool = nil
    } else {
      fetcher = nil
      pool = WorkerPool(
        numWorkers: numWorkers, baseSeed: baseSeed, workerInit: workerInit,
        makeFetcher: { Fetcher(source: source, collation: collation, dropLast: dropLast) })
      // Prime the prefetch loop.
      for _ in 0..<maxTasks { tryPutIndex() }
    }
  }

  deinit {
    pool?.stop(join: false)
  }

  /// The next batch, `nil` at the end of the epoch, or the error that loading it threw.
  /// After an error the epoch goes on: the next call yields the following batch, as in
  /// PyTorch. After a timeout the next call waits again for the same batch.
  func next() throws -> Batch? {
    if ended { return nil }
    guard let pool else { return try nextSingle() }
    while true {
      // Skip tasks owned by workers whose iterable stream has ended.
      while receivedIndex < sendIndex {
        if let worker = taskWorker[receivedIndex] {
          if stash[receivedIndex] != nil || workerActive[worker] { break }
          taskWorker[receivedIndex] = nil
        }
        receivedIndex += 1
      }
      if receivedIndex >= sendIndex {
        finish()
        return nil
      }
      if let outcome = stash.removeValue(forKey: receivedIndex) {
        taskWorker[receivedIndex] = nil
        receivedIndex += 1
        return try process(outcome)
      }
      guard let arrival = pool.nextArrival(timeout: timeout) else {
        throw DataError.timeout("DataLoader timed out after \(formatSeconds(timeout)) seconds")
      }
      tasksOutstanding -= 1
      if case .exhausted = arrival.outcome {
        workerActive[arrival.worker] = false
        tryPutIndex()
        continue
      }
      if arrival.task != receivedIndex {
        stash[arrival.task] = arrival.outcome
        continue
      }
      taskWorker[receivedIndex] = nil
      receivedIndex += 1
      return try process(arrival.outcome)
    }
  }

  private func nextSingle() throws -> Batch? {
    guard let task = tasks.next() else {
      ended = true
      return nil
    }
    switch fetcher!.fetch(task) {
    case .batch(let batch): return batch
    case .failure(let error): throw error
    case .exhausted:
      ended = true
      return nil
    }
  }

  private func process(_ outcome: FetchOutcome<Batch>) throws -> Batch {
    tryPutIndex()
    switch outcome {
    case .batch(let batch): return batch
    case .failure(let error): throw error
    case .exhausted: requirementFailure("DataLoader: an exhausted task cannot be yielded")
    }
  }

  /// Draws the next index batch and queues it for the next active worker.
  private func tryPutIndex() {
    guard tasksOutstanding < maxTasks, let task = tasks.next() else { return }
    var chosen: Int?
    for _ in 0..<numWorkers {
      let worker = nextWorker
      nextWorker = (nextWorker + 1) % numWorkers
      if workerActive[worker] {
        chosen = worker
        break
      }
    }
    // Every worker's stream has ended: the drawn task is dropped, as in PyTorch.
    guard let worker = chosen else { return }
    pool!.submit(task: sendIndex, indices: task, to: worker)
    taskWorker[sendIndex] = worker
    tasksOutstanding += 1
    sendIndex += 1
  }

  private func finish() {
    ended = true
    pool?.stop(join: true)
  }
}

/// `5` for whole seconds, else the shortest decimal (Python prints `timeout` as given).
func formatSeconds(_ seconds: Double) -> String {
  seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
}
