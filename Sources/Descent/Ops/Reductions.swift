import Foundation
import RealModule

/// How a reduction folds one contiguous row of `n` elements into one value.
protocol RowReducer {
  func callAsFunction<T: TensorScalar>(_ row: UnsafePointer<T>, _ n: Int) -> T
}

struct SumReducer: RowReducer {
  // Accumulates in Double: float32 sums then round once, at least as accurate as PyTorch's
  // cascade summation.
  func callAsFunction<T: TensorScalar>(_ row: UnsafePointer<T>, _ n: Int) -> T {
    var acc = 0.0
    for i in 0..<n { acc += Double(row[i]) }
    return T(acc)
  }
}
/// The largest (`isMax`) or smallest element of a row; a NaN wins, as in PyTorch.
struct ExtremeReducer: RowReducer {
  let isMax: Bool
  func callAsFunction<T: TensorScalar>(_ row: UnsafePointer<T>, _ n: Int) -> T {
    var best = row[0]
    for i in 1..<max(n, 1) {
      let v = row[i]
      if v.isNaN { return v }
      if isMax ? v > best : v < best { best = v }
    }
    return best
  }
}
struct VarianceReducer: RowReducer {
  let correction: Double
  func callAsFunction<T: TensorScalar>(_ row: UnsafePointer<T>, _ n: Int) -> T {
    var mean = 0.0
    for i in 0..<n { mean += Double(row[i]) }
    mean /= Double(n)
    var ss = 0.0
    for i in 0..<n {
      let d = Double(row[i]) - mean
      ss += d * d
    }
    return T(ss / Swift.max(0, Double(n) - correction))
  }
}
struct LogSumExpReducer: RowReducer {
  func callAsFunction<T: TensorScalar>(_ row: UnsafePointer<T>, _ n: Int) -> T {
    if n == 0 { return -T.infinity }
    var m = row[0]
    for i in 1..<n where row[i] > m { m = row[i] }
    if !m.isFinite { m = 0 }
    var s = 0.0
    for i in 0..<n { s += Double(T.exp(row[i] - m)) }
    return T(Double.log(s)) + m
  }
}
struct NormReducer: RowReducer {
  let p: Double
  // `torch.linalg.vector_norm`: p = 0 counts non-zeros, ±inf take the largest / smallest
  // magnitude (NaN propagates), others are (Σ|x|^p)^(1/p), accumulated in Double.
  func callAsFunction<T: TensorScalar>(_ row: UnsafePointer<T>, _ n: Int) -> T {
    if p == .infinity || p == -.infinity {
      var m = p > 0 ? 0.0 : Double.infinity
      for i in 0..<n {
        let a = Swift.abs(Double(row[i]))
        if a.isNaN { return T.nan }
        m = p > 0 ? Swift.max(m, a) : Swift.min(m, a)
      }
      return T(m)
    }
    var s = 0.0
    if p == 0 {
      for i in 0..<n where row[i] != 0 { s += 1 }
      return T(s)
    }
    if p == 2 {
      for i in 0..<n { s += Double(row[i]) * Double(row[i]) }
      return T(s.squareRoot())
    }
    if p == 1 {
      for i in 0..<n { s += Swift.abs(Double(row[i])) }
      return T(s)
    }
    for i in 0..<n { s += Foundation.pow(Swift.abs(Double(row[i])), p) }
    return T(Foundation.pow(s, 1 / p))
  }
}

extension Tensor {
  /// Normalised, sorted, de-duplicated reduction dims (all dims when `dims` is nil).
  func reductionDims(_ dims: [Int]?, op: String) -> [Int] {
    guard let dims, !dims.isEmpty else { return ShapeCache.shared.allDims(rank) }
    if dims.count == 1 {
      let d = normalizeDim(dims[0], rank: rank, op: op)
      return d == dims[0] ? dims : [d]
    }
    let d = dims.map { normalizeDim($0, rank: rank, op: op) }
    require(Set(d).count == d.count, "\(op): dim appears multiple times in the list of dims")
    return d.sorted()
  }

