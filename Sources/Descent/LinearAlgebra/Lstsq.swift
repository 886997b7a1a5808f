extension Linalg {
  /// The LAPACK driver of ``lstsq(_:_:rcond:driver:)`` (PyTorch's `driver` string).
  public enum LstsqDriver: String, Sendable {
    /// QR, for full-rank `A` only (`'gels'`).
    case gels
    /// Complete orthogonal factorisation with column pivoting (`'gelsy'`, PyTorch's CPU
    /// default).
    case gelsy
    /// Divide-and-conquer SVD (`'gelsd'`).
    case gelsd
    /// SVD (`'gelss'`).
    case gelss
  }

  /// The least-squares solution of `A·X = B` (`torch.linalg.lstsq`): for tall `A` the `X`
  /// minimising `‖A·X − B‖_F`, for wide full-rank `A` the minimum-norm solution.
  ///
  /// - Parameters:
  ///   - a: `[*, m, n]`, float32 or float64; batch dimensions broadcast with `b`'s.
  ///   - b: `[*, m, k]`, or a vector right-hand side (`[m]`, or `[*, m]` with `a`'s batch
  ///     shape), which gives a vector solution.
  ///   - rcond: singular values below `rcond · σ_max` count as zero for the rank
  ///     (`gelsy`, `gelsd`, `gelss`); default `eps(dtype) · max(m, n)`.
  ///   - driver: the LAPACK routine (default `.gelsy`, as PyTorch on the CPU).
  /// - Returns: `solution` `[*, n, k]`; `residuals` `[*, k]`, the squared residual norms,
  ///   where the driver gives them (not `gelsy`; `m > n`; every matrix of full rank),
  ///   otherwise an empty tensor; `rank` (`int64`, batch shape) for `gelsy`, `gelsd`,
  ///   `gelss`, otherwise empty; `singularValues` `[*, min(m, n)]` for `gelsd` and `gelss`,
  ///   otherwise empty. As in PyTorch.
  /// - Throws: ``LinalgError`` when `gels` meets a rank-deficient matrix or an SVD driver
  ///   does not converge.
  ///
  /// Backward (PyTorch's `linalg_lstsq_backward`, full-rank case): through `pinv(A)` for the
  /// solution (`gB = pinv(A)ᵀ·gX`, `gA` by `pinv`'s rule applied to `gX·Bᵀ`) and, for the
  /// residuals, `gA = 2·(gL·r)·Xᵀ`, `gB = −2·gL·r` with `r = A·X − B`.
  public static func lstsq(_ a: Tensor, _ b: Tensor, rcond: Double? = nil, driver: LstsqDriver? = nil)
    throws -> (solution: Tensor, residuals: Tensor, rank: Tensor, singularValues: Tensor)
  {
    let op = "torch.linalg.lstsq"
    a.checkMatrixInput("linalg.lstsq")
    require(
      b.rank >= 1, "\(op): other must have at least 1 dimension.")
    require(
      a.dtype == b.dtype,
      "\(op): Expected input and other to have the same dtype, but got input's dtype \(a.dtype.scalarTypeName) and other's dtype \(b.dtype.scalarTypeName)"
    )
    require(
      a.rank >= b.rank && a.rank - b.rank <= 1,
      "\(op): input.dim() must be greater or equal to other.dim() and (input.dim() - other.dim()) <= 1"
    )
    let vector = isVectorRightHandSide(a, b)
    let b2 = vector ? b.unsqueeze(-1) : b
    let m = a.shape[a.rank - 2]
    require(
      b2.shape[b2.rank - 2] == m,
      vector
        ? "\(op): input.size(-2) should match other.size(-1)"
        : "\(op): input.size(-2) should match other.size(-2)")
    let driver = driver ?? .gelsy
    var result =
      a.dtype == .float32
      ? try lstsqForward(Float.self, a, b2, rcond: rcond, driver: driver)
      : try lstsqForward(Double.self, a, b2, rcond: rcond, driver: driver)
    // A vector right-hand side gives a vector solution; the residuals keep their trailing
    // dimension of 1, as in PyTorch.
    if vector { result.solution = result.solution.squeeze(-1) }
    guard GradMode.isEnabled, a.requiresGrad || b.requiresGrad else { return result }
    let sa = a.detach()
    let sb = b2.detach()
    let x = (vector ? result.solution.unsqueeze(-1) : result.solution).detach()
    let shapeA = a.shape
    let shapeB = b.shape
    let needA = a.requiresGrad
    let needB = b.requiresGrad
    let reshapeB = { (g: Tensor) in (vector ? g.squeeze(-1) : g).sumToShape(shapeB) }
    result.solution.recording("LinalgLstsqBackward0", [a, b]) { g in
      let gX = vector ? g.unsqueeze(-1) : g
      let pinvA = try! pinv(sa)
      let gA = needA ? pinvBackward(gX.matmul(sb.mT), pinvA: pinvA, a: sa).sumToShape(shapeA) : nil
      let gB = needB ? reshapeB(pinvA.mT.matmul(gX)) : nil
      return [gA, gB]
    }
    if result.residuals.count > 0 {
      result.residuals.recording("LinalgLstsqBackward0", [a, b]) { g in
        let r = sa.matmul(x) - sb
        let gL = g.unsqueeze(-2)
        let gA = needA ? ((gL * r).matmul(x.mT) * 2).sumToShape(shapeA) : nil
        let gB = needB ? reshapeB(gL * r * -2) : nil
        return [gA, gB]
      }
    }
    return result
  }

  private static func lstsqForward<T: LAPACKScalar>(
    _: T.Type, _ a: Tensor, _ b: Tensor, rcond: Double?, driver: LstsqDriver
  ) throws -> (solution: Tensor, residuals: Tensor, rank: Tensor, singularValues: Tensor) {
    let m = a.shape[a.rank - 2]
    let n = a.shape[a.rank - 1]
    let k = b.shape[b.rank - 1]
    let minMN = Swift.min(m, n)
    let ldb = Swift.max(m, n, 1)
    let batch = broadcastShapes(a.matrixBatchShape, b.matrixBatchShape, op: "torch.linalg.lstsq")
    let count = batch.reduce(1, *)
    // A column-major per matrix; B column-major with ldb = max(m, n) rows, zero-padded.
    let aBuffer = a.broadcastRaw(to: batch + [m, n], op: "linalg.lstsq").columnMajorCopy()
    let bBuffer = Tensor.zeros(batch + [k, ldb], dtype: a.dtype)
    bBuffer.slicedRaw(dim: batch.count + 1, start: 0, length: m)
      .copyElements(from: b.broadcastRaw(to: batch + [m, k], op: "linalg.lstsq").transpose(-2, -1))
    let withRank = driver != .gels
    let withValues = driver == .gelsd || driver == .gelss
    var ranks = [Int](repeating: 0, count: count)
    let values = Tensor.zeros(withValues ? batch + [minMN] : [0], dtype: a.dtype)
    var infos = [Int32](repeating: 0, count: count)
    let cutoff = T(rcond ?? Double(T.ulpOfOne) * Double(Swift.max(m, n)))
    if count > 0 && m > 0 && n > 0 && k > 0 {
      let pa = aBuffer.pointer(T.self)
      let pb = bBuffer.pointer(T.self)
      let ps = values.pointer(T.self)
      let (m32, n32, k32, ldb32) = (Int32(m), Int32(n), Int32(k), Int32(ldb))
      let jpvt = IntWorkspace(count: n)
      var rank: Int32 = 0
      var query: T = 0
      var iquery: Int32 = 0
      let iworkQuery = IntWorkspace(count: 1)
      switch driver {
      case .gels: _ = T.gels(lapackChar("N"), m32, n32, k32, pa, m32, pb, ldb32, &query, -1)
      case .gelsy: _ = T.gelsy(m32, n32, k32, pa, m32, pb, ldb32, jpvt.buffer, cutoff, &rank, &query, -1)
      case .gelsd:
        _ = T.gelsd(m32, n32, k32, pa, m32, pb, ldb32, ps, cutoff, &rank, &query, -1, iworkQuery.buffer)
        iquery = iworkQuery.buffer[0]
      case .gelss: _ = T.gelss(m32, n32, k32, pa, m32, pb, ldb32, ps, cutoff, &rank, &query, -1)
      }
      let work = Workspace<T>(count: Workspace<T>.size(fromQuery: query))
      let iwork = IntWorkspace(count: Int(iquery))
      defer {
        work.free()
        iwork.free()
        jpvt.free()
        iworkQuery.free()
      }
      let lwork = Int32(work.count)
      for i in 0..<count {
        let ai = pa + i * m * n
        let bi = pb + i * k * ldb
        let si = ps + i * minMN
        switch driver {
        case .gels:
          infos[i] = T.gels(lapackChar("N"), m32, n32, k32, ai, m32, bi, ldb32, work.buffer, lwork)
        case .gelsy:
          jpvt.buffer.update(repeating: 0, count: jpvt.count)
          infos[i] = T.gelsy(
            m32, n32, k32, ai, m32, bi, ldb32, jpvt.buffer, cutoff, &rank, work.buffer, lwork)
        case .gelsd:
          infos[i] = T.gelsd(
            m32, n32, k32, ai, m32, bi, ldb32, si, cutoff, &rank, work.buffer, lwork, iwork.buffer)
        case .gelss:
          infos[i] = T.gelss(m32, n32, k32, ai, m32, bi, ldb32, si, cutoff, &rank, work.buffer, lwork)
        }
        ranks[i] = Int(rank)
      }
    }
    try LinalgError.check(infos, function: "torch.linalg.lstsq", batchShape: batch)
    let solution = bBuffer.slicedRaw(dim: batch.count + 1, start: 0, length: n).transpose(-2, -1)
      .contiguousCopy()
    var residuals = Tensor.zeros([0], dtype: a.dtype)
    let fullRank = !withValues || ranks.allSatisfy { $0 == n }
    if m > n && driver != .gelsy && fullRank {
      let tail = bBuffer.slicedRaw(dim: batch.count + 1, start: n, length: m - n)
      residuals = withNoGrad { (tail * tail).sum(dim: -1) }
    }
    let rank = withRank ? Tensor(ranks, shape: batch) : Tensor([Int](), shape: [0])
    return (solution, residuals, rank, values)
  }
}
