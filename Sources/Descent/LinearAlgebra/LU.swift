/// LU factorisations `P·L·U` of a batch of square matrices (LAPACK `?getrf`), the first step
/// of `solve`, `inv`, `det` and `slogdet`.
///
/// As PyTorch does, a contiguous (row-major) input is factorised as its transpose: its buffer
/// already is the column-major buffer of `Aᵀ`, so no transposing copy is made, and
/// `det(Aᵀ) = det(A)`, `(Aᵀ)⁻¹ = (A⁻¹)ᵀ`, and `?getrs` with `trans = 'T'` solves `A·X = B`.
/// Other layouts are copied column-major and factorised as they are. The pivots LAPACK
/// reports, and so the pivot named in a singular-matrix error, are PyTorch's.
struct LUFactorization<T: LAPACKScalar> {
  /// `[count, n, n]`, each matrix column-major: `L` below the diagonal, `U` on and above.
  let lu: Tensor
  /// `count * n` 1-based row interchanges.
  let pivots: [Int32]
  /// One `info` per matrix: `k > 0` when `U[k, k]` is exactly zero.
  let infos: [Int32]
  /// Whether `lu` factorises `Aᵀ` rather than `A`.
  let ofTranspose: Bool
  let n: Int
  let count: Int

  init(_ a: Tensor) {
    let n = a.shape[a.rank - 1]
    let count = a.matrixBatchShape.reduce(1, *)
    self.n = n
    self.count = count
    ofTranspose = a.isContiguous
    let buffer = ofTranspose ? a.detach().contiguousCopy() : a.columnMajorCopy()
    lu = buffer.reshape([count, n, n])
    var pivots = [Int32](repeating: 0, count: count * n)
    var infos = [Int32](repeating: 0, count: count)
    if n > 0 {
      let base = lu.pointer(T.self)
      let n32 = Int32(n)
      pivots.withUnsafeMutableBufferPointer { piv in
        for i in 0..<count {
          infos[i] = T.getrf(n32, n32, base + i * n * n, n32, piv.baseAddress! + i * n)
        }
      }
    }
    withExtendedLifetime(buffer) {}
    self.pivots = pivots
    self.infos = infos
  }

  /// `det` of each matrix: the product of `U`'s diagonal with the sign of the row
  /// permutation, as PyTorch's `lu_det_P(pivots) * prod(diag(LU))`.
  func determinants() -> [T] {
    let base = lu.pointer(T.self)
    return (0..<count).map { i in
      var product: T = 1
      for j in 0..<n { product *= base[i * n * n + j * n + j] }
      return permutationSign(i) < 0 ? -product : product
    }
  }

  /// `+1` or `-1`: the parity of the row interchanges of matrix `i`.
  func permutationSign(_ i: Int) -> T {
    var swaps = 0
    for j in 0..<n where pivots[i * n + j] != Int32(j + 1) { swaps += 1 }
    return swaps % 2 == 0 ? 1 : -1
  }

  /// Solves `A·X = B` (or `Aᵀ·X = B` with `transposed`) in place for matrix `i`, with `B`
  /// column-major `n × nrhs` at `b`.
  func solve(_ i: Int, _ b: UnsafeMutablePointer<T>, nrhs: Int, transposed: Bool = false) {
    guard n > 0, nrhs > 0 else { return }
    let n32 = Int32(n)
    let trans = lapackChar(ofTranspose != transposed ? "T" : "N")
    pivots.withUnsafeBufferPointer { piv in
      _ = T.getrs(
        trans, n32, Int32(nrhs), lu.pointer(T.self) + i * n * n, n32, piv.baseAddress! + i * n, b, n32)
    }
  }
}

/// Maps each index of a broadcast batch to the index of the operand's own batch that it
/// reads (size-1 and missing dimensions repeat).
func broadcastBatchIndices(_ batch: [Int], from own: [Int]) -> [Int] {
  let total = batch.reduce(1, *)
  if own == batch { return Array(0..<total) }
  let lead = batch.count - own.count
  var ownStrides = [Int](repeating: 0, count: batch.count)
  var acc = 1
  for d in stride(from: own.count - 1, through: 0, by: -1) {
    ownStrides[lead + d] = own[d] == 1 ? 0 : acc
    acc *= own[d]
  }
  var out = [Int](repeating: 0, count: total)
  var index = [Int](repeating: 0, count: batch.count)
  for linear in 0..<total {
    var o = 0
    for d in 0..<batch.count { o += index[d] * ownStrides[d] }
    out[linear] = o
    var d = batch.count - 1
    while d >= 0 {
      index[d] += 1
      if index[d] < batch[d] { break }
      index[d] = 0
      d -= 1
    }
  }
  return out
}
