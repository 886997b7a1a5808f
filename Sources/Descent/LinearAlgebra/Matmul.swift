/// How a strided matrix is handed to BLAS without copying: row-major as is, or as the
/// transpose of a row-major matrix, with its leading dimension.
struct BLASLayout {
  let transposed: Bool
  let leadingDimension: Int

  init?(rows r: Int, cols c: Int, rowStride rs: Int, colStride cs: Int) {
    if (c <= 1 || cs == 1) && (r <= 1 || rs >= Swift.max(c, 1)) {
      transposed = false
      leadingDimension = r <= 1 ? Swift.max(c, 1) : rs
    } else if (r <= 1 || rs == 1) && (c <= 1 || cs >= Swift.max(r, 1)) {
      transposed = true
      leadingDimension = c <= 1 ? Swift.max(r, 1) : cs
    } else {
      return nil
    }
  }
}

extension Tensor {
  /// Matrix product with `torch.matmul`'s rules: 1-D·1-D is a dot product, 2-D×2-D a
  /// matrix product, a 1-D operand is promoted to a matrix and the added dimension removed
  /// afterwards, and leading batch dimensions broadcast.
  ///
  /// Products run on `cblas_?gemm` (`?gemv` for matrix × vector); transposed views are
  /// passed with BLAS transpose flags instead of being copied.
  ///
  /// The graph node is PyTorch's for 2-D × 2-D (`MmBackward0`), 1-D · 1-D (`DotBackward0`)
  /// and 2-D × 1-D (`MvBackward0`). Other ranks record `MmBackward0` plus view nodes where
  /// PyTorch's chain differs (`BmmBackward0`, `UnsafeViewBackward0`, `SqueezeBackward4`);
  /// the gradients are the same.
  public func matmul(_ other: Tensor) -> Tensor {
    require(
      rank >= 1 && other.rank >= 1,
      "matmul: both arguments to matmul need to be at least 1D, but they are \(rank)D and \(other.rank)D")
    if !dtype.isFloatingPoint || !other.dtype.isFloatingPoint {
      requirementFailure(integerProductMessage(other))
    }
    let k = shape[rank - 1]
    let k2 = other.shape[Swift.max(other.rank - 2, 0)]
    require(
      k == k2,
      rank == 1 && other.rank == 1
        ? "matmul: inconsistent tensor size, expected tensor [\(k)] and src [\(k2)] to have the same number of elements, but got \(k) and \(k2) elements respectively (shapes \(shape) and \(other.shape))"
        : "matmul: mat1 and mat2 shapes cannot be multiplied (\(rank == 1 ? 1 : shape[rank - 2])x\(k) and \(k2)x\(other.rank == 1 ? 1 : other.shape[other.rank - 1])); shapes \(shape) and \(other.shape)"
    )
    switch (rank, other.rank) {
    case (1, 1):
      return recordingProduct("DotBackward0", other) {
        $0.unsqueeze(0).matmulBatched($1.unsqueeze(1)).reshape([])
      }
    case (1, _):
      return unsqueeze(0).matmulBatched(other).squeeze(-2)
    case (2, 1):
      return recordingProduct("MvBackward0", other) {
        $0.matmulBatched($1.unsqueeze(1)).squeeze(-1)
      }
    case (_, 1):
      return matmulBatched(other.unsqueeze(1)).squeeze(-1)
    default:
      return matmulBatched(other)
    }
  }

  /// Runs `product` without recording and records it as one node named `name` (PyTorch's
  /// `DotBackward0`, `MvBackward0`), whose backward is that of `self @ other`: `g @ otherᵀ`
  /// and `selfᵀ @ g` with the vector dimensions restored, in each operand's dtype.
  private func recordingProduct(
    _ name: String, _ other: Tensor, _ product: (Tensor, Tensor) -> Tensor
  ) -> Tensor {
    let out = withNoGrad { product(self, other) }
    guard GradMode.isEnabled, requiresGrad || other.requiresGrad else { return out }
    let a = detach()
    let b = other.detach()
    let needA = requiresGrad
    let needB = other.requiresGrad
    return out.recording(name, [self, other]) { g in
      // Dot: g is 0-D; mv: g has a's rows. Either way a's gradient is g ⊗ b and b's is
      // aᵀ g (g · a for a dot).
      let ga = needA ? (a.rank == 1 ? g * b : g.unsqueeze(1) * b.unsqueeze(0)) : nil
      let gb = needB ? (a.rank == 1 ? g * a : a.t().matmul(g)) : nil
      return [ga?.to(dtype: a.dtype), gb?.to(dtype: b.dtype)]
    }
  }

