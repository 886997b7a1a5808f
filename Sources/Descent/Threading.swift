import CBLAS
import Dispatch
import Foundation

/// Process-wide thread settings, like `torch.set_num_threads`.
///
/// The initial value is OpenBLAS's own default (all cores, or `OPENBLAS_NUM_THREADS` /
/// `OMP_NUM_THREADS` when set), so both start out agreeing.
public enum Threads {
  nonisolated(unsafe) private static var current = Swift.max(1, Int(openblas_get_num_threads()))

  /// The number of threads used by OpenBLAS (matrix products and LAPACK's factorisations in
  /// ``Linalg``) and by Descent's own kernels (large elementwise work, reductions, the fused
  /// optimizer steps) (`torch.get_num_threads()`).
  ///
  /// It starts at OpenBLAS's default: the number of cores, or `OPENBLAS_NUM_THREADS` /
  /// `OMP_NUM_THREADS` when set. Change it with ``set(_:)``, before starting work; a data
  /// loader's worker threads are separate (its `numWorkers`).
  public static var count: Int { current }

  /// The thread count OpenBLAS reports (`openblas_get_num_threads`); equal to ``count``.
  public static var blasThreads: Int { Int(openblas_get_num_threads()) }

  /// Sets the thread count for OpenBLAS (`openblas_set_num_threads`) and Descent's kernels.
  /// Call it before starting work, not concurrently with it.
  public static func set(_ n: Int) {
    require(n >= 1, "Threads.set: expected a positive thread count, got \(n)")
    current = n
    openblas_set_num_threads(Int32(n))
  }

  /// Elementwise work below this many elements stays on the calling thread: spawning
  /// costs more than it saves.
  public static let grainSize = 1 << 15
}

/// Splits `0..<count` into contiguous chunks and runs `body` on each, in parallel when the
/// work is large enough and more than one thread is configured.
@inline(__always)
public func parallelChunks(
  _ count: Int, grain: Int = Threads.grainSize, _ body: (Range<Int>) -> Void
) {
  let threads = Threads.count
  if threads <= 1 || count < 2 * grain {
    body(0..<count)
    return
  }
  let chunks = min(threads, count / grain)
  // Round chunk boundaries to 16 elements so vectorised loops start aligned.
  let per = ((count + chunks - 1) / chunks + 15) & ~15
  withoutActuallyEscaping(body) { body in
    DispatchQueue.concurrentPerform(iterations: chunks) { i in
      let lo = i * per
      let hi = min(count, lo + per)
      if lo < hi { body(lo..<hi) }
    }
  }
}
