extension Tensor {
  /// Calls `body(linear, sourceOffset)` for each element of `shape`, where `sourceOffset`
  /// is the element offset into a tensor with `strides` after `dim`'s index is replaced by
  /// `indexAt(linear)`.
  private static func walkIndexed(
    shape: [Int], strides: [Int], dim: Int, indexAt: (Int) -> Int, _ body: (Int, Int) -> Void
  ) {
    let n = shape.reduce(1, *)
    var idx = [Int](repeating: 0, count: shape.count)
    for linear in 0..<n {
      var off = 0
      for d in 0..<shape.count where d != dim { off += idx[d] * strides[d] }
      off += indexAt(linear) * strides[dim]
      body(linear, off)
      var d = shape.count - 1
      while d >= 0 {
        idx[d] += 1
        if idx[d] < shape[d] { break }
        idx[d] = 0
        d -= 1
      }
    }
  }

  private func checkedIndices(_ index: Tensor, size: Int, op: String) -> [Int] {
    require(index.dtype == .int64, "\(op)(): Expected dtype int64 for index, got \(index.dtype)")
    let values = index.asArray(Int.self)
    // Like PyTorch, negative indices are out of range here (no wrap-around).
    for v in values {
      require(
        v >= 0 && v < size, "\(op)(): index \(v) is out of bounds for dimension with size \(size)")
    }
    return values
  }

  /// Values at `index` along `dim` (`torch.gather`): `out[i][j] = self[index[i][j]][j]`
  /// for `dim == 0`. `index` is `int64` with this tensor's rank.
  public func gather(dim: Int, index: Tensor) -> Tensor {
    let d = normalizeDim(dim, rank: rank, op: "gather")
    require(
      index.rank == rank,
      "gather(): Index tensor must have the same number of dimensions as input tensor (index \(index.shape), input \(shape))"
    )
    let idx = checkedIndices(index, size: shape[d], op: "gather")
    let source = contiguousCopyIfNeeded()
    let values = source.asArray(Double.self)
    var out = [Double](repeating: 0, count: idx.count)
    Tensor.walkIndexed(shape: index.shape, strides: source.strides, dim: d, indexAt: { idx[$0] }) {
      out[$0] = values[$1]
    }
    let result = Tensor(out, shape: index.shape, dtype: dtype)
    let inputShape = shape
    return result.recording("GatherBackward0", [self]) { g in
      [Tensor.zeros(inputShape, dtype: g.dtype).scatterAdd(dim: d, index: index, source: g)]
    }
  }

  /// A copy of `self` with `source` added at `index` along `dim` (`scatter_add`).
  public func scatterAdd(dim: Int, index: Tensor, source: Tensor) -> Tensor {
    let d = normalizeDim(dim, rank: rank, op: "scatter_add")
    let idx = checkedIndices(index, size: shape[d], op: "scatter_add")
    require(
      index.rank == rank && source.rank == rank
        && (0..<rank).allSatisfy {
          index.shape[$0] <= source.shape[$0] && ($0 == d || index.shape[$0] <= shape[$0])
        },
      "scatter_add(): Expected index \(index.shape) to be smaller than self \(shape) apart from dimension \(d) and to be smaller size than src \(source.shape)"
    )
    var values = contiguousCopy().asArray(Double.self)
    let src = source.contiguous().asArray(Double.self)
    // `source` may be larger than `index`; its element for index position p sits at p's
    // coordinates in source's own (contiguous) layout.
    let indexStrides = Tensor.contiguousStrides(for: index.shape)
    let sourceStrides = Tensor.contiguousStrides(for: source.shape)
    Tensor.walkIndexed(
      shape: index.shape, strides: Tensor.contiguousStrides(for: shape), dim: d,
      indexAt: { idx[$0] }
    ) { linear, off in
      var rem = linear
      var at = 0
      for k in 0..<indexStrides.count {
        at += (rem / indexStrides[k]) * sourceStrides[k]
        rem %= indexStrides[k]
      }
      values[off] += src[at]
    }
    let result = Tensor(values, shape: shape, dtype: dtype)
    return result.recording("ScatterAddBackward0", [self, source]) { g in
      [g, g.gather(dim: d, index: index)]
    }
  }