  /// Output shape of a reduction over `dims`.
  func reducedShape(_ dims: [Int], keepDim: Bool) -> [Int] {
    if !keepDim && dims.count == rank { return [] }
    if rank <= SmallInts.capacity {
      var key = SmallInts()
      for d in 0..<rank {
        if dims.contains(d) {
          if keepDim { key.append(1) }
        } else {
          key.append(shape[d])
        }
      }
      return ShapeCache.shared.array(key)
    }
    var out: [Int] = []
    for d in 0..<rank {
      if dims.contains(d) {
        if keepDim { out.append(1) }
      } else {
        out.append(shape[d])
      }
    }
    return out
  }

  /// Applies `reducer` to each row after moving the reduced dims last; no autograd.
  func reduceRows<R: RowReducer>(_ reducer: R, dims: [Int], keepDim: Bool, op: String) -> Tensor {
    require(dtype.isFloatingPoint, "\(op): expected a floating point tensor, got \(dtype)")
    if dtype.isReducedPrecision {
      // Accumulated in float32 or wider, rounded to half once.
      return Tensor.inOpmath(dtype) {
        widenedToOpmath().reduceRows(reducer, dims: dims, keepDim: keepDim, op: op)
      }
    }
    // Reduced dims already last (all of them, say) need no permuted view.
    let trailing =
      dims.count <= rank && dims.enumerated().allSatisfy { $0.element == rank - dims.count + $0.offset }
    let moved =
      trailing
      ? contiguousCopyIfNeeded()
      : permuteRaw((0..<rank).filter { !dims.contains($0) } + dims).contiguousCopyIfNeeded()
    let inner = dims.reduce(1) { $0 * shape[$1] }
    let outShape = reducedShape(dims, keepDim: keepDim)
    let out = Tensor(uninitializedShape: outShape, dtype: dtype)
    let rows = out.count
    if inner == 0 {
      require(
        R.self == SumReducer.self || R.self == LogSumExpReducer.self || R.self == NormReducer.self
          || R.self == VarianceReducer.self,
        "\(op): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
      )
    }
    func run<T: TensorScalar>(_: T.Type) {
      parallelFor(
        rows, grain: Swift.max(1, Threads.grainSize / Swift.max(inner, 1)),
        ReduceRowsTask(
          reducer: reducer, source: UnsafePointer(moved.pointer(T.self)), destination: out.pointer(T.self),
          inner: inner))
    }
    if dtype == .float32 { run(Float.self) } else { run(Double.self) }
    withExtendedLifetime(moved) {}
    return out
  }

  /// `sum` over leading dims of a contiguous tensor (a bias gradient: `[batch, n]` summed
  /// over the batch) without `reduceRows`' transposing copy: whole rows are added into a
  /// `Double` accumulator per output element. Each output element still sums its inputs
  /// in index order in `Double`, so the result equals `reduceRows` bit for bit.
  func sumOverLeadingDims(_ dims: [Int], keepDim: Bool) -> Tensor? {
    guard isContiguous, !dtype.isReducedPrecision, !dims.isEmpty, dims.count < rank,
      dims == Array(0..<dims.count)
    else { return nil }
    let outer = dims.reduce(1) { $0 * shape[$1] }
    let inner = count / Swift.max(outer, 1)
    guard outer > 1, inner > 0 else { return nil }
    let out = Tensor(uninitializedShape: reducedShape(dims, keepDim: keepDim), dtype: dtype)
    func run<T: TensorScalar>(_: T.Type) {
      parallelFor(
        inner, grain: Swift.max(16, Threads.grainSize / outer),
        SumLeadingDimsTask(
          source: UnsafePointer(pointer(T.self)), destination: out.pointer(T.self), outer: outer,
          inner: inner))
    }
    if dtype == .float32 { run(Float.self) } else { run(Double.self) }
    withExtendedLifetime(self) {}
    return out
  }

  /// A permuted view that records nothing.
  func permuteRaw(_ order: [Int]) -> Tensor {
    Tensor(
      storage: storage, shape: order.map { shape[$0] }, strides: order.map { strides[$0] },
      offset: offset)
  }

  func contiguousCopyIfNeeded() -> Tensor { isContiguous ? self : contiguousCopy() }

  /// Expands a reduced gradient back to this tensor's shape.
  func expandReduced(_ g: Tensor, dims: [Int], keepDim: Bool) -> Tensor {
    Tensor.expandReduced(g, dims: dims, keepDim: keepDim, to: shape)
  }

