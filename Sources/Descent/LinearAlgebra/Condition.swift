extension Linalg {
  /// The condition number of a matrix in the norm `ord` (`torch.linalg.cond`).
  ///
  /// With `ord` `nil` (the 2-norm), `.two` or `.minusTwo` it is `σ_max / σ_min` (`σ_min /
  /// σ_max` for `.minusTwo`) from ``svdvals(_:)``, for any `m × n`; a singular matrix gives
  /// inf. The other orders need square input and compute `‖A‖·‖A⁻¹‖` with ``invEx(_:)``: a
  /// singular matrix gives inf, as in PyTorch (NaN from `0·inf` is mapped to inf).
  ///
  /// - Parameters:
  ///   - a: `[*, m, n]`, float32 or float64.
  ///   - ord: the norm (default `nil`, the 2-norm).
  /// - Returns: a tensor of the batch shape and `a`'s dtype; differentiable through the
  ///   functions it is built from. An empty matrix gives 0.
  /// - Throws: ``LinalgError`` when the SVD does not converge.
  public static func cond(_ a: Tensor, ord: MatrixNormOrder? = nil) throws -> Tensor {
    require(a.rank >= 2, "linalg.cond: The input tensor must have at least 2 dimensions.")
    require(
      a.dtype.isFloatingPoint,
      "linalg.cond: Expected a floating point or complex tensor as input. Got \(a.dtype.scalarTypeName)")
    require(
      !a.dtype.isReducedPrecision,
      "linalg.cond: Low precision dtypes not supported. Got \(a.dtype.scalarTypeName)")
    if a.count == 0 { return Tensor.zeros(a.matrixBatchShape, dtype: a.dtype) }
    let ord = ord ?? .two
    if ord == .two || ord == .minusTwo {
      let s = try svdvals(a)
      let k = s.shape[s.rank - 1]
      let largest = s.narrow(dim: -1, start: 0, length: 1)
      let smallest = s.narrow(dim: -1, start: k - 1, length: 1)
      return (ord == .minusTwo ? smallest / largest : largest / smallest).squeeze(-1)
    }
    a.checkSquareInput("linalg.cond(ord=\(ord.pythonName))")
    let (inverse, info) = invEx(a)
    let singular = (info .> 0).unsqueeze(-1).unsqueeze(-1)
    let filled = Tensor.where(singular, Double.infinity, inverse)
    let product = matrixNorm(a, ord: ord) * matrixNorm(filled, ord: ord)
    return product.nanToNum(nan: .infinity, posinf: .infinity, neginf: -.infinity)
  }

  /// The numerical rank of a matrix (`torch.linalg.matrix_rank`): the number of singular
  /// values above `max(atol, rtol · σ_max)` (with `hermitian`, of `|λ|` from
  /// ``eigvalsh(_:uplo:)``).
  ///
  /// - Parameters:
  ///   - a: `[*, m, n]`, float32 or float64.
  ///   - atol: absolute cutoff (default 0).
  ///   - rtol: relative cutoff; default `max(m, n) · eps(dtype)` unless a positive `atol` is
  ///     given, as in PyTorch.
  ///   - hermitian: `a` is symmetric (only its lower triangle is read).
  /// - Returns: an `int64` tensor of the batch shape.
  /// - Throws: ``LinalgError`` when the decomposition does not converge.
  public static func matrixRank(
    _ a: Tensor, atol: Double? = nil, rtol: Double? = nil, hermitian: Bool = false
  ) throws -> Tensor {
    a.checkMatrixInput("linalg.matrix_rank")
    let (absolute, relative) = tolerances(a, atol: atol, rtol: rtol)
    return try withNoGrad {
      let s = hermitian ? try eigvalsh(a).abs() : try svdvals(a)
      if s.shape[s.rank - 1] == 0 { return Tensor.zeros(a.matrixBatchShape, dtype: .int64) }
      let cutoff = cutoffs(s.amax(dims: [-1], keepDim: true), absolute, relative)
      return (s.to(dtype: .float64) .> cutoff).sum(dim: -1)
    }
  }
}
