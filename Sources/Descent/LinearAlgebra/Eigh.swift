extension Linalg {
  /// Which triangle of a symmetric matrix is read (PyTorch's `UPLO`).
  public enum Triangle: Sendable {
    /// The lower triangle (`UPLO='L'`).
    case lower
    /// The upper triangle (`UPLO='U'`).
    case upper
  }

  /// The eigenvalues and eigenvectors of a symmetric matrix (`torch.linalg.eigh`), via
  /// LAPACK `?syevd`.
  ///
  /// Only the triangle `uplo` names is read. The eigenvalues come in ascending order; the
  /// eigenvectors are the columns of `eigenvectors`, orthonormal, each determined up to its
  /// sign (LAPACK's choice, which may differ from PyTorch's MKL build).
  ///
  /// - Parameters:
  ///   - a: `[*, n, n]`, float32 or float64.
  ///   - uplo: the triangle to read (default `.lower`).
  /// - Returns: `eigenvalues` `[*, n]` and `eigenvectors` `[*, n, n]`, in `a`'s dtype.
  /// - Throws: ``LinalgError`` when `?syevd` does not converge.
  ///
  /// Backward (PyTorch's `linalg_eig_backward`, Hermitian case):
  /// `gA = V·(diag(gL) + ½(VᵀgV − gVᵀV) / E)·Vᵀ` with `E[i, j] = λⱼ − λᵢ`. With repeated
  /// eigenvalues the eigenvector term divides by zero (inf/NaN), as in PyTorch; a loss of
  /// the eigenvalues alone stays finite.
  public static func eigh(_ a: Tensor, uplo: Triangle = .lower) throws -> (
    eigenvalues: Tensor, eigenvectors: Tensor
  ) {
    a.checkSquareInput("linalg.eigh")
    let (values, vectors) = try eighForward(a, uplo: uplo, vectors: true, op: "linalg.eigh")
    let v = vectors!
    guard GradMode.isEnabled, a.requiresGrad else { return (values, v) }
    recordEigenvalues(values, a, v.detach())
    let lambda = values.detach()
    let saved = v.detach()
    v.recording("LinalgEighBackward0", [a]) { gV in
      let n = lambda.shape[lambda.rank - 1]
      var vhgv = saved.mT.matmul(gV)
      vhgv = (vhgv - vhgv.mT) * 0.5
      let e = lambda.unsqueeze(-2) - lambda.unsqueeze(-1) + Tensor.eye(n, dtype: lambda.dtype)
      return [saved.matmul((vhgv / e).matmul(saved.mT))]
    }
    return (values, v)
  }

  /// The eigenvalues of a symmetric matrix in ascending order (`torch.linalg.eigvalsh`),
  /// via LAPACK `?syevd`; only the triangle `uplo` names is read.
  ///
  /// As in PyTorch, the eigenvectors are computed too when `a` requires grad, for the
  /// backward `gA = V·diag(gL)·Vᵀ`.
  ///
  /// - Parameters:
  ///   - a: `[*, n, n]`, float32 or float64.
  ///   - uplo: the triangle to read (default `.lower`).
  /// - Returns: `[*, n]` in `a`'s dtype.
  /// - Throws: ``LinalgError`` when `?syevd` does not converge.
  public static func eigvalsh(_ a: Tensor, uplo: Triangle = .lower) throws -> Tensor {
    a.checkSquareInput("linalg.eigvalsh")
    let needVectors = GradMode.isEnabled && a.requiresGrad
    let (values, vectors) = try eighForward(a, uplo: uplo, vectors: needVectors, op: "linalg.eigvalsh")
    if let vectors { recordEigenvalues(values, a, vectors.detach()) }
    return values
  }

  private static func recordEigenvalues(_ values: Tensor, _ a: Tensor, _ v: Tensor) {
    values.recording("LinalgEighBackward0", [a]) { gL in
      [(v * gL.unsqueeze(-2)).matmul(v.mT)]
    }
  }

  private static func eighForward(_ a: Tensor, uplo: Triangle, vectors: Bool, op: String) throws -> (
    Tensor, Tensor?
  ) {
    a.dtype == .float32
      ? try eighFactor(Float.self, a, uplo: uplo, vectors: vectors, op: op)
      : try eighFactor(Double.self, a, uplo: uplo, vectors: vectors, op: op)
  }

  /// `?syevd` on the row-major copy, which LAPACK reads as `Aᵀ`: the triangles swap, and
  /// the eigenvectors it writes column-major come back as the transposed view.
  private static func eighFactor<T: LAPACKScalar>(
    _: T.Type, _ a: Tensor, uplo: Triangle, vectors: Bool, op: String
  ) throws -> (Tensor, Tensor?) {
    let n = a.shape[a.rank - 1]
    let batch = a.matrixBatchShape
    let count = batch.reduce(1, *)
    let buffer = a.detach().contiguousCopy()
    let values = Tensor(uninitializedShape: batch + [n], dtype: a.dtype)
    var infos = [Int32](repeating: 0, count: count)
    if n > 0 && count > 0 {
      let jobz = lapackChar(vectors ? "V" : "N")
      let triangle = lapackChar(uplo == .lower ? "U" : "L")
      let n32 = Int32(n)
      let pa = buffer.pointer(T.self)
      let pw = values.pointer(T.self)
      var workQuery: T = 0
      var iworkQuery: Int32 = 0
      _ = T.syevd(jobz, triangle, n32, pa, n32, pw, &workQuery, -1, &iworkQuery, -1)
      let work = Workspace<T>(count: Workspace<T>.size(fromQuery: workQuery))
      let iwork = IntWorkspace(count: Int(iworkQuery))
      defer {
        work.free()
        iwork.free()
      }
      for i in 0..<count {
        infos[i] = T.syevd(
          jobz, triangle, n32, pa + i * n * n, n32, pw + i * n, work.buffer, Int32(work.count),
          iwork.buffer, Int32(iwork.count))
      }
    }
    try LinalgError.check(infos, function: op, batchShape: batch)
    return (values, vectors ? buffer.transpose(-2, -1) : nil)
  }
}
