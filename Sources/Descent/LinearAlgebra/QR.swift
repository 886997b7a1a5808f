extension Linalg {
  /// What ``qr(_:mode:)`` returns (PyTorch's `mode` string).
  public enum QRMode: Sendable {
    /// `Q` `m × k` and `R` `k × n`, `k = min(m, n)` (`'reduced'`, the default).
    case reduced
    /// `Q` `m × m` and `R` `m × n` (`'complete'`).
    case complete
    /// `R` only, `k × n`; `q` is an empty tensor (`'r'`).
    case r
  }

  /// The QR decomposition `A = Q·R` (`torch.linalg.qr`): `Q` with orthonormal columns and
  /// upper-triangular `R`, via LAPACK `?geqrf` + `?orgqr`.
  ///
  /// LAPACK's sign convention is kept: `R`'s diagonal may be negative, as in PyTorch.
  ///
  /// - Parameters:
  ///   - a: `[*, m, n]`, float32 or float64.
  ///   - mode: `.reduced`, `.complete` or `.r` (see ``QRMode``).
  /// - Returns: `q` and `r` in `a`'s dtype.
  /// - Throws: never for numerical reasons (Householder QR always completes); the function
  ///   is `throws` like the other factorisations of ``Linalg``.
  ///
  /// Backward (PyTorch's `linalg_qr_backward`): for `m ≥ n`,
  /// `gA = (gQ + Q·syminvadj(triu(gR·Rᵀ − Qᵀ·gQ)))·R⁻ᵀ` with `syminvadj(X) = X + Xᵀ − diag(X)`;
  /// for `m < n`, `gA = [Q·tril(Y − Yᵀ)·R₁⁻ᵀ, 0] + Q·gR` with `Y = Qᵀ·gQ − gR·Rᵀ` and `R₁`
  /// the leading `m × m` block. As in PyTorch, backward stops for `.r` (no `Q`) and for
  /// `.complete` with `m > n`.
  public static func qr(_ a: Tensor, mode: QRMode) throws -> (q: Tensor, r: Tensor) {
    a.checkMatrixInput("linalg.qr")
    let (q, r) =
      a.dtype == .float32 ? qrFactor(Float.self, a, mode: mode) : qrFactor(Double.self, a, mode: mode)
    guard GradMode.isEnabled, a.requiresGrad else { return (q, r) }
    let m = a.shape[a.rank - 2]
    let n = a.shape[a.rank - 1]
    let problem: String? =
      mode == .r
      ? "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
      : (mode == .complete && m > n
        ? "The QR decomposition is not differentiable when mode='complete' and nrows > ncols." : nil)
    let sq = q.detach()
    let sr = r.detach()
    /// PyTorch's backward for `gA₀ = gR·Rᵀ − Qᵀ·gQ` (one of the two terms at a time: the
    /// rule is linear, so each output's node adds its share).
    func backward(_ g0: Tensor, gQ: Tensor?, gR: Tensor?) -> Tensor {
      if let problem { requirementFailure(problem) }
      if m >= n {
        let t = g0.triu()
        var gA = sq.matmul(t + t.mT - t.diagonal().diagEmbed())
        if let gQ { gA = gA + gQ }
        return try! solveTriangular(sr.mT, gA, upper: false, left: false)
      }
      let y = -g0
      var gA = sq.matmul((y - y.mT).tril())
      gA = try! solveTriangular(sr.narrow(dim: -1, start: 0, length: m).mT, gA, upper: false, left: false)
      gA = Tensor.cat([gA, Tensor.zeros(Array(gA.shape.dropLast()) + [n - m], dtype: gA.dtype)], dim: -1)
      if let gR { gA = gA + sq.matmul(gR) }
      return gA
    }
    q.recording("LinalgQrBackward0", [a]) { gQ in [backward(-sq.mT.matmul(gQ), gQ: gQ, gR: nil)] }
    r.recording("LinalgQrBackward0", [a]) { gR in [backward(gR.matmul(sr.mT), gQ: nil, gR: gR)] }
    return (q, r)
  }

  /// The reduced QR decomposition of one matrix, as before `mode:` existed:
  /// ``qr(_:mode:)`` with `.reduced`.
  public static func qr(_ a: Tensor) -> (q: Tensor, r: Tensor) {
    try! qr(a, mode: .reduced)
  }

  /// `?geqrf` + `?orgqr` on a column-major copy of `A` (QR of the row-major buffer would
  /// factorise `Aᵀ`). In column-major order the first `k` columns are contiguous, so the
  /// reflectors for `?orgqr` are a prefix of the factored buffer.
  private static func qrFactor<T: LAPACKScalar>(_: T.Type, _ a: Tensor, mode: QRMode) -> (Tensor, Tensor) {
    let m = a.shape[a.rank - 2]
    let n = a.shape[a.rank - 1]
    let k = Swift.min(m, n)
    let batch = a.matrixBatchShape
    let count = batch.reduce(1, *)
    let qCols = mode == .complete ? m : k
    let rRows = mode == .complete ? m : k
    let buffer = a.columnMajorCopy()
    let r = Tensor.zeros(batch + [rRows, n], dtype: a.dtype)
    // Q column-major: the buffer of Qᵀ.
    let qt = Tensor.zeros(batch + [qCols, m], dtype: a.dtype)
    guard count > 0, m > 0, n > 0 else {
      if mode == .r { return (Tensor.zeros([0], dtype: a.dtype), r) }
      if mode == .complete {
        qt.copyElements(
          from: Tensor.eye(m, dtype: a.dtype).broadcastRaw(to: batch + [m, m], op: "linalg.qr"))
      }
      return (qt.transpose(-2, -1), r)
    }
    let pa = buffer.pointer(T.self)
    let pr = r.pointer(T.self)
    let pq = qt.pointer(T.self)
    let m32 = Int32(m)
    let tau = Workspace<T>(count: k)
    var query: T = 0
    _ = T.geqrf(m32, Int32(n), pa, m32, tau.buffer, &query, -1)
    var lwork = Workspace<T>.size(fromQuery: query)
    if mode != .r {
      _ = T.orgqr(m32, Int32(qCols), Int32(k), pq, m32, tau.buffer, &query, -1)
      lwork = Swift.max(lwork, Workspace<T>.size(fromQuery: query))
    }
    let work = Workspace<T>(count: lwork)
    defer {
      work.free()
      tau.free()
    }
    for b in 0..<count {
      let ab = pa + b * m * n
      _ = T.geqrf(m32, Int32(n), ab, m32, tau.buffer, work.buffer, Int32(work.count))
      let rb = pr + b * rRows * n
      for j in 0..<n {
        for i in 0...Swift.min(j, k - 1) { rb[i * n + j] = ab[j * m + i] }
      }
      if mode != .r {
        let qb = pq + b * qCols * m
        qb.update(from: ab, count: m * k)
        _ = T.orgqr(m32, Int32(qCols), Int32(k), qb, m32, tau.buffer, work.buffer, Int32(work.count))
      }
    }
    withExtendedLifetime(buffer) {}
    if mode == .r { return (Tensor.zeros([0], dtype: a.dtype), r) }
    return (qt.transpose(-2, -1), r)
  }
}