  /// Expands a gradient reduced over `dims` back to `shape`, as one stride-0 view.
  static func expandReduced(_ g: Tensor, dims: [Int], keepDim: Bool, to shape: [Int]) -> Tensor {
    if !keepDim && dims.count == shape.count && g.count == 1 {
      // A full reduction's 0-d gradient: every element of the input gets it.
      return g.reshape(Array(repeating: 1, count: shape.count)).expand(shape)
    }
    var g = g
    if !keepDim { for d in dims { g = g.unsqueeze(d) } }
    return g.expand(shape)
  }

  /// Sum over all elements, or over `dims` (`sum`). `keepDim` keeps reduced dims as size 1.
  ///
  /// `bool` and `int64` tensors sum to `int64`, as in PyTorch (`(a .== b).sum()` counts);
  /// they are summed in float64, exact up to 2⁵³. The node is `SumBackward0` without
  /// `dims` and `SumBackward1` with them (an empty list also sums everything), as in PyTorch.
  public func sum(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
    if !dtype.isFloatingPoint {
      return to(dtype: .float64).sum(dims: dims, keepDim: keepDim).to(dtype: .int64)
    }
    let d = reductionDims(dims, op: "sum")
    let out =
      sumOverLeadingDims(d, keepDim: keepDim)
      ?? reduceRows(SumReducer(), dims: d, keepDim: keepDim, op: "sum")
    guard GradMode.isEnabled, requiresGrad else { return out }
    let shape = self.shape
    return out.recording(dims == nil ? "SumBackward0" : "SumBackward1", [self]) { g in
      [Tensor.expandReduced(g, dims: d, keepDim: keepDim, to: shape)]
    }
  }

  /// Sum over one dimension.
  public func sum(dim: Int, keepDim: Bool = false) -> Tensor { sum(dims: [dim], keepDim: keepDim) }

  /// Mean over all elements or `dims` (`mean`): the sum divided by the number of elements
  /// reduced. The node is `MeanBackward0` without `dims`, `MeanBackward1` with them.
  public func mean(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
    let d = reductionDims(dims, op: "mean")
    let n = d.reduce(1) { $0 * shape[$1] }
    let out = withNoGrad {
      // A half tensor's mean is PyTorch's float32 sum divided in float32, rounded once.
      dtype.isReducedPrecision
        ? (widenedToOpmath().sum(dims: d, keepDim: keepDim) / Double(n)).to(dtype: dtype)
        : sum(dims: d, keepDim: keepDim) / Double(n)
    }
    guard dtype.isFloatingPoint else { return out }
    let source = detach()
    return out.recording(dims == nil ? "MeanBackward0" : "MeanBackward1", [self]) { g in
      [source.expandReduced(g, dims: d, keepDim: keepDim) / Double(n)]
    }
  }

  /// Mean over one dimension.
  public func mean(dim: Int, keepDim: Bool = false) -> Tensor { mean(dims: [dim], keepDim: keepDim) }

  /// Largest element (`max()`); the gradient is shared evenly between ties, as in PyTorch.
  public func max() -> Tensor { extreme(isMax: true, dims: Array(0..<rank), keepDim: false) }
  /// Smallest element (`min()`).
  public func min() -> Tensor { extreme(isMax: false, dims: Array(0..<rank), keepDim: false) }

