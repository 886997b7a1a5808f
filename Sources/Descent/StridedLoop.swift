/// Walks the elements of up to four operands that share one logical shape but have their
/// own strides (broadcast operands have stride 0), one innermost row at a time.
///
/// Dimensions that are contiguous for every operand are merged first, so the common case of
/// contiguous operands becomes a single row and the kernel's inner loop runs over raw
/// pointers with unit stride.
struct StridedLoop {
  let shape: [Int]
  /// `strides[k]` is operand k's stride array over `shape`.
  let strides: [[Int]]
  let count: Int

  init(shape: [Int], strides: [[Int]]) {
    // Drop size-1 dims, then merge adjacent dims that are contiguous for all operands.
    var s: [Int] = []
    var st: [[Int]] = Array(repeating: [], count: strides.count)
    for d in 0..<shape.count where shape[d] != 1 {
      s.append(shape[d])
      for k in 0..<strides.count { st[k].append(strides[k][d]) }
    }
    var i = s.count - 1
    while i > 0 {
      let mergeable = (0..<st.count).allSatisfy { st[$0][i - 1] == st[$0][i] * s[i] }
      if mergeable {
        s[i - 1] *= s[i]
        s.remove(at: i)
        for k in 0..<st.count {
          st[k][i - 1] = st[k][i]
          st[k].remove(at: i)
        }
      }
      i -= 1
    }
    if s.isEmpty {
      s = [1]
      for k in 0..<st.count { st[k] = [0] }
    }
    self.shape = s
    self.strides = st
    self.count = shape.reduce(1, *)
  }

  /// Whether every operand is a unit-stride single row (the fully contiguous case).
  var isSingleUnitRow: Bool {
    shape.count == 1 && strides.allSatisfy { $0[0] == 1 || shape[0] <= 1 }
  }

  /// Calls `body(offsets, innerStrides, n)` for each row segment of the linear index range.
  /// `offsets[k]` is operand k's element offset (relative to its first element).
  @inline(__always)
  func run(
    _ range: Range<Int>,
    _ body: (UnsafePointer<Int>, UnsafePointer<Int>, Int) -> Void
  ) {
    if range.isEmpty { return }
    let rank = shape.count
    let ops = strides.count
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
        for d in 0..<rank { o += idx[d] * strides[k][d] }
        offs[k] = o
        inner[k] = strides[k][rank - 1]
      }
      let last = rank - 1
      let rowLength = shape[last]
      var remaining = range.count
      while remaining > 0 {
        let n = min(rowLength - idx[last], remaining)
        body(offs, inner, n)
        remaining -= n
        if remaining == 0 { break }
        idx[last] += n
        for k in 0..<ops { offs[k] += n * inner[k] }
        var d = last
        while d > 0 && idx[d] == shape[d] {
          idx[d] = 0
          for k in 0..<ops { offs[k] -= shape[d] * strides[k][d] }
          d -= 1
          idx[d] += 1
          for k in 0..<ops { offs[k] += strides[k][d] }
        }
      }
    }
  }

  /// Runs over all elements, split across threads when large.
  @inline(__always)
  func runParallel(_ body: (UnsafePointer<Int>, UnsafePointer<Int>, Int) -> Void) {
    parallelChunks(count) { range in run(range, body) }
  }
}
