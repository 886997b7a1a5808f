import CBLAS
import CDescentKernels
import Foundation

/// Process-wide thread settings, like `torch.set_num_threads`.
///
/// The initial value is OpenBLAS's own default (all cores, or `OPENBLAS_NUM_THREADS` /
/// `OMP_NUM_THREADS` when set), so both start out agreeing.
///
/// One pool runs everything Descent computes: its elementwise kernels, reductions and
/// fused optimizer steps, and its BLAS calls, which it splits into blocks and hands to the
/// same threads, each block a single-threaded OpenBLAS call. OpenBLAS's own threads keep
/// serving direct `cblas_*` calls made outside Descent: they busy-wait (`sched_yield`) for
/// about a tenth of a second after each call, and would otherwise take the cores Descent's
/// next kernel needs (a fused step right after a BLAS call ran 1.4–1.6× slower).
public enum Threads {
  nonisolated(unsafe) private static var current: Int = {
    let count = Swift.max(1, Int(openblas_get_num_threads()))
    descent_set_pytorch_threads(Int32(clamping: count))
    return count
  }()

  /// The number of threads used by OpenBLAS (matrix products and LAPACK's factorisations in
  /// ``Linalg``) and by Descent's own kernels (large elementwise work, reductions, the fused
  /// optimizer steps) (`torch.get_num_threads()`).
  ///
  /// It starts at OpenBLAS's default: the number of cores, or `OPENBLAS_NUM_THREADS` /
  /// `OMP_NUM_THREADS` when set. Change it with ``set(_:)``, before starting work; a data
  /// loader's worker threads are separate (its `numWorkers`).
  public static var count: Int { current }

  /// The thread count OpenBLAS reports (`openblas_get_num_threads`); equal to ``count``
  /// outside Descent's BLAS calls.
  public static var blasThreads: Int { Int(openblas_get_num_threads()) }

  /// Sets the thread count for OpenBLAS (`openblas_set_num_threads`) and Descent's kernels.
  /// Call it before starting work, not concurrently with it.
  public static func set(_ n: Int) {
    require(n >= 1, "Threads.set: expected a positive thread count, got \(n)")
    current = n
    openblas_set_num_threads(Int32(n))
    // Where PyTorch's loops on half tensors end in scalar tails depends on its thread count,
    // which the kernels that follow PyTorch's for-loop take to be this one.
    descent_set_pytorch_threads(Int32(clamping: n))
  }

  /// Whether Descent's BLAS calls run on its own pool, split into single-threaded OpenBLAS
  /// calls (default), or go to OpenBLAS whole, on OpenBLAS's threads (`false`; also set by
  /// `DESCENT_BLAS_POOL=off` at start). A diagnostic: `descent bench threads` compares the
  /// two in one run. Change it between computations, not concurrently with them.
  public static var blasOnPool: Bool {
    get { PooledBLAS.enabled }
    set { PooledBLAS.enabled = newValue }
  }

  /// Elementwise work below this many elements stays on the calling thread: spawning
  /// costs more than it saves.
  public static let grainSize = 1 << 15
}

/// Work that ``parallelFor(_:grain:_:)`` splits into contiguous index ranges. A struct
/// conforming to it carries its operands by value, so that running it on the pool
/// allocates nothing (a closure handed to another thread would be boxed on the heap).
protocol RangeTask {
  func run(_ range: Range<Int>)
}

/// How `0..<count` is cut: the number of chunks and their length, a multiple of
/// `alignment` (16 elements by default, so that vectorised loops start aligned; 1 for
/// indices of blocks); one chunk when the work is small or one thread is configured.
@inline(__always)
func chunking(_ count: Int, grain: Int, alignment: Int = 16) -> (chunks: Int, per: Int) {
  let threads = Threads.count
  if threads <= 1 || count < 2 * grain { return (1, count) }
  let chunks = Swift.min(threads, count / Swift.max(grain, 1))
  let per = ((count + chunks - 1) / chunks + alignment - 1) / alignment * alignment
  return ((count + per - 1) / per, per)
}

/// The pool's view of a ``RangeTask``: a pointer to it and a thin function that runs one
/// chunk of it, so that one C trampoline serves every task type.
private struct ErasedRangeTask {
  let task: UnsafeRawPointer
  let run: (UnsafeRawPointer, Range<Int>) -> Void
  let count: Int
  let per: Int
}

private let rangeTaskTrampoline: @convention(c) (UnsafeMutableRawPointer?, Int64) -> Void = {
  context, index in
  let job = context!.assumingMemoryBound(to: ErasedRangeTask.self).pointee
  let lo = Int(index) * job.per
  let hi = Swift.min(job.count, lo + job.per)
  if lo < hi { job.run(job.task, lo..<hi) }
}

/// Runs `task` over `0..<count` in contiguous chunks on Descent's thread pool (the calling
/// thread takes a chunk too), or on the calling thread alone when the work is small.
/// Allocates nothing.
@inline(__always)
func parallelFor<Task: RangeTask>(
  _ count: Int, grain: Int = Threads.grainSize, alignment: Int = 16, _ task: Task
) {
  let (chunks, per) = chunking(count, grain: grain, alignment: alignment)
  if chunks <= 1 {
    task.run(0..<count)
    return
  }
  withUnsafePointer(to: task) { pointer in
    var job = ErasedRangeTask(
      task: UnsafeRawPointer(pointer),
      run: { task, range in task.assumingMemoryBound(to: Task.self).pointee.run(range) },
      count: count, per: per)
    withUnsafeMutablePointer(to: &job) { descent_parallel_run(Int64(chunks), rangeTaskTrampoline, $0) }
  }
}

/// A closure as a ``RangeTask``, for ``parallelChunks(_:grain:_:)``.
private struct ClosureRangeTask: RangeTask {
  let body: (Range<Int>) -> Void
  func run(_ range: Range<Int>) { body(range) }
}

/// Splits `0..<count` into contiguous chunks and runs `body` on each, in parallel on
/// Descent's thread pool when the work is large enough and more than one thread is
/// configured. Chunk boundaries are multiples of 16 elements.
///
/// Handing a closure to another thread costs one heap allocation per call; Descent's own
/// kernels use an allocation-free path instead.
@inline(__always)
public func parallelChunks(
  _ count: Int, grain: Int = Threads.grainSize, _ body: (Range<Int>) -> Void
) {
  if chunking(count, grain: grain).chunks <= 1 {
    body(0..<count)
    return
  }
  withoutActuallyEscaping(body) { body in parallelFor(count, grain: grain, ClosureRangeTask(body: body)) }
}