  /// Inner product of two 1-D tensors (`torch.dot`).
  public func dot(_ other: Tensor) -> Tensor {
    require(
      rank == 1 && other.rank == 1, "dot: 1D tensors expected, but got \(rank)D and \(other.rank)D tensors")
    require(
      shape == other.shape,
      "dot: inconsistent tensor size, expected tensor [\(shape[0])] and src [\(other.shape[0])] to have the same number of elements, but got \(shape[0]) and \(other.shape[0]) elements respectively"
    )
    return matmul(other)
  }

  /// Matrix × vector (`torch.mv`).
  public func mv(_ vector: Tensor) -> Tensor {
    require(
      rank == 2 && vector.rank == 1,
      "mv: vector + matrix @ vector expected, got \(rank), \(vector.rank) (shapes \(shape) and \(vector.shape))"
    )
    require(
      shape[1] == vector.shape[0],
      "mv: size mismatch, got input \(shape), vec \(vector.shape)")
    return matmul(vector)
  }

  /// Outer product of two 1-D tensors (`torch.outer`).
  public func outer(_ other: Tensor) -> Tensor {
    require(rank == 1 && other.rank == 1, "outer: expected 1D tensors, got \(rank)D and \(other.rank)D")
    return unsqueeze(1) * other.unsqueeze(0)
  }

  /// Both operands at least 2-D: broadcast batch dims and run one gemm per batch.
  private func matmulBatched(_ other: Tensor) -> Tensor {
    let n = shape[rank - 2]
    let k = shape[rank - 1]
    let k2 = other.shape[other.rank - 2]
    let m = other.shape[other.rank - 1]
    require(
      k == k2,
      "matmul: mat1 and mat2 shapes cannot be multiplied (\(n)x\(k) and \(k2)x\(m)); shapes \(shape) and \(other.shape)"
    )
    let dtype = DType.promoted(self.dtype, other.dtype)
    require(
      dtype.isFloatingPoint, "matmul: expected floating point tensors, got \(self.dtype) and \(other.dtype)")
    let a = to(dtype: dtype)
    let b = other.to(dtype: dtype)
    // Operands whose batch dimensions already agree go to BLAS as they are; otherwise both
    // become stride-0 broadcast views of the common batch shape (no copies, no graph).
    let sameBatch = rank == other.rank && shape.dropLast(2).elementsEqual(other.shape.dropLast(2))
    let batch =
      sameBatch
      ? Array(shape.dropLast(2))
      : broadcastShapes(
        Array(shape.dropLast(2)), Array(other.shape.dropLast(2)),
        op: "matmul (batch dimensions of \(shape) and \(other.shape))")
    let out = Tensor(uninitializedShape: batch + [n, m], dtype: dtype)
    let ea = sameBatch ? a : a.broadcastView(batch + [n, k], op: "matmul")
    let eb = sameBatch ? b : b.broadcastView(batch + [k, m], op: "matmul")
    switch dtype {
    case .float32: Tensor.gemmBatched(Float.self, ea, eb, out)
    case .float64: Tensor.gemmBatched(Double.self, ea, eb, out)
    default:
      // Half operands: a float32 product, rounded once.
      Tensor.computeInOpmath(out, [ea, eb]) { o, x in Tensor.gemmBatched(Float.self, x[0], x[1], o) }
    }
    withExtendedLifetime((ea, eb)) {}
    // Building the backward closure costs allocations; skip it when nothing records.
    guard GradMode.isEnabled, a.requiresGrad || b.requiresGrad else { return out }
    let sa = a.detach()
    let sb = b.detach()
    let needA = a.requiresGrad
    let needB = b.requiresGrad
    if a.rank == 2 && b.rank == 2 {
      return out.recording("MmBackward0", [a, b]) { g in
        [
          needA ? Tensor.mmMat1Backward(g, sb, like: sa, alpha: 1) : nil,
          needB ? Tensor.mmMat2Backward(g, sa, like: sb, alpha: 1) : nil,
        ]
      }
    }
    return out.recording("MmBackward0", [a, b]) { g in
      [
        needA ? g.matmul(sb.transpose(-1, -2)).sumToShape(sa.shape) : nil,
        needB ? sa.transpose(-1, -2).matmul(g).sumToShape(sb.shape) : nil,
      ]
    }
  }