  /// Largest values along `dim` and their indices (`max(dim)`); the gradient goes to the
  /// returned index.
  public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
    extremeAlong(dim: dim, keepDim: keepDim, isMax: true)
  }
  /// Smallest values along `dim` and their indices (`min(dim)`).
  public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
    extremeAlong(dim: dim, keepDim: keepDim, isMax: false)
  }

  /// Largest values over `dims` (`amax`); ties share the gradient.
  public func amax(dims: [Int], keepDim: Bool = false) -> Tensor {
    extreme(isMax: true, dims: reductionDims(dims, op: "amax"), keepDim: keepDim, name: "AmaxBackward0")
  }
  /// Smallest values over `dims` (`amin`).
  public func amin(dims: [Int], keepDim: Bool = false) -> Tensor {
    extreme(isMax: false, dims: reductionDims(dims, op: "amin"), keepDim: keepDim, name: "AminBackward0")
  }

  private func extreme(isMax: Bool, dims: [Int], keepDim: Bool, name: String? = nil) -> Tensor {
    if !dtype.isFloatingPoint {
      // Integers and masks compare exactly as float64 (up to 2⁵³) and keep their dtype.
      return to(dtype: .float64).extreme(isMax: isMax, dims: dims, keepDim: keepDim).to(dtype: dtype)
    }
    // Reducing over an empty extent has no identity; an empty result is fine.
    require(
      dims.allSatisfy { shape[$0] > 0 } || reducedShape(dims, keepDim: keepDim).contains(0),
      "\(isMax ? "max" : "min")(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument. (shape \(shape), dims \(dims))"
    )
    let out = reduceRows(
      ExtremeReducer(isMax: isMax), dims: dims, keepDim: keepDim, op: isMax ? "max" : "min")
    let source = detach()
    let result = out.detach()
    return out.recording(name ?? (isMax ? "MaxBackward1" : "MinBackward1"), [self]) { g in
      let hit = (source .== source.expandReduced(result, dims: dims, keepDim: keepDim)).to(dtype: g.dtype)
      let ties = hit.sum(dims: dims, keepDim: true)
      return [source.expandReduced(g, dims: dims, keepDim: keepDim) * hit / ties]
    }
  }

  private func extremeAlong(dim: Int, keepDim: Bool, isMax: Bool) -> (values: Tensor, indices: Tensor) {
    let d = normalizeDim(dim, rank: rank, op: isMax ? "max" : "min")
    let indices = argExtreme(dim: d, keepDim: true, isMax: isMax)
    let values = withNoGrad { gather(dim: d, index: indices) }
    let finalValues = keepDim ? values : values.squeeze(d)
    let finalIndices = keepDim ? indices : indices.squeeze(d)
    let shape = self.shape
    finalValues.recording(isMax ? "MaxBackward0" : "MinBackward0", [self]) { g in
      let gk = keepDim ? g : g.unsqueeze(d)
      return [Tensor.zeros(shape, dtype: g.dtype).scatterAdd(dim: d, index: indices, source: gk)]
    }
    return (finalValues, finalIndices)
  }

  /// Index of the largest element of the flattened tensor, or along `dim` (`argmax`),
  /// as `int64`. The first occurrence wins; NaN counts as largest.
  public func argmax(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
    guard let dim else { return reshape([-1]).argExtreme(dim: 0, keepDim: false, isMax: true) }
    return argExtreme(dim: normalizeDim(dim, rank: rank, op: "argmax"), keepDim: keepDim, isMax: true)
  }

  /// Index of the smallest element (`argmin`), as `int64`.
  public func argmin(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
    guard let dim else { return reshape([-1]).argExtreme(dim: 0, keepDim: false, isMax: false) }
    return argExtreme(dim: normalizeDim(dim, rank: rank, op: "argmin"), keepDim: keepDim, isMax: false)
  }

  private func argExtreme(dim d: Int, keepDim: Bool, isMax: Bool) -> Tensor {
    if !dtype.isFloatingPoint || dtype.isReducedPrecision {
      // Integers and masks compare exactly in float64, half values in float32.
      return to(dtype: dtype.isReducedPrecision ? .float32 : .float64)
        .argExtreme(dim: d, keepDim: keepDim, isMax: isMax)
    }
    let n = rank == 0 ? 1 : shape[d]
    require(
      n > 0, "\(isMax ? "argmax" : "argmin")(): Expected reduction dim \(d) to have non-zero size.")
    if rank == 0 { return Tensor([0], shape: []) }
    let kept = (0..<rank).filter { $0 != d }
    let moved = permuteRaw(kept + [d]).contiguousCopyIfNeeded()
    let out = Tensor(uninitializedShape: reducedShape([d], keepDim: keepDim), dtype: .int64)
    let dst = out.pointer(Int.self)
    func run<T: TensorScalar>(_: T.Type) {
      let src = moved.pointer(T.self)
      for r in 0..<out.count {
        let row = src + r * n
        var best = 0
        for i in 1..<n {
          if row[best].isNaN { break }
          if row[i].isNaN || (isMax ? row[i] > row[best] : row[i] < row[best]) { best = i }
        }
        dst[r] = best
      }
    }
    if dtype == .float32 { run(Float.self) } else { run(Double.self) }
    withExtendedLifetime(moved) {}
    return out
  }

  /// Variance over all elements or `dims` with Bessel-style `correction` (default 1,
  /// unbiased), as `torch.var(correction=)`.
  public func variance(dims: [Int]? = nil, correction: Double = 1, keepDim: Bool = false) -> Tensor {
    let d = reductionDims(dims, op: "var")
    let out = reduceRows(VarianceReducer(correction: correction), dims: d, keepDim: keepDim, op: "var")
    let n = Double(d.reduce(1) { $0 * shape[$1] })
    let source = detach()
    return out.recording("VarBackward0", [self]) { g in
      let mean = source.mean(dims: d, keepDim: true)
      let scale = 2 / Swift.max(0, n - correction)
      return [source.expandReduced(g, dims: d, keepDim: keepDim) * (source - mean) * scale]
    }
  }

  /// Standard deviation (`torch.std(correction=)`): the square root of ``variance(dims:correction:keepDim:)``.
  ///
  /// Its gradient is the variance's divided by twice the result, and zero where the result
  /// is zero (constant input), as PyTorch's `std_backward`.
  public func std(dims: [Int]? = nil, correction: Double = 1, keepDim: Bool = false) -> Tensor {
    let variance = withNoGrad { self.variance(dims: dims, correction: correction, keepDim: keepDim) }
    let out = variance.sqrt()
    let d = reductionDims(dims, op: "std")
    let n = Double(d.reduce(1) { $0 * shape[$1] })
    let source = detach()
    let result = out.detach()
    return out.recording("StdBackward0", [self]) { g in
      let gradVariance = Tensor.where(result .== 0, 0.0, g / (result * 2))
      let mean = source.mean(dims: d, keepDim: true)
      let scale = 2 / Swift.max(0, n - correction)
      return [source.expandReduced(gradVariance, dims: d, keepDim: keepDim) * (source - mean) * scale]
    }
  }

  /// `log(sum(exp(x)))` over `dims`, computed stably (`logsumexp`).
  public func logsumexp(dims: [Int], keepDim: Bool = false) -> Tensor {
    let d = reductionDims(dims, op: "logsumexp")
    let out = reduceRows(LogSumExpReducer(), dims: d, keepDim: keepDim, op: "logsumexp")
    let source = detach()
    let result = out.detach()
    return out.recording("LogsumexpBackward0", [self]) { g in
      [
        source.expandReduced(g, dims: d, keepDim: keepDim)
          * (source - source.expandReduced(result, dims: d, keepDim: keepDim)).exp()
      ]
    }
  }

  /// `logsumexp` over one dimension.
  public func logsumexp(dim: Int, keepDim: Bool = false) -> Tensor {
    logsumexp(dims: [dim], keepDim: keepDim)
  }

  /// The `p`-norm over all elements or `dims` (`torch.linalg.vector_norm`; `p` may be
  /// `.infinity`, `-.infinity` or 0): ``Linalg/vectorNorm(_:ord:dim:keepDim:)``.
  public func norm(p: Double = 2, dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
    Linalg.vectorNorm(self, ord: p, dim: dims, keepDim: keepDim)
  }
}

