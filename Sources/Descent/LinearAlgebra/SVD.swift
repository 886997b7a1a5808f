extension Linalg {
  /// The singular value decomposition `A = U·diag(S)·Vh` (`torch.linalg.svd`), via LAPACK
  /// `?gesdd` (PyTorch's CPU driver).
  ///
  /// Singular values come in descending order. Each pair of singular vectors is determined
  /// up to a common sign (LAPACK's choice, which may differ from PyTorch's MKL build).
  ///
  /// - Parameters:
  ///   - a: `[*, m, n]`, float32 or float64.
  ///   - fullMatrices: return square `U` (`m × m`) and `Vh` (`n × n`) (default `true`, as in
  ///     PyTorch) instead of the reduced `m × k` and `k × n`, `k = min(m, n)`.
  /// - Returns: `u`, `s` (`[*, k]`) and `vh`, in `a`'s dtype (PyTorch's `U`, `S`, `Vh`).
  /// - Throws: ``LinalgError`` when `?gesdd` does not converge or the input is not finite.
  ///
  /// Backward (PyTorch's `svd_backward`), for distinct singular values:
  /// `gA = U·[(skew(UᵀgU)/E)·S + S·(skew(VᵀgV)/E) + diag(gS)]·Vh` with `skew(X) = X − Xᵀ`,
  /// `E[i, j] = Sⱼ² − Sᵢ²`, plus `(I − UUᵀ)·gU·S⁻¹·Vh` when `m > n` and
  /// `U·S⁻¹·gVh·(I − VVᵀ)` when `m < n`. With `fullMatrices` the extra columns of `U` and
  /// rows of `Vh` get no gradient. PyTorch's gauge check (the loss must not depend on the
  /// phases of the singular vectors) concerns complex input only: for real matrices
  /// `skew(UᵀgU)` has a zero diagonal, so the sign choice cancels by construction.
  public static func svd(_ a: Tensor, fullMatrices: Bool = true) throws -> (u: Tensor, s: Tensor, vh: Tensor)
  {
    a.checkMatrixInput("linalg.svd")
    let (u, s, vh) = try svdForward(a, job: fullMatrices ? .full : .reduced, op: "linalg.svd")
    guard GradMode.isEnabled, a.requiresGrad else { return (u!, s, vh!) }
    let m = a.shape[a.rank - 2]
    let n = a.shape[a.rank - 1]
    let k = Swift.min(m, n)
    let su = u!.detach().narrow(dim: -1, start: 0, length: k)
    let sv = vh!.detach().narrow(dim: -2, start: 0, length: k)
    let ss = s.detach()
    recordSingularValues(s, a, su, sv)
    let e = { () -> Tensor in
      let s2 = ss * ss
      return s2.unsqueeze(-2) - s2.unsqueeze(-1) + Tensor.eye(k, dtype: ss.dtype)
    }
    u!.recording("LinalgSvdBackward0", [a]) { g in
      let gU = g.narrow(dim: -1, start: 0, length: k)
      let uhgu = su.mT.matmul(gU)
      var gA = ((uhgu - uhgu.mT) / e()) * ss.unsqueeze(-2)
      if m > n {
        gA = su.matmul(gA)
        let gUSinv = gU / ss.unsqueeze(-2)
        gA = (gA + gUSinv - su.matmul(su.mT.matmul(gUSinv))).matmul(sv)
      } else {
        gA = su.matmul(gA).matmul(sv)
      }
      return [gA]
    }
    vh!.recording("LinalgSvdBackward0", [a]) { g in
      let gVh = g.narrow(dim: -2, start: 0, length: k)
      let vhgv = sv.matmul(gVh.mT)
      var gA = ss.unsqueeze(-1) * ((vhgv - vhgv.mT) / e())
      if m < n {
        gA = gA.matmul(sv)
        let sinvgVh = gVh / ss.unsqueeze(-1)
        gA = su.matmul(gA + sinvgVh - sinvgVh.matmul(sv.mT).matmul(sv))
      } else {
        gA = su.matmul(gA.matmul(sv))
      }
      return [gA]
    }
    return (u!, s, vh!)
  }

  /// The singular values in descending order (`torch.linalg.svdvals`), via `?gesdd`
  /// without singular vectors, unless `a` requires grad: then they are computed for the
  /// backward `gA = U·diag(gS)·Vh`, as in PyTorch.
  ///
  /// - Parameter a: `[*, m, n]`, float32 or float64.
  /// - Returns: `[*, min(m, n)]` in `a`'s dtype.
  /// - Throws: ``LinalgError`` when `?gesdd` does not converge or the input is not finite.
  public static func svdvals(_ a: Tensor) throws -> Tensor {
    a.checkMatrixInput("linalg.svdvals")
    let needVectors = GradMode.isEnabled && a.requiresGrad
    let (u, s, vh) = try svdForward(a, job: needVectors ? .reduced : .valuesOnly, op: "linalg.svd")
    if needVectors { recordSingularValues(s, a, u!.detach(), vh!.detach()) }
    return s
  }

  private static func recordSingularValues(_ s: Tensor, _ a: Tensor, _ u: Tensor, _ vh: Tensor) {
    let tall = a.shape[a.rank - 2] >= a.shape[a.rank - 1]
    s.recording("LinalgSvdBackward0", [a]) { gS in
      [tall ? u.matmul(gS.unsqueeze(-1) * vh) : (u * gS.unsqueeze(-2)).matmul(vh)]
    }
  }

  enum SVDJob { case full, reduced, valuesOnly }

  static func svdForward(_ a: Tensor, job: SVDJob, op: String) throws -> (Tensor?, Tensor, Tensor?) {
    a.dtype == .float32
      ? try svdFactor(Float.self, a, job: job, op: op) : try svdFactor(Double.self, a, job: job, op: op)
  }

  /// `?gesdd` on the row-major copy, which LAPACK reads as `M = Aᵀ` (`n × m`). From
  /// `M = U'·S·V'ᵀ` follows `A = V'·S·U'ᵀ`: LAPACK's `VT` buffer, read row-major, is `A`'s
  /// `U`, and its `U` buffer is `A`'s `Vh`, so neither needs a transpose.
  private static func svdFactor<T: LAPACKScalar>(_: T.Type, _ a: Tensor, job: SVDJob, op: String) throws
    -> (Tensor?, Tensor, Tensor?)
  {
    let m = a.shape[a.rank - 2]
    let n = a.shape[a.rank - 1]
    let k = Swift.min(m, n)
    let batch = a.matrixBatchShape
    let count = batch.reduce(1, *)
    let uCols = job == .full ? m : k
    let vRows = job == .full ? n : k
    let s = Tensor(uninitializedShape: batch + [k], dtype: a.dtype)
    let u = job == .valuesOnly ? nil : Tensor(zeroedShape: batch + [m, uCols], dtype: a.dtype)
    let vh = job == .valuesOnly ? nil : Tensor(zeroedShape: batch + [vRows, n], dtype: a.dtype)
    var infos = [Int32](repeating: 0, count: count)
    if k > 0 && count > 0 {
      let buffer = a.detach().contiguousCopy()
      let pa = buffer.pointer(T.self)
      let ps = s.pointer(T.self)
      let pu = u?.pointer(T.self)
      let pv = vh?.pointer(T.self)
      let jobz = lapackChar(job == .full ? "A" : (job == .reduced ? "S" : "N"))
      // For M (n × m): LAPACK's U is n × vRows (ldu n), its VT is uCols × m (ldvt uCols).
      let ldu = Int32(n)
      let ldvt = Int32(Swift.max(uCols, 1))
      let iwork = IntWorkspace(count: 8 * k)
      var query: T = 0
      _ = T.gesdd(jobz, Int32(n), Int32(m), pa, Int32(n), ps, pv, ldu, pu, ldvt, &query, -1, iwork.buffer)
      let work = Workspace<T>(count: Workspace<T>.size(fromQuery: query))
      defer {
        work.free()
        iwork.free()
      }
      for i in 0..<count {
        infos[i] = T.gesdd(
          jobz, Int32(n), Int32(m), pa + i * m * n, Int32(n), ps + i * k, pv.map { $0 + i * vRows * n }, ldu,
          pu.map { $0 + i * m * uCols }, ldvt, work.buffer, Int32(work.count), iwork.buffer)
      }
      withExtendedLifetime(buffer) {}
    } else if job == .full {
      // No singular values: the square factors are identities, as PyTorch returns them.
      u!.copyElements(from: Tensor.eye(m, dtype: a.dtype).broadcastRaw(to: batch + [m, m], op: op))
      vh!.copyElements(from: Tensor.eye(n, dtype: a.dtype).broadcastRaw(to: batch + [n, n], op: op))
    }
    try LinalgError.check(infos, function: op, batchShape: batch)
    return (u, s, vh)
  }
}