  /// Whether a matrix is laid out column by column (the transpose of a contiguous one).
  static func isColumnMajor(_ m: Tensor) -> Bool {
    m.rank == 2 && m.strides[0] == 1 && m.strides[1] == m.shape[0] && m.shape[0] > 1
  }

  /// The gradient of `mat1` in `mat1 @ mat2`: `α · g @ mat2ᵀ`, computed as
  /// `(α · mat2 @ gᵀ)ᵀ` when `mat1` is column-major so that it comes out in `mat1`'s
  /// layout (PyTorch's `mm_mat1_backward`).
  static func mmMat1Backward(_ g: Tensor, _ mat2: Tensor, like mat1: Tensor, alpha: Double) -> Tensor {
    product2D(g, false, mat2, true, alpha: alpha, transposedResult: isColumnMajor(mat1))
  }

  /// The gradient of `mat2` in `mat1 @ mat2`: `α · mat1ᵀ @ g`, computed as
  /// `(α · gᵀ @ mat1)ᵀ` when `mat2` is column-major (a transposed weight, as in `Linear`),
  /// so that the transpose's gradient is contiguous (PyTorch's `mm_mat2_backward`).
  static func mmMat2Backward(_ g: Tensor, _ mat1: Tensor, like mat2: Tensor, alpha: Double) -> Tensor {
    product2D(mat1, true, g, false, alpha: alpha, transposedResult: isColumnMajor(mat2))
  }

  /// `alpha · op(a) @ op(b)` of matrices, `op` a transpose where its flag is set, without
  /// autograd and without building view tensors (BLAS reads the strides as they are). With
  /// `transposedResult` the product is computed as `(op(b)ᵀ @ op(a)ᵀ)ᵀ`: a column-major
  /// result, the transpose of a contiguous one.
  static func product2D(
    _ a: Tensor, _ transposeA: Bool, _ b: Tensor, _ transposeB: Bool, alpha: Double,
    transposedResult: Bool
  ) -> Tensor {
    guard a.rank == 2, b.rank == 2, a.dtype == b.dtype, a.dtype.isFloatingPoint,
      !a.dtype.isReducedPrecision
    else {
      let product = (transposeA ? a.t() : a).matmul(transposeB ? b.t() : b)
      return alpha == 1 ? product : product * alpha
    }
    // op(x) as (rows, cols, row stride, column stride).
    func operand(_ x: Tensor, _ t: Bool) -> (Int, Int, Int, Int) {
      t
        ? (x.shape[1], x.shape[0], x.strides[1], x.strides[0])
        : (x.shape[0], x.shape[1], x.strides[0], x.strides[1])
    }
    // C = op(p) @ op(q), computed contiguous; for a transposed result p = op(b)ᵀ, q = op(a)ᵀ.
    let (p, tp, q, tq) = transposedResult ? (b, !transposeB, a, !transposeA) : (a, transposeA, b, transposeB)
    let (n, k, rsP, csP) = operand(p, tp)
    let (_, m, rsQ, csQ) = operand(q, tq)
    let out = Tensor(uninitializedShape: ShapeCache.shared.array(SmallInts([n, m])!), dtype: a.dtype)
    guard let lp = BLASLayout(rows: n, cols: k, rowStride: rsP, colStride: csP),
      let lq = BLASLayout(rows: k, cols: m, rowStride: rsQ, colStride: csQ), n > 0, m > 0, k > 0
    else {
      // Empty, or a layout BLAS can't read: the general path.
      let product = (tp ? p.t() : p).matmul(tq ? q.t() : q)
      let scaled = alpha == 1 ? product : product * alpha
      return transposedResult ? scaled.t() : scaled
    }
    func run<T: TensorScalar>(_: T.Type) {
      T.gemm(
        transA: lp.transposed, transB: lq.transposed, n, m, k, T(alpha), p.pointer(T.self),
        lp.leadingDimension, q.pointer(T.self), lq.leadingDimension, 0, out.pointer(T.self), m)
    }
    if a.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    withExtendedLifetime((p, q)) {}
    guard transposedResult else { return out }
    return Tensor(
      storage: out.storage, shape: ShapeCache.shared.array(SmallInts([m, n])!),
      strides: ShapeCache.shared.array(SmallInts([1, m])!))
  }

