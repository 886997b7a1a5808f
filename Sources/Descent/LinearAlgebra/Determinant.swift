extension Linalg {
  /// The determinant of a square matrix or of each matrix of a batch (`torch.linalg.det`),
  /// from an LU factorisation (LAPACK `?getrf`): the product of `U`'s diagonal and the sign
  /// of the row permutation.
  ///
  /// - Parameter a: `[*, n, n]`, float32 or float64.
  /// - Returns: a tensor of the batch shape (0-D for one matrix) and `a`'s dtype. A singular
  ///   matrix gives 0 (or a tiny value where rounding leaves a non-zero pivot), and nothing
  ///   is thrown. The determinant of a 0 × 0 matrix is 1.
  ///
  /// Backward (PyTorch's `linalg_det_backward` without `create_graph`): `gA = g·det·A⁻ᵀ`,
  /// solved with the forward's LU factors after replacing exactly-zero pivots by the dtype's
  /// epsilon, so an exactly singular matrix gets a zero gradient, as in PyTorch.
  public static func det(_ a: Tensor) -> Tensor {
    a.checkSquareInput("linalg.det")
    return a.dtype == .float32 ? detForward(Float.self, a) : detForward(Double.self, a)
  }

  private static func detForward<T: LAPACKScalar>(_: T.Type, _ a: Tensor) -> Tensor {
    let factors = LUFactorization<T>(a)
    let dets = factors.determinants()
    let out = Tensor(dets.map { Double($0) }, shape: a.matrixBatchShape, dtype: a.dtype)
    guard GradMode.isEnabled, a.requiresGrad else { return out }
    let shape = a.shape
    let saved = out.detach()
    return out.recording("LinalgDetBackward0", [a]) { g in
      // d = diag(g · det) for each matrix; solve Aᵀ·G = d with the perturbed LU factors.
      let scale = (g * saved).asArray(Double.self).map { T($0) }
      return [perturbedSolveTransposed(factors, diagonal: scale, shape: shape)]
    }
  }

  /// The solutions of `Aᵀ·G = diag(d)` for each matrix, with exactly-zero pivots of the LU
  /// factors replaced by the dtype's epsilon first (PyTorch's `LU + diag_embed(where(diag ==
  /// 0, eps, 0))`); `shape` is `A`'s.
  static func perturbedSolveTransposed<T: LAPACKScalar>(
    _ factors: LUFactorization<T>, diagonal d: [T], shape: [Int]
  ) -> Tensor {
    let n = factors.n
    let perturbed = LUFactorization<T>(copying: factors)
    let base = perturbed.lu.pointer(T.self)
    for i in 0..<factors.count {
      for j in 0..<n where base[i * n * n + j * n + j] == 0 { base[i * n * n + j * n + j] = T.ulpOfOne }
    }
    // G column-major per matrix: diag(d) is symmetric, so its buffer is the same.
    let g = Tensor.zeros([factors.count, n, n], dtype: T.dtype)
    let pg = g.pointer(T.self)
    for i in 0..<factors.count {
      for j in 0..<n { pg[i * n * n + j * n + j] = d[i] }
      perturbed.solve(i, pg + i * n * n, nrhs: n, transposed: true)
    }
    return g.transpose(-2, -1).reshape(shape)
  }

  /// The sign and the natural logarithm of the absolute value of the determinant
  /// (`torch.linalg.slogdet`), from the same LU factorisation as ``det(_:)``: `sign` is the
  /// product of the signs of `U`'s diagonal and of the permutation, `logabsdet` the sum of
  /// the logarithms of `|U[i, i]|`.
  ///
  /// - Parameter a: `[*, n, n]`, float32 or float64.
  /// - Returns: two tensors of the batch shape and `a`'s dtype. A singular matrix gives
  ///   `(0, -inf)` without throwing.
  ///
  /// Backward (PyTorch's `slogdet_backward`, real case): `gA = g_logabsdet · A⁻ᵀ`; `sign`
  /// passes no gradient.
  public static func slogdet(_ a: Tensor) -> (sign: Tensor, logabsdet: Tensor) {
    a.checkSquareInput("linalg.slogdet")
    return a.dtype == .float32 ? slogdetForward(Float.self, a) : slogdetForward(Double.self, a)
  }

  private static func slogdetForward<T: LAPACKScalar>(_: T.Type, _ a: Tensor) -> (
    sign: Tensor, logabsdet: Tensor
  ) {
    let factors = LUFactorization<T>(a)
    let n = factors.n
    let base = factors.lu.pointer(T.self)
    var signs = [T](repeating: 1, count: factors.count)
    var logs = [T](repeating: 0, count: factors.count)
    for i in 0..<factors.count {
      var s = factors.permutationSign(i)
      var l: T = 0
      for j in 0..<n {
        let u = base[i * n * n + j * n + j]
        s *= u > 0 ? 1 : (u < 0 ? -1 : 0)
        l += T.log(Swift.abs(u))
      }
      signs[i] = s
      logs[i] = l
    }
    let batch = a.matrixBatchShape
    let sign = Tensor(signs.map { Double($0) }, shape: batch, dtype: a.dtype)
    let logabsdet = Tensor(logs.map { Double($0) }, shape: batch, dtype: a.dtype)
    guard GradMode.isEnabled, a.requiresGrad else { return (sign, logabsdet) }
    let shape = a.shape
    sign.recording("LinalgSlogdetBackward0", [a]) { _ in [nil] }
    logabsdet.recording("LinalgSlogdetBackward0", [a]) { g in
      // No perturbation: slogdet is not differentiable at singular matrices (inf, as in
      // PyTorch).
      let d = g.asArray(Double.self).map { T($0) }
      return [solveTransposed(factors, diagonal: d, shape: shape)]
    }
    return (sign, logabsdet)
  }

  /// `Aᵀ·G = diag(d)` with the LU factors as they are.
  static func solveTransposed<T: LAPACKScalar>(
    _ factors: LUFactorization<T>, diagonal d: [T], shape: [Int]
  ) -> Tensor {
    let n = factors.n
    let g = Tensor.zeros([factors.count, n, n], dtype: T.dtype)
    let pg = g.pointer(T.self)
    for i in 0..<factors.count {
      for j in 0..<n { pg[i * n * n + j * n + j] = d[i] }
      factors.solve(i, pg + i * n * n, nrhs: n, transposed: true)
    }
    return g.transpose(-2, -1).reshape(shape)
  }
}

extension LUFactorization {
  /// A copy with its own LU buffer, to perturb.
  init(copying other: LUFactorization) {
    lu = other.lu.contiguousCopy()
    pivots = other.pivots
    infos = other.infos
    ofTranspose = other.ofTranspose
    n = other.n
    count = other.count
  }
}
