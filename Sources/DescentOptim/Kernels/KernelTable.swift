import CDescentKernels
import Descent

/// The entries one fused step hands to a C kernel: one per parameter with a gradient, laid
/// end to end so that a whole group is a single range of elements that ``run(_:)`` splits
/// across threads, however many tensors it holds.
///
/// The buffer is kept between steps and only grows, so a steady-state step allocates
/// nothing.
final class KernelTable<Entry> {
  private var entries: UnsafeMutablePointer<Entry>
  private var capacity: Int
  private(set) var count = 0
  /// Elements in all entries: the length of the concatenation.
  private(set) var elementCount = 0
  /// Tensors that only this step holds alive (contiguous copies of hand-assigned
  /// non-contiguous gradients).
  private var temporaries: [Tensor] = []

  init() {
    capacity = 16
    entries = .allocate(capacity: capacity)
  }

  deinit {
    entries.deinitialize(count: count)
    entries.deallocate()
  }

  /// Empties the table, keeping its memory.
  func reset() {
    entries.deinitialize(count: count)
    count = 0
    elementCount = 0
    if !temporaries.isEmpty { temporaries.removeAll(keepingCapacity: true) }
  }

  /// The offset the next entry starts at.
  var nextStart: Int64 { Int64(elementCount) }

  /// Appends an entry of `elements` elements, which must start at ``nextStart``.
  func append(_ entry: Entry, elements: Int) {
    if count == capacity {
      let grown = UnsafeMutablePointer<Entry>.allocate(capacity: capacity * 2)
      grown.moveInitialize(from: entries, count: count)
      entries.deallocate()
      entries = grown
      capacity *= 2
    }
    (entries + count).initialize(to: entry)
    count += 1
    elementCount += elements
  }

  /// Keeps `tensor` alive until the next ``reset()``.
  func keepAlive(_ tensor: Tensor) { temporaries.append(tensor) }

  /// Runs `kernel(config, entries, count, begin, end)` on contiguous chunks of the
  /// concatenation, one per thread when it is large enough: the chunks are cut as
  /// `parallelChunks` cuts them (boundaries rounded to 16 elements), but run on the
  /// persistent workers of `descent_parallel_run`, with a C function pointer and a context
  /// on the stack, so nothing is allocated (`DispatchQueue.concurrentPerform`, and a Swift
  /// closure stored for another thread, allocate on every call).
  func run(_ kernel: RangeKernel, config: UnsafeRawPointer) {
    guard count > 0, elementCount > 0 else { return }
    let total = elementCount
    let threads = Threads.count
    if threads <= 1 || total < 2 * Threads.grainSize {
      kernel(config, entries, Int64(count), 0, Int64(total))
      return
    }
    let chunks = min(threads, total / Threads.grainSize)
    var job = ChunkJob(
      kernel: kernel, config: config,
      entries: UnsafeRawPointer(entries), entryCount: Int64(count), total: Int64(total),
      per: Int64(((total + chunks - 1) / chunks + 15) & ~15))
    withUnsafeMutablePointer(to: &job) { pointer in
      descent_parallel_run(Int64(chunks), ChunkJob.runChunk, pointer)
    }
  }
}

/// A C kernel's signature with its config and entry pointers erased:
/// `(config, entries, entryCount, begin, end)`.
typealias RangeKernel = FusedRangeKernel

/// One fused kernel call split into chunks, as `descent_parallel_run` hands it to threads.
private struct ChunkJob {
  var kernel: RangeKernel
  var config: UnsafeRawPointer
  var entries: UnsafeRawPointer
  var entryCount: Int64
  var total: Int64
  var per: Int64

  static let runChunk: @convention(c) (UnsafeMutableRawPointer?, Int64) -> Void = { context, index in
    let job = context!.assumingMemoryBound(to: ChunkJob.self).pointee
    let lo = index * job.per
    let hi = min(job.total, lo + job.per)
    if lo < hi { job.kernel(job.config, job.entries, job.entryCount, lo, hi) }
  }
}

/// One table per floating-point dtype: a group may mix float32, float64, bfloat16 and
/// float16 parameters.
struct KernelTables<Entry> {
  let float32 = KernelTable<Entry>()
  let float64 = KernelTable<Entry>()
  let bfloat16 = KernelTable<Entry>()
  let float16 = KernelTable<Entry>()

  func reset() {
    float32.reset()
    float64.reset()
    bfloat16.reset()
    float16.reset()
  }

  func table(for dtype: DType) -> KernelTable<Entry> {
    switch dtype {
    case .float64: float64
    case .bfloat16: bfloat16
    case .float16: float16
    default: float32
    }
  }
}