/// `destination[i] = reducer(row i)` for rows of `inner` contiguous elements.
struct ReduceRowsTask<R: RowReducer, T: TensorScalar>: RangeTask {
  let reducer: R
  let source: UnsafePointer<T>
  let destination: UnsafeMutablePointer<T>
  let inner: Int

  func run(_ range: Range<Int>) {
    for i in range { destination[i] = reducer(source + i * inner, inner) }
  }
}

/// Column sums of an `outer × inner` row-major block, each in a `Double` accumulator and
/// in row order, for the columns of the range.
struct SumLeadingDimsTask<T: TensorScalar>: RangeTask {
  let source: UnsafePointer<T>
  let destination: UnsafeMutablePointer<T>
  let outer: Int
  let inner: Int

  func run(_ columns: Range<Int>) {
    // Blocks of at most 1024 columns keep the accumulators on the stack and in L1.
    var start = columns.lowerBound
    while start < columns.upperBound {
      let n = Swift.min(1024, columns.upperBound - start)
      withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { acc in
        let a = acc.baseAddress!
        a.initialize(repeating: 0, count: n)
        for i in 0..<outer {
          let row = source + i * inner + start
          for j in 0..<n { a[j] += Double(row[j]) }
        }
        let o = destination + start
        for j in 0..<n { o[j] = T(a[j]) }
      }
      start += n
    }
  }
}
