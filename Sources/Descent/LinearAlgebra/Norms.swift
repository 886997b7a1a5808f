extension Linalg {
  /// The order of a matrix norm (`ord` of `torch.linalg.matrix_norm` and `cond`).
  public enum MatrixNormOrder: Sendable {
    /// Frobenius: `sqrt(Σ aᵢⱼ²)` (`'fro'`).
    case fro
    /// Nuclear: the sum of the singular values (`'nuc'`).
    case nuc
    /// Largest column sum of `|aᵢⱼ|` (`1`).
    case one
    /// Smallest column sum of `|aᵢⱼ|` (`-1`).
    case minusOne
    /// Largest singular value (`2`).
    case two
    /// Smallest singular value (`-2`).
    case minusTwo
    /// Largest row sum of `|aᵢⱼ|` (`inf`).
    case inf
    /// Smallest row sum of `|aᵢⱼ|` (`-inf`).
    case minusInf

    /// PyTorch's spelling, for messages.
    var pythonName: String {
      switch self {
      case .fro: "fro"
      case .nuc: "nuc"
      case .one: "1"
      case .minusOne: "-1"
      case .two: "2"
      case .minusTwo: "-2"
      case .inf: "inf"
      case .minusInf: "-inf"
      }
    }
  }

  /// The vector `ord`-norm of `x` over all elements, or over `dim` (`torch.linalg.vector_norm`):
  /// `(Σ|xᵢ|^ord)^(1/ord)`; `ord = .infinity` is `max|xᵢ|`, `-.infinity` is `min|xᵢ|`, and
  /// `0` counts the non-zero elements. Accumulated in float64.
  ///
  /// - Parameters:
  ///   - x: a float32 or float64 tensor of any shape.
  ///   - ord: the order (default 2); any `Double`, including ±infinity and 0.
  ///   - dim: the dimensions to reduce (default `nil`: all of them).
  ///   - keepDim: keep the reduced dimensions with size 1 (default `false`).
  /// - Returns: a tensor of `x`'s dtype.
  ///
  /// Backward (PyTorch's `norm_backward`): `g·x/‖x‖` for `ord = 2` (0 where the norm is 0),
  /// `g·sign(x)` for 1, shared evenly between the extreme elements for ±infinity, none for 0,
  /// and `g·sign(x)·|x|^(ord−1)/‖x‖^(ord−1)` otherwise.
  public static func vectorNorm(_ x: Tensor, ord: Double = 2, dim: [Int]? = nil, keepDim: Bool = false)
    -> Tensor
  {
    require(
      x.dtype.isFloatingPoint,
      "linalg.vector_norm: Expected a floating point or complex tensor as input. Got \(x.dtype.scalarTypeName)"
    )
    let d = x.reductionDims(dim, op: "linalg.vector_norm")
    let out = x.reduceRows(NormReducer(p: ord), dims: d, keepDim: keepDim, op: "linalg.vector_norm")
    let source = x.detach()
    let norm = out.detach()
    return out.recording("LinalgVectorNormBackward0", [x]) { g in
      let ge = source.expandReduced(g, dims: d, keepDim: keepDim)
      let ne = source.expandReduced(norm, dims: d, keepDim: keepDim)
      let zeroWhereNormIsZero = { (t: Tensor) in Tensor.where(ne .== 0, 0.0, t) }
      if ord == 0 { return [nil] }
      if ord == 1 { return [source.sign() * ge] }
      if ord == 2 { return [ge * zeroWhereNormIsZero(source / ne)] }
      if ord.isInfinite {
        let magnitude = source.abs()
        let hit = ((magnitude .== ne).to(dtype: .float64) + magnitude.isnan().to(dtype: .float64))
          .clamp(max: 1).to(dtype: source.dtype)
        return [source.sign() * (ge / hit.sum(dims: d, keepDim: true) * hit)]
      }
      if ord < 1 {
        let scaled = source.sign() * Tensor.where(source .== 0, 0.0, source.abs().pow(ord - 1))
        return [scaled * ge * ne.pow(1 - ord)]
      }
      let scaled = ord < 2 ? source.sign() * source.abs().pow(ord - 1) : source * source.abs().pow(ord - 2)
      return [scaled * zeroWhereNormIsZero(ge / ne.pow(ord - 1))]
    }
  }

  /// A matrix norm of `a` over the two dimensions `dim` (`torch.linalg.matrix_norm`).
  ///
  /// `.fro` is the vector 2-norm of the matrix, `.nuc` and `±2` come from the singular
  /// values (``svdvals(_:)``), `±1` and `±inf` are the largest or smallest column or row sum
  /// of absolute values, as PyTorch computes them (so their gradients match PyTorch's,
  /// with ties sharing the gradient).
  ///
  /// - Parameters:
  ///   - a: `[*, m, n]` (or any tensor with the two `dim`s), float32 or float64.
  ///   - ord: the norm (default `.fro`).
  ///   - dim: the matrix dimensions (default `(-2, -1)`).
  ///   - keepDim: keep them with size 1 (default `false`).
  /// - Returns: a tensor of the remaining shape and `a`'s dtype. If the SVD behind `.nuc`
  ///   or `±2` does not converge (non-finite input), the result is NaN: this function does
  ///   not throw, where PyTorch raises.
  public static func matrixNorm(
    _ a: Tensor, ord: MatrixNormOrder = .fro, dim: (Int, Int) = (-2, -1), keepDim: Bool = false
  ) -> Tensor {
    let op = "linalg.matrix_norm"
    require(a.rank >= 2, "\(op): The input tensor A must have at least 2 dimensions.")
    require(
      a.dtype.isFloatingPoint,
      "\(op): Expected a floating point or complex tensor as input. Got \(a.dtype.scalarTypeName)")
    var d0 = normalizeDim(dim.0, rank: a.rank, op: op)
    var d1 = normalizeDim(dim.1, rank: a.rank, op: op)
    require(d0 != d1, "\(op): dims must be different. Got (\(dim.0), \(dim.1))")
    switch ord {
    case .fro:
      return vectorNorm(a, ord: 2, dim: [d0, d1], keepDim: keepDim)
    case .nuc, .two, .minusTwo:
      let order = (0..<a.rank).filter { $0 != d0 && $0 != d1 } + [d0, d1]
      var inverse = [Int](repeating: 0, count: a.rank)
      for (i, o) in order.enumerated() { inverse[o] = i }
      let s = svdvalsOrNaN(a.permute(order))
      var result =
        ord == .nuc
        ? s.sum(dim: -1, keepDim: keepDim)
        : (ord == .two ? s.amax(dims: [-1], keepDim: keepDim) : s.amin(dims: [-1], keepDim: keepDim))
      if keepDim { result = result.unsqueeze(-1).permute(inverse) }
      return result
    case .one, .minusOne, .inf, .minusInf:
      if ord == .inf || ord == .minusInf { swap(&d0, &d1) }
      if !keepDim && d0 < d1 { d1 -= 1 }
      let sums = vectorNorm(a, ord: 1, dim: [d0], keepDim: keepDim)
      return ord == .one || ord == .inf
        ? sums.amax(dims: [d1], keepDim: keepDim) : sums.amin(dims: [d1], keepDim: keepDim)
    }
  }

  /// ``svdvals(_:)``, with NaN where the SVD fails, for the norms that cannot throw.
  private static func svdvalsOrNaN(_ a: Tensor) -> Tensor {
    if let s = try? svdvals(a) { return s }
    let k = Swift.min(a.shape[a.rank - 2], a.shape[a.rank - 1])
    return Tensor.full(a.matrixBatchShape + [k], .nan, dtype: a.dtype)
  }
}
