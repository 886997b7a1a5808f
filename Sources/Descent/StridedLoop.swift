/// Walks the elements of up to four operands that share one logical shape but have their
/// own strides (broadcast operands have stride 0), one innermost row at a time.
///
/// Dimensions that are contiguous for every operand are merged first, so the common case of
/// contiguous operands becomes a single row and the kernel's inner loop runs over raw
/// pointers with unit stride. The loop lives in scratch memory on the stack (see
/// ``with(shape:operands:stride:_:)``): building and running one allocates nothing.
struct StridedLoop {
  /// Number of dimensions after merging (at least 1).
  let rank: Int
  let operands: Int
  /// Number of elements.
  let count: Int
  /// The merged shape, `rank` entries.
  let shape: UnsafePointer<Int>
  /// Operand `k`'s stride of merged dimension `d` is `strides[k * pitch + d]`.
  let strides: UnsafePointer<Int>
  let pitch: Int

  /// Builds the loop over `shape` for `operands` operands, operand `k`'s element stride
  /// along dimension `d` being `stride(k, d)`, and calls `body` with it. The loop is valid
  /// only inside `body`.
  @inline(__always)
  static func with<R>(
    shape: [Int], operands: Int, stride: (Int, Int) -> Int, _ body: (StridedLoop) -> R
  ) -> R {
    let full = shape.count
    let pitch = Swift.max(full, 1)
    return withUnsafeTemporaryAllocation(of: Int.self, capacity: (operands + 1) * pitch) { buffer in
      let s = buffer.baseAddress!
      let st = s + pitch
      // Drop size-1 dims, then merge adjacent dims that are contiguous for all operands.
      var rank = 0
      var count = 1
      for d in 0..<full {
        count *= shape[d]
        if shape[d] == 1 { continue }
        s[rank] = shape[d]
        for k in 0..<operands { st[k * pitch + rank] = stride(k, d) }
        rank += 1
      }
      var i = rank - 1
      while i > 0 {
        var mergeable = true
        for k in 0..<operands where st[k * pitch + i - 1] != st[k * pitch + i] * s[i] {
          mergeable = false
          break
        }
        if mergeable {
          s[i - 1] *= s[i]
          for k in 0..<operands {
            st[k * pitch + i - 1] = st[k * pitch + i]
            for j in i..<(rank - 1) { st[k * pitch + j] = st[k * pitch + j + 1] }
          }
          for j in i..<(rank - 1) { s[j] = s[j + 1] }
          rank -= 1
        }
        i -= 1
      }
      if rank == 0 {
        rank = 1
        s[0] = 1
        for k in 0..<operands { st[k * pitch] = 0 }
      }
      return body(
        StridedLoop(
          rank: rank, operands: operands, count: count, shape: UnsafePointer(s),
          strides: UnsafePointer(st), pitch: pitch))
    }
  }

  /// Calls `body(offsets, innerStrides, n)` for each row segment of the linear index range.
  /// `offsets[k]` is operand k's element offset (relative to its first element).
  @inline(__always)
  func run(
    _ range: Range<Int>,
    _ body: (UnsafePointer<Int>, UnsafePointer<Int>, Int) -> Void
  ) {
    if range.isEmpty { return }
    let ops = operands
    withUnsafeTemporaryAllocation(of: Int.self, capacity: rank + 2 * ops) { buf in
      let idx = buf.baseAddress!
      let offs = idx + rank
      let inner = offs + ops
      // Unravel the start index.
      var rem = range.lowerBound
      for d in stride(from: rank - 1, through: 0, by: -1) {
        idx[d] = rem % shape[d]
        rem /= shape[d]
      }
      for k in 0..<ops {
        var o = 0
        for d in 0..<rank { o += idx[d] * strides[k * pitch + d] }
        offs[k] = o
        inner[k] = strides[k * pitch + rank - 1]
      }
      let last = rank - 1
      let rowLength = shape[last]
      var remaining = range.count
      while remaining > 0 {
        let n = Swift.min(rowLength - idx[last], remaining)
        body(offs, inner, n)
        remaining -= n
        if remaining == 0 { break }
        idx[last] += n
        for k in 0..<ops { offs[k] += n * inner[k] }
        var d = last
        while d > 0 && idx[d] == shape[d] {
          idx[d] = 0
          for k in 0..<ops { offs[k] -= shape[d] * strides[k * pitch + d] }
          d -= 1
          idx[d] += 1
          for k in 0..<ops { offs[k] += strides[k * pitch + d] }
        }
      }
    }
  }
}

extension Tensor {
  /// This tensor's element stride along dimension `d` of a broadcast shape of `rank`
  /// dimensions: 0 for dimensions it lacks or has as size 1. The shapes must be
  /// broadcast-compatible (``checkBroadcast(to:op:)``).
  @inline(__always)
  func broadcastStride(_ d: Int, rank targetRank: Int) -> Int {
    let i = d - (targetRank - rank)
    if i < 0 || shape[i] == 1 { return 0 }
    return strides[i]
  }

  /// Stops with PyTorch's message unless this tensor broadcasts to `target`.
  @inline(__always)
  func checkBroadcast(to target: [Int], op: String) {
    require(target.count >= rank, "\(op): shape \(shape) cannot be broadcast to \(target)")
    let lead = target.count - rank
    for i in 0..<rank where shape[i] != target[lead + i] {
      require(
        shape[i] == 1,
        "\(op): The expanded size of the tensor (\(target[lead + i])) must match the existing size (\(shape[i])) at non-singleton dimension \(lead + i).  Target sizes: \(target).  Tensor sizes: \(shape)"
      )
    }
  }
}
