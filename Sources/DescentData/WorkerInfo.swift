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
  (Thread.current.threadDictionary[workerInfoKey] as? WorkerInfoBox)?.info
}

private let workerInfoKey = "DescentData.WorkerInfo"

private final class WorkerInfoBox {
  let info: WorkerInfo
  init(_ info: WorkerInfo) { self.info = info }
}

/// Starts a loader worker: a Foundation thread that knows its ``WorkerInfo``.
func startWorkerThread(info: WorkerInfo, body: @escaping () -> Void) {
  let box = UncheckedBox((info, body))
  let thread = Thread {
    let (info, body) = box.value
    Thread.current.threadDictionary[workerInfoKey] = WorkerInfoBox(info)
    body()
  }
  thread.name = "DescentData worker \(info.id)"
  thread.start()
}

/// Carries a value to another thread that will be its only user.
struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
