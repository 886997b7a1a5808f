extension Linalg {
  /// The Cholesky factor of a symmetric positive-definite matrix (`torch.linalg.cholesky`):
  /// lower-triangular `L` with `A = L·Lᵀ`, or with `upper: true` upper-triangular `U` with
  /// `A = Uᵀ·U`, via LAPACK `?potrf`.
  ///
  /// Only the named triangle of `a` is read (the lower one by default); the other may hold
  /// anything. The result's other triangle is zero.
  ///
  /// - Parameters:
  ///   - a: `[*, n, n]`, float32 or float64.
  ///   - upper: return `U` instead of `L` (default `false`).
  /// - Throws: ``LinalgError`` "linalg.cholesky: The factorization could not be completed
  ///   because the input is not positive-definite (the leading minor of order k is not
  ///   positive-definite)." naming the minor `k` and, for batched input, the batch element.
  ///
  /// Backward (PyTorch's `cholesky_backward`): `gA = L⁻ᵀ·Φ(Lᵀ·gL)·L⁻¹` with
  /// `Φ(X) = ½(tril(X) + tril(X, −1)ᵀ)`, a symmetric gradient.
  public static func cholesky(_ a: Tensor, upper: Bool = false) throws -> Tensor {
    let (l, infos) = choleskyForward(a, upper: upper, op: "linalg.cholesky")
    try LinalgError.check(infos, function: "linalg.cholesky", batchShape: a.matrixBatchShape)
    return recordCholesky(l, a, upper: upper)
  }

  /// ``cholesky(_:upper:)`` that reports failures instead of throwing
  /// (`torch.linalg.cholesky_ex`): `info` holds LAPACK's `info` for each matrix, 0 on
  /// success and the order of the first leading minor that is not positive-definite
  /// otherwise; `l` then holds `?potrf`'s partial factor, as in PyTorch.
  ///
  /// - Returns: `l` as ``cholesky(_:upper:)`` returns it and `info`, an `int64` tensor of the
  ///   batch shape (PyTorch's is `int32`, a dtype Descent does not have).
  public static func choleskyEx(_ a: Tensor, upper: Bool = false) -> (l: Tensor, info: Tensor) {
    let (l, infos) = choleskyForward(a, upper: upper, op: "linalg.cholesky_ex")
    return (recordCholesky(l, a, upper: upper), Tensor(infos.map { Int($0) }, shape: a.matrixBatchShape))
  }

  private static func recordCholesky(_ l: Tensor, _ a: Tensor, upper: Bool) -> Tensor {
    guard GradMode.isEnabled, a.requiresGrad else { return l }
    let saved = l.detach()
    return l.recording("LinalgCholeskyExBackward0", [a]) { g in
      let lower = upper ? saved.mT : saved
      let gL = upper ? g.mT : g
      var gA = lower.mT.matmul(gL).tril()
      gA = (gA + gA.tril(-1).mT) * 0.5
      gA = try! solveTriangular(lower.mT, gA, upper: true, left: true)
      gA = try! solveTriangular(lower, gA, upper: false, left: false)
      return [gA]
    }
  }

  private static func choleskyForward(_ a: Tensor, upper: Bool, op: String) -> (Tensor, [Int32]) {
    a.checkSquareInput(op)
    return a.dtype == .float32
      ? choleskyFactor(Float.self, a, upper: upper) : choleskyFactor(Double.self, a, upper: upper)
  }

  /// `?potrf` on the row-major copy, which LAPACK reads as `Aᵀ`: `A`'s lower triangle is
  /// `Aᵀ`'s upper one, so `uplo` is swapped, and the factor LAPACK writes column-major is
  /// the requested one row-major. The other triangle still holds the input and is zeroed.
  private static func choleskyFactor<T: LAPACKScalar>(_: T.Type, _ a: Tensor, upper: Bool) -> (
    Tensor, [Int32]
  ) {
    let n = a.shape[a.rank - 1]
    let out = a.detach().contiguousCopy()
    let count = a.matrixBatchShape.reduce(1, *)
    var infos = [Int32](repeating: 0, count: count)
    let base = out.pointer(T.self)
    let n32 = Int32(n)
    for b in 0..<count where n > 0 {
      let p = base + b * n * n
      infos[b] = T.potrf(lapackChar(upper ? "L" : "U"), n32, p, n32)
      for i in 0..<n {
        for j in 0..<n where upper ? j < i : j > i { p[i * n + j] = 0 }
      }
    }
    return (out, infos)
  }
}
