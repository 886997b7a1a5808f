extension Linalg {
  /// The Moore–Penrose pseudo-inverse (`torch.linalg.pinv`): `V·diag(1/σ)·Uᵀ` from the
  /// reduced SVD, with singular values at or below the cutoff `max(atol, rtol · σ_max)`
  /// treated as zero; with `hermitian: true` from ``eigh(_:uplo:)`` instead (`|λ|` as the
  /// singular values).
  ///
  /// - Parameters:
  ///   - a: `[*, m, n]`, float32 or float64.
  ///   - atol: absolute cutoff (default 0).
  ///   - rtol: relative cutoff; default `max(m, n) · eps(dtype)` when `atol` is `nil` or 0,
  ///     and 0 when a positive `atol` is given, as in PyTorch.
  ///   - hermitian: `a` is symmetric (only its lower triangle is read).
  /// - Returns: `[*, n, m]` in `a`'s dtype.
  /// - Throws: ``LinalgError`` when the SVD (or eigendecomposition) does not converge.
  ///
  /// Backward (PyTorch's `pinv_backward`): for `m ≤ n`, with `K = gᵀ·A⁺`,
  /// `gA = −(A⁺·K)ᵀ + K·A⁺ᵀ − A·A⁺·K·A⁺ᵀ + A⁺ᵀ·A⁺·(gᵀ − K·A)`, and its transpose-mirrored
  /// form for `m > n`.
  public static func pinv(_ a: Tensor, atol: Double? = nil, rtol: Double? = nil, hermitian: Bool = false)
    throws -> Tensor
  {
    a.checkMatrixInput("linalg.pinv")
    if hermitian { a.checkSquareInput("linalg.pinv") }
    let m = a.shape[a.rank - 2]
    let n = a.shape[a.rank - 1]
    let (absolute, relative) = tolerances(a, atol: atol, rtol: rtol)
    let out: Tensor = try withNoGrad {
      if a.count == 0 { return Tensor.zeros(a.matrixBatchShape + [n, m], dtype: a.dtype) }
      if hermitian {
        let (s, u) = try eigh(a)
        let sAbs = s.abs()
        let cutoff = cutoffs(sAbs.amax(dims: [-1], keepDim: true), absolute, relative)
        let sInv = Tensor.where(sAbs.to(dtype: .float64) .> cutoff, s.reciprocal(), 0.0)
        return (u * sInv.unsqueeze(-2)).matmul(u.mT)
      }
      let (u, s, vh) = try svd(a, fullMatrices: false)
      let cutoff = cutoffs(s.narrow(dim: -1, start: 0, length: 1), absolute, relative)
      let sInv = Tensor.where(s.to(dtype: .float64) .> cutoff, s.reciprocal(), 0.0)
      return (vh.mT * sInv.unsqueeze(-2)).matmul(u.mT)
    }
    guard GradMode.isEnabled, a.requiresGrad else { return out }
    let sa = a.detach()
    let saved = out.detach()
    return out.recording("LinalgPinvBackward0", [a]) { g in [pinvBackward(g, pinvA: saved, a: sa)] }
  }

  /// PyTorch's `get_atol_rtol`: the absolute and relative cutoffs of `pinv` and
  /// `matrixRank`.
  static func tolerances(_ a: Tensor, atol: Double?, rtol: Double?) -> (Double, Double) {
    let eps = a.dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
    let defaultRtol = eps * Double(Swift.max(a.shape[a.rank - 1], a.shape[a.rank - 2]))
    let absolute = atol ?? 0
    let relative = rtol ?? ((atol ?? 0) > 0 ? 0 : defaultRtol)
    return (absolute, relative)
  }

  /// `max(atol, rtol · largest)` in float64, as PyTorch computes it.
  static func cutoffs(_ largest: Tensor, _ atol: Double, _ rtol: Double) -> Tensor {
    Tensor.maximum(largest.to(dtype: .float64) * rtol, atol)
  }

  /// PyTorch's `pinv_backward(grad, pinvA, A)`.
  static func pinvBackward(_ grad: Tensor, pinvA: Tensor, a: Tensor) -> Tensor {
    let m = a.shape[a.rank - 2]
    let n = a.shape[a.rank - 1]
    let pinvAh = pinvA.mT
    let gradh = grad.mT
    if m <= n {
      let k = gradh.matmul(pinvA)
      let kpinvAh = k.matmul(pinvAh)
      return -(pinvA.matmul(k)).mT + kpinvAh - a.matmul(pinvA).matmul(kpinvAh)
        + pinvAh.matmul(pinvA).matmul(gradh - k.matmul(a))
    }
    let k = pinvA.matmul(gradh)
    let pinvAhK = pinvAh.matmul(k)
    return -(k.matmul(pinvA)).mT + (gradh - a.matmul(k)).matmul(pinvA).matmul(pinvAh) + pinvAhK
      - pinvAhK.matmul(pinvA).matmul(a)
  }
}
