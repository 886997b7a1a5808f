extension Linalg {
  /// The solution `X` of `A·X = B` (or `X·A = B` with `left: false`) for triangular `A`
  /// (`torch.linalg.solve_triangular`), via BLAS `?trsm`.
  ///
  /// Only the triangle named by `upper` is read, and with `unitriangular` not its diagonal
  /// either (taken as ones). The diagonal is not checked: a zero on it gives inf/NaN, as in
  /// PyTorch. A transposed view of `a` is passed to BLAS with its transpose flag, not copied.
  ///
  /// - Parameters:
  ///   - a: `[*, n, n]`, float32 or float64; batch dimensions broadcast with `b`'s.
  ///   - b: `[*, n, k]` (`[*, k, n]` with `left: false`), at least 2-D, `a`'s dtype.
  ///   - upper: whether `a` is upper (`true`) or lower (`false`) triangular.
  ///   - left: solve `A·X = B` (default `true`) or `X·A = B`.
  ///   - unitriangular: take `a`'s diagonal as ones (default `false`).
  /// - Returns: `X`, contiguous, with the broadcast batch shape.
  /// - Throws: never for numerical reasons; the function is `throws` like the other
  ///   solvers of ``Linalg``.
  ///
  /// Backward (PyTorch's `linalg_solve_triangular_backward`): `gB` solves the transposed
  /// system, `gA = −gB·Xᵀ` (`−Xᵀ·gB` for `left: false`) restricted to `a`'s triangle (its
  /// strict triangle with `unitriangular`), so it is zero elsewhere.
  public static func solveTriangular(
    _ a: Tensor, _ b: Tensor, upper: Bool, left: Bool = true, unitriangular: Bool = false
  ) throws -> Tensor {
    let op = "linalg.solve_triangular"
    a.checkMatrixInput(op, name: "A")
    b.checkMatrixInput(op, name: "B")
    require(
      a.shape[a.rank - 1] == a.shape[a.rank - 2],
      "\(op): A must be batches of square matrices, but they are \(a.shape[a.rank - 2]) by \(a.shape[a.rank - 1]) matrices"
    )
    require(
      a.dtype == b.dtype,
      "\(op): Expected A and B to have the same dtype, but found A of type \(a.dtype.scalarTypeName) and B of type \(b.dtype.scalarTypeName) instead"
    )
    let n = a.shape[a.rank - 1]
    let shared = left ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    require(
      shared == n,
      "\(op): Incompatible shapes of A and B for the equation \(left ? "AX = B" : "XA = B") (\(n)x\(n) and \(b.shape[b.rank - 2])x\(b.shape[b.rank - 1]))"
    )
    let out =
      a.dtype == .float32
      ? solveTriangularForward(Float.self, a, b, upper: upper, left: left, unit: unitriangular)
      : solveTriangularForward(Double.self, a, b, upper: upper, left: left, unit: unitriangular)
    guard GradMode.isEnabled, a.requiresGrad || b.requiresGrad else { return out }
    let sa = a.detach()
    let x = out.detach()
    let shapeA = a.shape
    let shapeB = b.shape
    let needA = a.requiresGrad
    return out.recording("LinalgSolveTriangularBackward0", [a, b]) { g in
      let gB = try! solveTriangular(sa.mT, g, upper: !upper, left: left, unitriangular: unitriangular)
      var gA: Tensor?
      if needA {
        let full = left ? -gB.matmul(x.mT) : -x.mT.matmul(gB)
        let k = unitriangular ? 1 : 0
        gA = (upper ? full.triu(k) : full.tril(-k)).sumToShape(shapeA)
      }
      return [gA, gB.sumToShape(shapeB)]
    }
  }

  private static func solveTriangularForward<T: LAPACKScalar>(
    _: T.Type, _ a: Tensor, _ b: Tensor, upper: Bool, left: Bool, unit: Bool
  ) -> Tensor {
    let n = a.shape[a.rank - 1]
    let batch = broadcastShapes(a.matrixBatchShape, b.matrixBatchShape, op: "linalg.solve_triangular")
    let rows = b.shape[b.rank - 2]
    let cols = b.shape[b.rank - 1]
    let x = b.broadcastRaw(to: batch + [rows, cols], op: "linalg.solve_triangular").contiguousCopy()
    if x.count == 0 || n == 0 { return x }
    var matrices = a.broadcastRaw(to: batch + [n, n], op: "linalg.solve_triangular")
    let r = matrices.rank
    var layout = BLASLayout(
      rows: n, cols: n, rowStride: matrices.strides[r - 2], colStride: matrices.strides[r - 1])
    if layout == nil {
      matrices = matrices.contiguousCopy()
      layout = BLASLayout(rows: n, cols: n, rowStride: n, colStride: 1)
    }
    let offsets = batchOffsets(batch, strides: Array(matrices.strides.dropLast(2)))
    let pa = matrices.pointer(T.self)
    let px = x.pointer(T.self)
    // A transposed view is its storage's transpose: the other triangle of that storage.
    let storedUpper = layout!.transposed ? !upper : upper
    for (i, offset) in offsets.enumerated() {
      T.trsm(
        left: left, upper: storedUpper, transposed: layout!.transposed, unit: unit, rows, cols,
        pa + offset, layout!.leadingDimension, px + i * rows * cols, cols)
    }
    withExtendedLifetime(matrices) {}
    return x
  }

  /// The element offset of each matrix of a batch, in row-major batch order.
  static func batchOffsets(_ batch: [Int], strides: [Int]) -> [Int] {
    let total = batch.reduce(1, *)
    var out = [Int](repeating: 0, count: total)
    var index = [Int](repeating: 0, count: batch.count)
    for linear in 0..<total {
      var o = 0
      for d in 0..<batch.count { o += index[d] * strides[d] }
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
}
