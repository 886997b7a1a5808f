extension Tensor {
  /// `beta · input + alpha · (mat1 @ mat2)` (`torch.addmm`): one `gemm` into a copy of
  /// `input` broadcast to the product's shape, as PyTorch's CPU kernel does. With
  /// `beta == 0`, `input` is not read (NaN in it does not propagate).
  ///
  /// - Parameters:
  ///   - input: added to the product; broadcast to `[mat1.shape[0], mat2.shape[1]]`.
  ///   - mat1: an `n × k` matrix.
  ///   - mat2: a `k × m` matrix (a transposed view goes to BLAS without a copy).
  ///   - beta: factor of `input` (default 1).
  ///   - alpha: factor of the product (default 1).
  ///
  /// The node is `AddmmBackward0`: `input` gets `beta · g` summed to its shape, `mat1` and
  /// `mat2` get `alpha · g @ mat2ᵀ` and `alpha · mat1ᵀ @ g`, each computed in the layout of
  /// its operand (PyTorch's `mm_mat1_backward`/`mm_mat2_backward`), so that the gradient of
  /// `weight.t()` in `Linear` is contiguous.
  public static func addmm(
    _ input: Tensor, _ mat1: Tensor, _ mat2: Tensor, beta: Double = 1, alpha: Double = 1
  ) -> Tensor {
    require(mat1.rank == 2, "addmm: mat1 must be a matrix, got \(mat1.rank)-D tensor")
    require(mat2.rank == 2, "addmm: mat2 must be a matrix, got \(mat2.rank)-D tensor")
    let n = mat1.shape[0]
    let k = mat1.shape[1]
    let m = mat2.shape[1]
    require(
      mat2.shape[0] == k,
      "addmm: mat1 and mat2 shapes cannot be multiplied (\(n)x\(k) and \(mat2.shape[0])x\(m))")
    require(
      input.dtype == mat1.dtype && input.dtype == mat2.dtype,
      "addmm: self, mat1 and mat2 must have the same dtype, but got \(input.dtype), \(mat1.dtype) and \(mat2.dtype)"
    )
    require(input.dtype.isFloatingPoint, "addmm: expected floating point tensors, got \(input.dtype)")
    let shape = [n, m]
    input.checkBroadcast(to: shape, op: "addmm")
    let out = Tensor(uninitializedShape: shape, dtype: input.dtype)
    if beta != 0 { out.copyElements(from: input.broadcastRaw(to: shape)) }
    switch input.dtype {
    case .float32: gemmBatched(Float.self, mat1, mat2, out, alpha: Float(alpha), beta: Float(beta))
    case .float64: gemmBatched(Double.self, mat1, mat2, out, alpha: alpha, beta: beta)
    default:
      // Half operands: float32 product and sum, rounded once.
      computeInOpmath(out, [mat1, mat2]) { o, x in
        gemmBatched(Float.self, x[0], x[1], o, alpha: Float(alpha), beta: Float(beta))
      }
    }
    withExtendedLifetime((mat1, mat2)) {}
    guard GradMode.isEnabled, input.requiresGrad || mat1.requiresGrad || mat2.requiresGrad else {
      return out
    }
    let needInput = input.requiresGrad
    let needMat1 = mat1.requiresGrad
    let needMat2 = mat2.requiresGrad
    let inputShape = input.shape
    let a = mat1.detach()
    let b = mat2.detach()
    return out.recording("AddmmBackward0", [input, mat1, mat2]) { g in
      [
        needInput ? (beta == 1 ? g : g * beta).sumToShape(inputShape) : nil,
        needMat1 ? mmMat1Backward(g, b, like: a, alpha: alpha) : nil,
        needMat2 ? mmMat2Backward(g, a, like: b, alpha: alpha) : nil,
      ]
    }
  }

  /// A stride-0 broadcast view of this tensor as `target` that records nothing.
  func broadcastRaw(to target: [Int]) -> Tensor {
    Tensor(
      storage: storage, shape: target, strides: broadcastStrides(to: target, op: "expand"), offset: offset)
  }

  /// `input @ weightᵀ + bias` (`torch.nn.functional.linear`).
  ///
  /// A 2-D input with a bias is one `addmm` (node `AddmmBackward0`): the bias is copied into
  /// the output and the product added by the same `gemm` (`beta = 1`), as PyTorch does. A
  /// contiguous input of another rank is viewed as 2-D for that `addmm` and the result
  /// viewed back (`ViewBackward0`); otherwise `matmul` then an add.
  ///
  /// - Parameters:
  ///   - input: `[*, inFeatures]`.
  ///   - weight: `[outFeatures, inFeatures]`.
  ///   - bias: `[outFeatures]`, or `nil` for none (default).
  public static func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    guard let bias else { return input.matmul(weight.t()) }
    // Mixed dtypes promote through matmul and add (addmm itself requires one dtype).
    let oneType = input.dtype == weight.dtype && bias.dtype == weight.dtype
    if oneType && input.rank == 2 { return addmm(bias, input, weight.t()) }
    if oneType && input.rank >= 1 && input.isContiguous && weight.rank == 2 {
      let rows = input.reshape([-1, input.shape[input.rank - 1]])
      return addmm(bias, rows, weight.t()).reshape(Array(input.shape.dropLast()) + [weight.shape[0]])
    }
    return input.matmul(weight.t()) + bias
  }
}
