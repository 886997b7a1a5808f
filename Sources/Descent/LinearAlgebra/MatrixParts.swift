// Views and masks of the last two dimensions that the linear-algebra functions and their
// backward rules are written with (`mT`, `tril`, `triu`, `diagonal`, `diag_embed`).

extension Tensor {
  /// The transpose of the last two dimensions, as a view (`mT`); batch dimensions stay.
  public var mT: Tensor {
    require(
      rank >= 2, "tensor.mT is only supported on matrices or batches of matrices. Got \(rank)-D tensor.")
    return transpose(-2, -1)
  }

  /// The lower triangle of the last two dimensions, zero above diagonal `diagonal`
  /// (`torch.tril`): element `(i, j)` is kept when `j - i <= diagonal`. The gradient is
  /// the gradient's lower triangle.
  public func tril(_ diagonal: Int = 0) -> Tensor {
    triangle(diagonal, lower: true)
  }

  /// The upper triangle of the last two dimensions, zero below diagonal `diagonal`
  /// (`torch.triu`): element `(i, j)` is kept when `j - i >= diagonal`.
  public func triu(_ diagonal: Int = 0) -> Tensor {
    triangle(diagonal, lower: false)
  }

  private func triangle(_ k: Int, lower: Bool) -> Tensor {
    let op = lower ? "tril" : "triu"
    require(rank >= 2, "\(op): input tensor must have at least 2 dimensions")
    require(dtype.isFloatingPoint, "\(op): expected a floating point tensor, got \(dtype)")
    let rows = shape[rank - 2]
    let cols = shape[rank - 1]
    var mask = [Bool](repeating: false, count: rows * cols)
    for i in 0..<rows {
      for j in 0..<cols where lower ? j - i <= k : j - i >= k { mask[i * cols + j] = true }
    }
    let keep = Tensor(mask, shape: [rows, cols])
    let out = withNoGrad { Tensor.where(keep, self, 0.0) }
    return out.recording(lower ? "TrilBackward0" : "TriuBackward0", [self]) { g in
      [g.triangle(k, lower: lower)]
    }
  }

  /// The main diagonal of the last two dimensions, as a view of shape
  /// `batch + [min(rows, cols)]` (`torch.diagonal(x, 0, -2, -1)`).
  public func diagonal() -> Tensor {
    require(rank >= 2, "diagonal: expected a tensor with at least 2 dimensions, got \(rank)")
    let k = Swift.min(shape[rank - 2], shape[rank - 1])
    let out = Tensor(
      storage: storage, shape: Array(shape.dropLast(2)) + [k],
      strides: Array(strides.dropLast(2)) + [strides[rank - 2] + strides[rank - 1]], offset: offset)
    let inputShape = shape
    return out.recording("DiagonalBackward0", [self]) { g in
      let full = Tensor.zeros(inputShape, dtype: g.dtype)
      full.diagonal().copyElements(from: g)
      return [full]
    }
  }

  /// Square matrices with this tensor's last dimension on their diagonal and zeros
  /// elsewhere: `[..., k]` becomes `[..., k, k]` (`torch.diag_embed`).
  public func diagEmbed() -> Tensor {
    require(rank >= 1, "diag_embed: expected a tensor with at least 1 dimension")
    let k = shape[rank - 1]
    let out = Tensor.zeros(shape + [k], dtype: dtype)
    out.diagonal().copyElements(from: self)
    return out.recording("DiagEmbedBackward0", [self]) { g in [g.diagonal()] }
  }

  // MARK: Checks and batch helpers for Linalg

  /// PyTorch's input checks of the linalg functions: at least two dimensions and a
  /// floating dtype.
  func checkMatrixInput(_ op: String, name: String = "A") {
    require(rank >= 2, "\(op): The input tensor \(name) must have at least 2 dimensions.")
    require(
      dtype.isFloatingPoint,
      "\(op): Expected a floating point or complex tensor as input. Got \(dtype.scalarTypeName)")
    // LAPACK has no half precision; PyTorch's message.
    require(
      !dtype.isReducedPrecision, "\(op): Low precision dtypes not supported. Got \(dtype.scalarTypeName)")
  }

  /// The checks above plus squareness (`squareCheckInputs`).
  func checkSquareInput(_ op: String, name: String = "A") {
    checkMatrixInput(op, name: name)
    require(
      shape[rank - 1] == shape[rank - 2],
      "\(op): \(name) must be batches of square matrices, but they are \(shape[rank - 2]) by \(shape[rank - 1]) matrices"
    )
  }

  /// The dimensions before the last two.
  var matrixBatchShape: [Int] { Array(shape.dropLast(2)) }

  /// A stride-0 broadcast view of this tensor as `target`, recording nothing.
  func broadcastRaw(to target: [Int], op: String) -> Tensor {
    if target == shape { return detach() }
    return Tensor(
      storage: storage, shape: target, strides: broadcastStrides(to: target, op: op), offset: offset)
  }

  /// A contiguous copy laid out column-major in the last two dimensions: the buffer LAPACK
  /// reads as this matrix. Shape `batch + [cols, rows]` (the transposed shape).
  func columnMajorCopy() -> Tensor { detach().transpose(-2, -1).contiguousCopy() }
}