  /// Rows (or slices along `dim`) picked by an `int64` index vector (`index_select`).
  ///
  /// The gradient adds each output slice back at its index (repeated indices accumulate);
  /// with an empty index it is zero, and the result is still part of the graph.
  public func indexSelect(dim: Int, index: Tensor) -> Tensor {
    let d = normalizeDim(dim, rank: rank, op: "index_select")
    require(index.rank <= 1, "index_select(): Index is supposed to be a vector")
    let idx = checkedIndices(index, size: shape[d], op: "index_select")
    var outShape = shape
    outShape[d] = idx.count
    let out: Tensor
    if idx.isEmpty {
      out = Tensor.zeros(outShape, dtype: dtype)
    } else {
      out = withNoGrad { Tensor.cat(idx.map { narrow(dim: d, start: $0, length: 1) }, dim: d) }
    }
    let inputShape = shape
    return out.recording("IndexSelectBackward0", [self]) { g in
      // scatter_add along `d` with the index repeated across the other dimensions.
      var indexShape = [Int](repeating: 1, count: g.rank)
      indexShape[d] = idx.count
      let spread = Tensor(idx, shape: indexShape).expand(g.shape)
      return [Tensor.zeros(inputShape, dtype: g.dtype).scatterAdd(dim: d, index: spread, source: g)]
    }
  }

  /// Concatenates tensors of equal shape except along `dim` (`torch.cat`).
  public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
    require(!tensors.isEmpty, "torch.cat(): expected a non-empty list of Tensors")
    let first = tensors[0]
    let d = normalizeDim(dim, rank: first.rank, op: "cat")
    let dtype = tensors.map(\.dtype).reduce(first.dtype, DType.promoted)
    var shape = first.shape
    shape[d] = 0
    for t in tensors {
      require(
        t.rank == first.rank,
        "torch.cat(): Tensors must have same number of dimensions: got \(first.rank) and \(t.rank) (shapes \(first.shape) and \(t.shape))"
      )
      for i in 0..<t.rank where i != d {
        require(
          t.shape[i] == first.shape[i],
          "torch.cat(): Sizes of tensors must match except in dimension \(d). Expected size \(first.shape[i]) but got size \(t.shape[i]) for tensor number \(tensors.firstIndex { $0 === t }!) in the list. (shapes \(first.shape) and \(t.shape))"
        )
      }
      shape[d] += t.shape[d]
    }
    let out = Tensor(uninitializedShape: shape, dtype: dtype)
    var start = 0
    var bounds: [(Int, Int)] = []
    for t in tensors {
      let len = t.shape[d]
      out.slicedRaw(dim: d, start: start, length: len).copyElements(from: t.to(dtype: dtype))
      bounds.append((start, len))
      start += len
    }
    return out.recording("CatBackward0", tensors.map { $0 }) { g in
      bounds.map { g.narrow(dim: d, start: $0.0, length: $0.1) }
    }
  }

  /// Stacks equal-shaped tensors along a new dimension `dim` (`torch.stack`).
  public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
    require(!tensors.isEmpty, "stack expects a non-empty TensorList")
    let shape = tensors[0].shape
    for (i, t) in tensors.enumerated() {
      require(
        t.shape == shape,
        "stack expects each tensor to be equal size, but got \(shape) at entry 0 and \(t.shape) at entry \(i)"
      )
    }
    let d = normalizeDim(dim, rank: shape.count + 1, op: "stack")
    let out = withNoGrad { cat(tensors.map { $0.unsqueeze(d) }, dim: d) }
    let dtypes = tensors.map(\.dtype)
    return out.recording("StackBackward0", tensors.map { $0 }) { g in
      dtypes.enumerated().map { i, dtype in g.select(dim: d, index: i).to(dtype: dtype) }
    }
  }

  /// A narrowed view that records nothing.
  func slicedRaw(dim d: Int, start: Int, length: Int) -> Tensor {
    var s = shape
    s[d] = length
    return Tensor(storage: storage, shape: s, strides: strides, offset: offset + start * strides[d])
  }
}
