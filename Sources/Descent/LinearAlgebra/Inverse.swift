extension Linalg {
  /// The inverse of a square matrix or of each matrix of a batch (`torch.linalg.inv`), via
  /// LAPACK `?getrf` + `?getri` with one workspace query per call.
  ///
  /// - Parameter a: `[*, n, n]`, float32 or float64.
  /// - Returns: `A⁻¹`, same shape and dtype.
  /// - Throws: ``LinalgError`` "linalg.inv: The diagonal element k is zero, the inversion
  ///   could not be completed because the input matrix is singular." naming the pivot `k`
  ///   and, for batched input, the batch element.
  ///
  /// Backward (PyTorch's): `gA = −A⁻ᵀ·gX·A⁻ᵀ`.
  public static func inv(_ a: Tensor) throws -> Tensor {
    a.checkSquareInput("linalg.inv")
    let (out, infos) = invForward(a)
    try LinalgError.check(infos, function: "linalg.inv", batchShape: a.matrixBatchShape)
    return recordInverse(out, a)
  }

  /// ``inv(_:)`` that reports singular matrices instead of throwing
  /// (`torch.linalg.inv_ex`): `info` is 0 for each invertible matrix and the 1-based index
  /// of the zero pivot otherwise, where `inverse` holds no inverse.
  ///
  /// - Returns: `inverse` as ``inv(_:)`` returns it and `info`, an `int64` tensor of the
  ///   batch shape (PyTorch's is `int32`).
  public static func invEx(_ a: Tensor) -> (inverse: Tensor, info: Tensor) {
    a.checkSquareInput("linalg.inv_ex")
    let (out, infos) = invForward(a)
    return (recordInverse(out, a), Tensor(infos.map { Int($0) }, shape: a.matrixBatchShape))
  }

  private static func recordInverse(_ out: Tensor, _ a: Tensor) -> Tensor {
    guard GradMode.isEnabled, a.requiresGrad else { return out }
    let inverse = out.detach()
    return out.recording("LinalgInvExBackward0", [a]) { g in
      [-inverse.mT.matmul(g.matmul(inverse.mT))]
    }
  }

  private static func invForward(_ a: Tensor) -> (Tensor, [Int32]) {
    a.dtype == .float32 ? invFactor(Float.self, a) : invFactor(Double.self, a)
  }

  private static func invFactor<T: LAPACKScalar>(_: T.Type, _ a: Tensor) -> (Tensor, [Int32]) {
    let n = a.shape[a.rank - 1]
    let factors = LUFactorization<T>(a)
    if n > 0 && factors.count > 0 {
      let base = factors.lu.pointer(T.self)
      let n32 = Int32(n)
      var query: T = 0
      factors.pivots.withUnsafeBufferPointer { piv in
        _ = T.getri(n32, base, n32, piv.baseAddress!, &query, -1)
        let work = Workspace<T>(count: Swift.max(Workspace<T>.size(fromQuery: query), n))
        defer { work.free() }
        for i in 0..<factors.count where factors.infos[i] == 0 {
          _ = T.getri(n32, base + i * n * n, n32, piv.baseAddress! + i * n, work.buffer, Int32(work.count))
        }
      }
      // A singular matrix gets what PyTorch's inv_ex (a solve against the identity) gives:
      // the triangular solves run through the zero pivot into inf and NaN.
      for i in 0..<factors.count where factors.infos[i] != 0 {
        let single = LUFactorization<T>(copying: factors)
        let target = base + i * n * n
        target.update(repeating: 0, count: n * n)
        for j in 0..<n { target[j * n + j] = 1 }
        single.solve(i, target, nrhs: n, transposed: factors.ofTranspose)
      }
    }
    // The inverse of Aᵀ, column-major, is A⁻¹ row-major; otherwise the buffer is A⁻¹
    // column-major and is returned as its transposed view.
    let result = factors.lu.reshape(a.shape)
    return (factors.ofTranspose ? result : result.transpose(-2, -1), factors.infos)
  }
}
