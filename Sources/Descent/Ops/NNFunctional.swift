import CDescentKernels
import RealModule

// Ops that neural-network layers and losses are built from (`torch.nn.functional`), each
// with its own kernel and PyTorch's backward formula.

extension Tensor {
  /// Runs `kernel(src, dst, n)` over every row of `n` elements along `dim`, after moving
  /// `dim` last; returns a contiguous result in this tensor's shape.
  private func alongRows<K: RowKernel>(dim d: Int, op: String, _ kernel: K) -> Tensor {
    require(dtype.isFloatingPoint, "\(op): expected a floating point tensor, got \(dtype)")
    if dtype.isReducedPrecision {
      return Tensor.inOpmath(dtype) { widenedToOpmath().alongRows(dim: d, op: op, kernel) }
    }
    var order = Array(0..<rank)
    order.remove(at: d)
    order.append(d)
    let moved = d == rank - 1 ? contiguousCopyIfNeeded() : permuteRaw(order).contiguousCopyIfNeeded()
    let out = Tensor(uninitializedShape: moved.shape, dtype: dtype)
    let n = shape[d]
    let rows = n == 0 ? 0 : count / n
    let grain = Swift.max(1, Threads.grainSize / Swift.max(n, 1))
    withExtendedLifetime((moved, out)) {
      if dtype == .float32 {
        parallelFor(
          rows, grain: grain,
          RowsTask(
            kernel: kernel, source: UnsafePointer(moved.pointer(Float.self)),
            destination: out.pointer(Float.self), n: n))
      } else {
        parallelFor(
          rows, grain: grain,
          RowsTask(
            kernel: kernel, source: UnsafePointer(moved.pointer(Double.self)),
            destination: out.pointer(Double.self), n: n))
      }
    }
    if d == rank - 1 { return out }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, o) in order.enumerated() { inverse[o] = i }
    return out.permuteRaw(inverse).contiguousCopy()
  }

  /// `exp(x) / sum(exp(x))` along `dim` (`torch.softmax`), computed as PyTorch's CPU kernel
  /// does: subtract the row maximum, exponentiate, multiply by the reciprocal of the sum.
  ///
  /// Backward: `y * (g - sum(g * y, dim))`.
  public func softmax(dim: Int) -> Tensor {
    let d = normalizeDim(dim, rank: rank, op: "softmax")
    if rank == 0 { return reshape([1]).softmax(dim: 0).reshape([]) }
    let out = alongRows(dim: d, op: "softmax", SoftmaxRow())
    let y = out.detach()
    return out.recording("SoftmaxBackward0", [self]) { g in
      [Self.fusedBackward(g, y) { g, y in y * (g - (g * y).sum(dim: d, keepDim: true)) }]
    }
  }

  /// `x - log(sum(exp(x)))` along `dim` (`torch.log_softmax`), computed as PyTorch's CPU
  /// kernel does: `x - max - log(sum(exp(x - max)))`.
  ///
  /// Backward: `g - exp(y) * sum(g, dim)`.
  public func logSoftmax(dim: Int) -> Tensor {
    let d = normalizeDim(dim, rank: rank, op: "log_softmax")
    if rank == 0 { return reshape([1]).logSoftmax(dim: 0).reshape([]) }
    // PyTorch's half kernel for the last dim keeps the row's sum and its log in the half
    // type (each rounded) before the final subtraction; along other dims it stays float32.
    let out =
      dtype.isReducedPrecision && d == rank - 1
      ? alongRows(dim: d, op: "log_softmax", LogSoftmaxRow(roundsSumTo: dtype))
      : alongRows(dim: d, op: "log_softmax", LogSoftmaxRow())
    let y = out.detach()
    return out.recording("LogSoftmaxBackward0", [self]) { g in
      [Self.fusedBackward(g, y) { g, y in g - y.exp() * g.sum(dim: d, keepDim: true) }]
    }
  }

  /// Rows of `weight` picked by the `int64` tensor `indices` (`torch.nn.functional.embedding`):
  /// the result has shape `indices.shape + [weight.shape[1]]`.
  ///
  /// The gradient of `weight` adds each output row's gradient into the row it came from;
  /// the row `paddingIdx` (if given; negative counts from the end) gets no gradient, as in
  /// PyTorch.
  public static func embedding(_ indices: Tensor, weight: Tensor, paddingIdx: Int? = nil) -> Tensor {
    require(
      indices.dtype == .int64,
      "embedding(): Expected tensor for argument #1 'indices' to have scalar type Long; but got \(indices.dtype) instead"
    )
    require(weight.rank == 2, "embedding(): 'weight' must be 2-D, got shape \(weight.shape)")
    require(
      weight.dtype.isFloatingPoint, "embedding(): expected a floating point weight, got \(weight.dtype)")
    let rows = weight.shape[0]
    let width = weight.shape[1]
    var padding: Int? = nil
    if let paddingIdx {
      require(
        paddingIdx >= -rows && paddingIdx < rows, "Padding_idx must be within num_embeddings")
      padding = paddingIdx < 0 ? paddingIdx + rows : paddingIdx
    }
    let idx = indices.asArray(Int.self)
    for v in idx {
      require(
        v >= 0 && v < rows, "embedding(): index \(v) is out of range for a weight with \(rows) rows")
    }
    let source = weight.contiguousCopyIfNeeded()
    let out = Tensor(uninitializedShape: indices.shape + [width], dtype: weight.dtype)
    let bytes = width * weight.dtype.byteSize
    withExtendedLifetime((source, out)) {
      let src = source.storage.base + source.offset * weight.dtype.byteSize
      let dst = out.storage.base
      for (i, row) in idx.enumerated() {
        (dst + i * bytes).copyMemory(from: src + row * bytes, byteCount: bytes)
      }
    }
    let dtype = weight.dtype
    return out.recording("EmbeddingBackward0", [weight]) { g in
      // PyTorch's `index_add_`, index after index: half gradients are added in float32 and
      // rounded to the half type after each addition, as its half kernel does.
      if dtype.isReducedPrecision {
        // Into the half gradient's bits; columns are independent, each adds the indices' rows
        // in order.
        let grad = Tensor(zeroedShape: [rows, width], dtype: dtype)
        let gc = g.to(dtype: .float32).contiguousCopyIfNeeded()
        let task = HalfEmbeddingBackwardTask(
          gradOutput: gc.pointer(Float.self), indices: idx, padding: padding ?? -1, width: width,
          grad: grad.pointer(UInt16.self), bfloat16: dtype == .bfloat16)
        withExtendedLifetime((gc, grad)) {
          parallelFor(width, grain: Swift.max(1, Threads.grainSize / Swift.max(idx.count, 1)), task)
        }
        return [grad]
      }
      let grad = Tensor(zeroedShape: [rows, width], dtype: dtype)
      let gc = g.to(dtype: dtype).contiguousCopyIfNeeded()
      // Split by columns as for half weights: each column adds the indices' rows in order.
      let grain = Swift.max(1, Threads.grainSize / Swift.max(idx.count, 1))
      withExtendedLifetime((gc, grad)) {
        if dtype == .float32 {
          parallelFor(
            width, grain: grain,
            EmbeddingBackwardTask(
              gradOutput: gc.pointer(Float.self), indices: idx, padding: padding ?? -1, width: width,
              grad: grad.pointer(Float.self)))
        } else {
          parallelFor(
            width, grain: grain,
            EmbeddingBackwardTask(
              gradOutput: gc.pointer(Double.self), indices: idx, padding: padding ?? -1, width: width,
              grad: grad.pointer(Double.self)))
        }
      }
      return [grad]
    }
  }
}