  /// A stride-0 broadcast view of this tensor as `target` that records nothing.
  fileprivate func broadcastView(_ target: [Int], op: String) -> Tensor {
    Tensor(storage: storage, shape: target, strides: broadcastStrides(to: target, op: op), offset: offset)
  }

  /// `out ← alpha · a @ b + beta · out` for every batch (`beta == 0`: `out` is not read).
  static func gemmBatched<T: TensorScalar>(
    _: T.Type, _ a: Tensor, _ b: Tensor, _ out: Tensor, alpha: T = 1, beta: T = 0
  ) {
    let r = a.rank
    let n = a.shape[r - 2]
    let k = a.shape[r - 1]
    let m = b.shape[r - 1]
    if out.count == 0 { return }
    if k == 0 {
      if beta == 0 {
        out.fillStorage(0)
      } else if beta != 1 {
        Tensor.applyBinary(MulOp(), out, out.scalarLike(Double(beta)), into: out, name: "addmm")
      }
      return
    }
    var a = a
    var b = b
    var la = BLASLayout(rows: n, cols: k, rowStride: a.strides[r - 2], colStride: a.strides[r - 1])
    if la == nil {
      a = a.contiguousCopy()
      la = BLASLayout(rows: n, cols: k, rowStride: k, colStride: 1)
    }
    var lb = BLASLayout(rows: k, cols: m, rowStride: b.strides[r - 2], colStride: b.strides[r - 1])
    if lb == nil {
      b = b.contiguousCopy()
      lb = BLASLayout(rows: k, cols: m, rowStride: m, colStride: 1)
    }
    let batchShape = Array(out.shape.dropLast(2))
    let batches = batchShape.reduce(1, *)
    let pa = a.pointer(T.self)
    let pb = b.pointer(T.self)
    let po = out.pointer(T.self)
    var index = [Int](repeating: 0, count: batchShape.count)
    for batch in 0..<batches {
      var offA = 0
      var offB = 0
      for d in 0..<batchShape.count {
        offA += index[d] * a.strides[d]
        offB += index[d] * b.strides[d]
      }
      let c = po + batch * n * m
      if m == 1 {
        // Matrix × vector: gemv over A with B's column as x.
        T.gemv(
          transposed: la!.transposed, la!.transposed ? k : n, la!.transposed ? n : k, alpha,
          pa + offA, la!.leadingDimension, pb + offB, Swift.max(b.strides[r - 2], 1), beta, c, 1)
      } else {
        T.gemm(
          transA: la!.transposed, transB: lb!.transposed, n, m, k, alpha, pa + offA,
          la!.leadingDimension, pb + offB, lb!.leadingDimension, beta, c, m)
      }
      var d = batchShape.count - 1
      while d >= 0 {
        index[d] += 1
        if index[d] < batchShape[d] { break }
        index[d] = 0
        d -= 1
      }
    }
    withExtendedLifetime((a, b)) {}
  }
}
