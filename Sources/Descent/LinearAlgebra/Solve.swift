extension Linalg {
  /// The solution `X` of `A·X = B` (or `X·A = B` with `left: false`) for square `A`
  /// (`torch.linalg.solve`), via LAPACK `?getrf` + `?getrs`.
  ///
  /// - Parameters:
  ///   - a: `[*, n, n]`, float32 or float64; batch dimensions broadcast with `b`'s.
  ///   - b: `[*, n, k]`, or a vector right-hand side: `[n]`, or `[*, n]` with exactly `a`'s
  ///     batch shape (PyTorch's rule), which gives a vector result.
  ///   - left: solve `A·X = B` (default `true`) or `X·A = B`.
  /// - Returns: `X` with the broadcast batch shape and `b`'s trailing shape, in `a`'s dtype.
  /// - Throws: ``LinalgError`` "torch.linalg.solve: The solver failed because the input
  ///   matrix is singular." when a pivot is exactly zero, naming the batch element.
  ///
  /// Backward (PyTorch's `linalg_solve_backward`): `gB = A⁻ᵀ·gX`, `gA = −gB·Xᵀ`.
  public static func solve(_ a: Tensor, _ b: Tensor, left: Bool = true) throws -> Tensor {
    a.checkSquareInput("linalg.solve")
    require(
      b.dtype == a.dtype,
      "linalg.solve: Expected A and B to have the same dtype, but found A of type \(a.dtype.scalarTypeName) and B of type \(b.dtype.scalarTypeName) instead"
    )
    let n = a.shape[a.rank - 1]
    let vector = isVectorRightHandSide(a, b)
    let b2 = vector ? b.unsqueeze(-1) : b
    if !left {
      require(
        b2.rank >= 2 && b2.shape[b2.rank - 1] == n,
        "linalg.solve: Incompatible shapes of A and B for the equation XA = B (\(n)x\(n) and \(b2.shape[Swift.max(b2.rank - 2, 0)])x\(b2.shape[b2.rank - 1]))"
      )
      return try solve(a.mT, b2.mT, left: true).mT
    }
    require(
      b2.shape[b2.rank - 2] == n,
      "linalg.solve: Incompatible shapes of A and B for the equation AX = B (\(n)x\(n) and \(b2.shape[b2.rank - 2])x\(b2.shape[b2.rank - 1]))"
    )
    let out =
      a.dtype == .float32
      ? try solveForward(Float.self, a, b2, vector: vector)
      : try solveForward(Double.self, a, b2, vector: vector)
    guard GradMode.isEnabled, a.requiresGrad || b.requiresGrad else { return out }
    let sa = a.detach()
    let x = out.detach()
    let shapeA = a.shape
    let shapeB = b.shape
    let needA = a.requiresGrad
    return out.recording("LinalgSolveExBackward0", [a, b]) { g in
      let gX = vector ? g.unsqueeze(-1) : g
      let gB = try! solve(sa.mT, gX)
      let gA = needA ? (-gB.matmul((vector ? x.unsqueeze(-1) : x).mT)).sumToShape(shapeA) : nil
      let gBOut = vector ? gB.squeeze(-1) : gB
      return [gA, gBOut.sumToShape(shapeB)]
    }
  }

  /// PyTorch's `linalg_solve_is_vector_rhs`: `b` is 1-D, or has exactly `a`'s shape minus
  /// the last dimension.
  static func isVectorRightHandSide(_ a: Tensor, _ b: Tensor) -> Bool {
    b.rank == 1 || (a.rank - 1 == b.rank && Array(a.shape.dropLast()) == b.shape)
  }

  /// `A·X = B` with `b` `[*, n, k]`; returns `X` with the broadcast batch (the trailing
  /// dimension dropped again when `vector`).
  private static func solveForward<T: LAPACKScalar>(
    _: T.Type, _ a: Tensor, _ b: Tensor, vector: Bool
  ) throws -> Tensor {
    let n = a.shape[a.rank - 1]
    let k = b.shape[b.rank - 1]
    let batch = broadcastShapes(a.matrixBatchShape, b.matrixBatchShape, op: "linalg.solve")
    let count = batch.reduce(1, *)
    let factors = LUFactorization<T>(a)
    let aIndex = broadcastBatchIndices(batch, from: a.matrixBatchShape)
    try LinalgError.check(
      aIndex.map { factors.infos[$0] }, function: "torch.linalg.solve", batchShape: batch)
    // B column-major per matrix: the buffer of Bᵀ, row-major. It becomes X in place.
    let x = b.broadcastRaw(to: batch + [n, k], op: "linalg.solve").transpose(-2, -1).contiguousCopy()
    let px = x.pointer(T.self)
    for i in 0..<count { factors.solve(aIndex[i], px + i * n * k, nrhs: k) }
    let result = x.transpose(-2, -1)
    return vector ? result.squeeze(-1) : result
  }
}
