import Descent

/// `Σ body(block)` over `0..<count` split into blocks of at least `grain` items (default
/// ``Threads/grainSize`` elements), run in parallel when there are several: the reductions
/// of the optimizers that are not elementwise (Adafactor's norms) and of gradient clipping.
///
/// Each block returns its partial sum (in Double); the partial sums are added in block
/// order, so the result depends on the thread count but not on scheduling.
func parallelSum(
  _ count: Int, grain: Int = Threads.grainSize, _ body: (Range<Int>) -> Double
) -> Double {
  let blocks = Swift.max(1, Swift.min(Threads.count, count / grain))
  if blocks == 1 { return body(0..<count) }
  var partial = [Double](repeating: 0, count: blocks)
  partial.withUnsafeMutableBufferPointer { buffer in
    let sums = buffer.baseAddress!
    parallelChunks(blocks, grain: 1) { range in
      for block in range {
        sums[block] = body(block * count / blocks..<(block + 1) * count / blocks)
      }
    }
  }
  return partial.reduce(0, +)
}

/// Python's `max(a, b)`: `a` unless `b > a` (so a NaN `b` gives `a`).
@inline(__always)
func pythonMax(_ a: Double, _ b: Double) -> Double { b > a ? b : a }

/// Python's `min(a, b)`: `a` unless `b < a`.
@inline(__always)
func pythonMin(_ a: Double, _ b: Double) -> Double { b < a ? b : a }

/// `x.clamp_(min=low)`: NaN stays NaN, as in PyTorch.
@inline(__always)
func clampMin<T: TensorScalar>(_ x: T, _ low: T) -> T { x.isNaN || x >= low ? x : low }
