import Descent
import Foundation

/// What a loader worker thread knows about itself (`torch.utils.data.get_worker_info()`).
public struct WorkerInfo: @unchecked Sendable {
  /// The worker's number, `0..<numWorkers`.
  public let id: Int
  /// The loader's number of workers.
  public let numWorkers: Int
  /// `baseSeed + id`, where the base seed is drawn once per epoch from the loader's
  /// generator (or the default generator), as in PyTorch.
  public let seed: UInt64
  /// A generator seeded with ``seed``, for randomness inside the dataset (augmentation)
  /// that is reproducible per worker. PyTorch instead re-seeds each worker process's global
  /// generator; Descent's workers are threads sharing one default generator, so they get
  /// their own instead.
  public let generator: Generator
}

/// The calling worker's ``WorkerInfo``, or `nil` on a thread that is not a loader worker
/// (`torch.utils.data.get_worker_info()`). Available inside `workerInit`, inside the
/// dataset's subscript and inside ``IterableDataset/makeDataIterator()``.
public func getWorkerInfo() -> WorkerInfo? {
  guard let raw = pthread_getspecific(workerInfoKey) else { return nil }
  return Unmanaged<WorkerInfoBox>.fromOpaque(raw).takeUnretainedValue().info
}

// A pthread key rather than Thread.threadDictionary: the worker sets and clears its entry
// itself, so nothing is left for thread-exit destructors to release.
private let workerInfoKey: pthread_key_t = {
  var key = pthread_key_t()
  pthread_key_create(&key, nil)
  return key
}()

private final class WorkerInfoBox {
  let info: WorkerInfo
  init(_ info: WorkerInfo) { self.info = info }
}

/// Starts a loader worker: a detached POSIX thread that knows its ``WorkerInfo`` while
/// `body` runs.
///
/// Plain pthreads rather than Foundation's `Thread`: a `Thread` object is released by a
/// thread-exit destructor, which crashed under the Swift Testing runner on Linux; here
/// nothing of ours outlives `body`.
func startWorkerThread(info: WorkerInfo, body: @escaping () -> Void) {
  let start = Unmanaged.passRetained(WorkerStart(info: info, body: body)).toOpaque()
  var thread = pthread_t()
  let status = pthread_create(
    &thread, nil,
    { raw in
      let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
      start.run()
      return nil
    }, start)
  require(status == 0, "DataLoader: cannot start worker thread \(info.id) (pthread_create: \(status))")
  pthread_detach(thread)
}

private final class WorkerStart {
  let info: WorkerInfo
  let body: () -> Void

  init(info: WorkerInfo, body: @escaping () -> Void) {
    self.info = info
    self.body = body
  }

  func run() {
    let box = Unmanaged.passRetained(WorkerInfoBox(info))
    pthread_setspecific(workerInfoKey, box.toOpaque())
    body()
    pthread_setspecific(workerInfoKey, nil)
    box.release()
  }
}
