import Descent
import Foundation

/// The worker threads of one epoch and the queues between them and the consumer.
///
/// PyTorch's workers are processes fed through one index queue each and answering through
/// one shared data queue; here they are threads and the queues are arrays guarded by one
/// condition variable. Each task goes to one worker and is answered exactly once, so a batch
/// is only ever touched by the worker that builds it and then by the consumer that takes it.
/// Which tasks are in flight, and in which order batches are yielded, is decided by the
/// consumer (``LoaderSession``), never here.
final class WorkerPool<Element, Batch>: @unchecked Sendable {
  struct Arrival {
    let task: Int
    let worker: Int
    let outcome: FetchOutcome<Batch>
  }

  private let condition = NSCondition()
  private var queues: [[(task: Int, indices: [Int])]]
  private var arrivals: [Arrival] = []
  private var arrivalHead = 0
  private var stopping = false
  private var running: Int

  /// Starts `numWorkers` threads. Each calls `workerInit` with its id, then makes its
  /// fetcher (for an iterable dataset this asks for its own stream), then serves tasks.
  init(
    numWorkers: Int, baseSeed: UInt64, workerInit: ((Int) throws -> Void)?,
    makeFetcher: @escaping () -> Fetcher<Element, Batch>
  ) {
    queues = Array(repeating: [], count: numWorkers)
    running = numWorkers
    for id in 0..<numWorkers {
      let seed = baseSeed &+ UInt64(id)
      let info = WorkerInfo(
        id: id, numWorkers: numWorkers, seed: seed, generator: Generator(seed: seed))
      startWorkerThread(info: info) { [self] in
        self.serve(id: id, workerInit: workerInit, makeFetcher: makeFetcher)
      }
    }
  }

  private func serve(
    id: Int, workerInit: ((Int) throws -> Void)?, makeFetcher: () -> Fetcher<Element, Batch>
  ) {
    // A failing workerInit fails every task of this worker, so the error reaches the
    // consumer at the first batch this worker owes (PyTorch sends it once and the next
    // tasks then fail for lack of a fetcher).
    var initError: (any Error)?
    var fetcher: Fetcher<Element, Batch>?
    do {
      try workerInit?(id)
      fetcher = makeFetcher()
    } catch {
      initError = error
    }
    var ended = false
    while true {
      condition.lock()
      while queues[id].isEmpty && !stopping { condition.wait() }
      if stopping {
        running -= 1
        condition.broadcast()
        condition.unlock()
        return
      }
      let task = queues[id].removeFirst()
      condition.unlock()

      let outcome: FetchOutcome<Batch>
      if let initError {
        outcome = .failure(initError)
      } else if ended {
        outcome = .exhausted
      } else {
        outcome = fetcher!.fetch(task.indices)
        if case .exhausted = outcome { ended = true }
      }

      condition.lock()
      arrivals.append(Arrival(task: task.task, worker: id, outcome: outcome))
      condition.broadcast()
      condition.unlock()
    }
  }

  /// Queues task number `task` (its `indices`) for `worker`.
  func submit(task: Int, indices: [Int], to worker: Int) {
    condition.lock()
    queues[worker].append((task, indices))
    condition.broadcast()
    condition.unlock()
  }

  /// The next answer from any worker, in arrival order; `nil` if none arrives within
  /// `timeout` seconds (`timeout <= 0` waits for ever).
  func nextArrival(timeout: Double) -> Arrival? {
    condition.lock()
    defer { condition.unlock() }
    let deadline = timeout > 0 ? Date(timeIntervalSinceNow: timeout) : nil
    while arrivalHead == arrivals.count {
      if let deadline {
        if !condition.wait(until: deadline) && arrivalHead == arrivals.count { return nil }
      } else {
        condition.wait()
      }
    }
    let arrival = arrivals[arrivalHead]
    arrivalHead += 1
    if arrivalHead == arrivals.count {
      arrivals.removeAll(keepingCapacity: true)
      arrivalHead = 0
    }
    return arrival
  }

  /// Tells the workers to exit after their current task. With `join`, waits until they have.
  ///
  /// The loader joins only at the normal end of an epoch, when no task is in flight; after
  /// an abandoned or timed-out epoch it does not wait, so a sample that never returns
  /// cannot hang the consumer (its thread exits when the sample returns).
  func stop(join: Bool) {
    condition.lock()
    stopping = true
    condition.broadcast()
    if join {
      while running > 0 { condition.wait() }
    }
    condition.unlock()
  }
}