/// Embedding backward on float32/float64 weights for a range of columns: the rows of
/// `indices` added in index order (`index_add_`), the padding row (or none, when negative)
/// left out.
private struct EmbeddingBackwardTask<T: TensorScalar>: RangeTask {
  let gradOutput: UnsafeMutablePointer<T>
  let indices: [Int]
  let padding: Int
  let width: Int
  let grad: UnsafeMutablePointer<T>

  func run(_ range: Range<Int>) {
    indices.withUnsafeBufferPointer { indices in
      for (i, row) in indices.enumerated() where row != padding {
        let from = gradOutput + i * width
        let to = grad + row * width
        for c in range { to[c] += from[c] }
      }
    }
  }
}

/// Embedding backward on half weights for a range of columns (HalfLayerKernels.h).
private struct HalfEmbeddingBackwardTask: RangeTask {
  let gradOutput: UnsafeMutablePointer<Float>
  let indices: [Int]
  let padding: Int
  let width: Int
  let grad: UnsafeMutablePointer<UInt16>
  let bfloat16: Bool

  func run(_ range: Range<Int>) {
    indices.withUnsafeBufferPointer { indices in
      indices.baseAddress!.withMemoryRebound(to: Int64.self, capacity: indices.count) {
        descent_half_embedding_backward(
          gradOutput, $0, Int64(indices.count), Int64(padding), Int64(width), grad, bfloat16 ? 1 : 0,
          Int64(range.lowerBound), Int64(range.upperBound))
      }
    }
  }
}

@inline(__always)
private func softmaxRow<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
  guard n > 0 else { return }
  var m = x[0]
  for i in 1..<n where x[i] > m || x[i].isNaN { m = x[i] }
  var sum: T = 0
  for i in 0..<n {
    let e = T.exp(x[i] - m)
    y[i] = e
    sum += e
  }
  let scale = 1 / sum
  for i in 0..<n { y[i] *= scale }
}

@inline(__always)
/// With `half`, the sum and its log are rounded to that type, as PyTorch's last-dim kernel
/// for bfloat16/float16 stores them (the row itself is float32 here, rounded on output).
private func logSoftmaxRow<T: TensorScalar>(
  _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, half: DType? = nil
) {
  guard n > 0 else { return }
  var m = x[0]
  for i in 1..<n where x[i] > m || x[i].isNaN { m = x[i] }
  // An all -inf row: PyTorch's result is NaN there too (x - max is NaN).
  var sum: T = 0
  for i in 0..<n { sum += T.exp(x[i] - m) }
  var logSum = T.log(sum)
  if let half {
    logSum = T(half.rounding(Double(T.log(T(half.rounding(Double(sum)))))))
  }
  for i in 0..<n { y[i] = x[i] - m - logSum }
}

/// A function of one contiguous row, applied by `alongRows`.
protocol RowKernel {
  func callAsFunction<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int)
}

struct SoftmaxRow: RowKernel {
  func callAsFunction<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    softmaxRow(x, y, n)
  }
}

struct LogSoftmaxRow: RowKernel {
  /// A half type whose last-dim kernel PyTorch runs (nil: float32/float64 arithmetic only).
  var roundsSumTo: DType? = nil

  func callAsFunction<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    logSoftmaxRow(x, y, n, half: roundsSumTo)
  }
}

/// `kernel` over rows `range` of `n` contiguous elements.
struct RowsTask<K: RowKernel, T: TensorScalar>: RangeTask {
  let kernel: K
  let source: UnsafePointer<T>
  let destination: UnsafeMutablePointer<T>
  let n: Int

  func run(_ range: Range<Int>) {
    for r in range { kernel(source + r * n, destination + r * n, n) }
  }
}
