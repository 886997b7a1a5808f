extension Tensor {
  /// A view with the same data and a new shape when the layout allows, otherwise a copy
  /// (`reshape`). One dimension may be `-1` and is inferred.
  ///
  /// The graph records PyTorch's nodes: `ViewBackward0` for a contiguous tensor,
  /// `ReshapeAliasBackward0` for a view of a non-contiguous one, and a `CloneBackward0`
  /// followed by `UnsafeViewBackward0` when the data must be copied.
  public func reshape(_ newShape: [Int]) -> Tensor {
    let target = inferShape(newShape, op: "reshape")
    if let strides = viewStrides(for: target) {
      return makeView(
        shape: target, strides: strides, offset: offset,
        name: isContiguous ? "ViewBackward0" : "ReshapeAliasBackward0")
    }
    let copy = clone()
    return copy.makeView(
      shape: target, strides: Tensor.contiguousStrides(for: target), offset: 0,
      name: "UnsafeViewBackward0")
  }

  /// A view with a new shape (`view`); stops if the layout would need a copy.
  public func view(_ newShape: [Int]) -> Tensor {
    let target = inferShape(newShape, op: "view")
    guard let strides = viewStrides(for: target) else {
      requirementFailure(
        "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead. (shape \(shape), strides \(self.strides), requested \(newShape))"
      )
    }
    return makeView(shape: target, strides: strides, offset: offset, name: "ViewBackward0")
  }

  /// Flattens dimensions `startDim...endDim` into one (`flatten`). Returns `self` when
  /// there is nothing to merge (`startDim == endDim`), as PyTorch does.
  public func flatten(startDim: Int = 0, endDim: Int = -1) -> Tensor {
    if rank == 0 { return reshape([1]) }
    let s = normalizeDim(startDim, rank: rank, op: "flatten")
    let e = normalizeDim(endDim, rank: rank, op: "flatten")
    require(s <= e, "flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e { return self }
    let merged = shape[s...e].reduce(1, *)
    return reshape(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
  }

  /// Swaps two dimensions as a view (`transpose`).
  public func transpose(_ dim0: Int, _ dim1: Int) -> Tensor {
    let a = normalizeDim(dim0, rank: rank, op: "transpose")
    let b = normalizeDim(dim1, rank: rank, op: "transpose")
    return swappedView(a, b, name: "TransposeBackward0")
  }

  /// Transpose of a matrix; for 0-D and 1-D tensors a view of the same shape (`t()`).
  public func t() -> Tensor {
    require(rank <= 2, "t() expects a tensor with <= 2 dimensions, but self is \(rank)D")
    return rank < 2 ? swappedView(0, 0, name: "TBackward0") : swappedView(0, 1, name: "TBackward0")
  }

  /// A view with dimensions `a` and `b` swapped (the same shape for a 0-D tensor), whose
  /// backward swaps them back.
  private func swappedView(_ a: Int, _ b: Int, name: String) -> Tensor {
    var newShape = shape
    var newStrides = strides
    if rank >= 2 && a != b {
      if var s = SmallInts(shape), var t = SmallInts(strides) {
        // Shared arrays for the swapped lists: no allocation for shapes seen before.
        (s[a], s[b]) = (s[b], s[a])
        (t[a], t[b]) = (t[b], t[a])
        newShape = ShapeCache.shared.array(s)
        newStrides = ShapeCache.shared.array(t)
      } else {
        newShape.swapAt(a, b)
        newStrides.swapAt(a, b)
      }
    }
    let out = Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
    let r = rank
    return out.recording(name, [self]) { g in [r >= 2 ? g.transpose(a, b) : g] }
  }

  /// Reorders dimensions as a view (`permute`).
  public func permute(_ order: [Int]) -> Tensor {
    require(
      order.count == rank,
      "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = \(rank) is not equal to len(dims) = \(order.count)"
    )
    let dims = order.map { normalizeDim($0, rank: rank, op: "permute") }
    require(Set(dims).count == rank, "permute(): duplicate dims are not allowed.")
    var inverse = [Int](repeating: 0, count: rank)
    for (i, d) in dims.enumerated() { inverse[d] = i }
    let out = Tensor(
      storage: storage, shape: dims.map { shape[$0] }, strides: dims.map { strides[$0] },
      offset: offset)
    return out.recording("PermuteBackward0", [self]) { g in [g.permute(inverse)] }
  }

  /// Removes all size-1 dimensions, or only `dim` if given and of size 1 (`squeeze`).
  public func squeeze(_ dim: Int? = nil) -> Tensor {
    var keep = [Bool](repeating: true, count: rank)
    if let dim {
      let d = normalizeDim(dim, rank: rank, op: "squeeze")
      if rank > 0 { keep[d] = shape[d] != 1 }
    } else {
      for d in 0..<rank where shape[d] == 1 { keep[d] = false }
    }
    let newShape = (0..<rank).filter { keep[$0] }.map { shape[$0] }
    let newStrides = (0..<rank).filter { keep[$0] }.map { strides[$0] }
    return makeView(
      shape: newShape, strides: newStrides, offset: offset,
      name: dim == nil ? "SqueezeBackward0" : "SqueezeBackward1")
  }

  /// Inserts a size-1 dimension at `dim` (`unsqueeze`).
  public func unsqueeze(_ dim: Int) -> Tensor {
    let d = normalizeDim(dim, rank: rank + 1, op: "unsqueeze")
    var newShape = shape
    var newStrides = strides
    let stride = d < rank ? strides[d] * shape[d] : 1
    newShape.insert(1, at: d)
    newStrides.insert(stride, at: d)
    return makeView(
      shape: newShape, strides: newStrides, offset: offset, name: "UnsqueezeBackward0")
  }

  /// Broadcasts to `target` without copying (`expand`); `-1` keeps a dimension.
  public func expand(_ target: [Int]) -> Tensor {
    let lead = target.count - rank
    let resolved = target.enumerated().map { i, s in s == -1 && i >= lead ? shape[i - lead] : s }
    require(
      lead >= 0 && resolved.allSatisfy { $0 >= 0 },
      "expand: the shape \(target) is invalid for a tensor of shape \(shape) (-1 is only allowed for existing dimensions)"
    )
    let newStrides = broadcastStrides(to: resolved, op: "expand")
    let sourceShape = shape
    let out = Tensor(storage: storage, shape: resolved, strides: newStrides, offset: offset)
    return out.recording("ExpandBackward0", [self]) { g in [g.sumToShape(sourceShape)] }
  }

  /// `expand` to another tensor's shape (`expand_as`).
  public func expand(as other: Tensor) -> Tensor { expand(other.shape) }

  /// Elements `start..<end` (stepping by `step`) along `dim`, as a view (`x[:, start:end:step]`).
  /// Bounds are clamped like Python slices; negative bounds count from the end.
  public func slice(dim: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) -> Tensor {
    slice(dim: dim, start: start, end: end, step: step, name: "SliceBackward0")
  }

  private func slice(dim: Int, start: Int?, end: Int?, step: Int, name: String) -> Tensor {
    let d = normalizeDim(dim, rank: rank, op: "slice")
    require(step > 0, "slice step must be positive")
    let size = shape[d]
    func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + size : v, 0), size) }
    let lo = clamp(start ?? 0)
    let hi = Swift.max(lo, clamp(end ?? size))
    var newShape = shape
    newShape[d] = (hi - lo + step - 1) / step
    var newStrides = strides
    newStrides[d] = strides[d] * step
    let inputShape = shape
    let out = Tensor(
      storage: storage, shape: newShape, strides: newStrides, offset: offset + lo * strides[d])
    return out.recording(name, [self]) { g in
      let full = Tensor.zeros(inputShape, dtype: g.dtype)
      full.slice(dim: d, start: lo, end: hi, step: step).copyElements(from: g)
      return [full]
    }
  }

  /// `length` elements along `dim` starting at `start`, as a view (`narrow`).
  public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
    let d = normalizeDim(dim, rank: rank, op: "narrow")
    require(
      start >= 0 && length >= 0 && start + length <= shape[d],
      "start (\(start)) + length (\(length)) exceeds dimension size (\(shape[d])).")
    return slice(dim: d, start: start, end: start + length)
  }

  /// The sub-tensor at `index` along `dim`, removing that dimension (`select`, `x[i]`).
  public func select(dim: Int, index: Int) -> Tensor {
    require(rank > 0, "select() cannot be applied to a 0-dim tensor.")
    let d = normalizeDim(dim, rank: rank, op: "select")
    let size = shape[d]
    require(
      index >= -size && index < size,
      "select(): index \(index) out of range for tensor of size \(shape) at dimension \(d)")
    let i = index < 0 ? index + size : index
    var newShape = shape
    var newStrides = strides
    newShape.remove(at: d)
    newStrides.remove(at: d)
    let out = Tensor(
      storage: storage, shape: newShape, strides: newStrides, offset: offset + i * strides[d])
    let inputShape = shape
    return out.recording("SelectBackward0", [self]) { g in
      let full = Tensor.zeros(inputShape, dtype: g.dtype)
      full.select(dim: d, index: i).copyElements(from: g)
      return [full]
    }
  }

  /// The sub-tensor at `index` along the first dimension (`x[i]`).
  public subscript(_ index: Int) -> Tensor { select(dim: 0, index: index) }

  /// Splits into chunks of `size` along `dim` (`split`), as views.
  public func split(_ size: Int, dim: Int = 0) -> [Tensor] {
    let d = normalizeDim(dim, rank: rank, op: "split")
    require(size > 0, "split expects split_size be non-negative, but got split_size=\(size)")
    // Each piece records its own node, named after PyTorch's shared `SplitBackward0`.
    return stride(from: 0, to: Swift.max(shape[d], 1), by: size).map {
      slice(dim: d, start: $0, end: $0 + size, step: 1, name: "SplitBackward0")
    }
  }

  // MARK: Helpers

  private func inferShape(_ requested: [Int], op: String) -> [Int] {
    let n = count
    let inferred = requested.filter { $0 == -1 }.count
    require(inferred <= 1, "\(op): only one dimension can be inferred")
    let known = requested.filter { $0 != -1 }.reduce(1, *)
    var out = requested
    if let i = requested.firstIndex(of: -1) {
      require(
        known != 0 && n % known == 0,
        "\(op): shape '\(requested)' is invalid for input of size \(n) (input shape \(shape))")
      out[i] = n / known
    }
    require(
      out.reduce(1, *) == n && out.allSatisfy { $0 >= 0 },
      "\(op): shape '\(requested)' is invalid for input of size \(n) (input shape \(shape))")
    return out
  }

  /// Strides for viewing this tensor's memory as `target`, or nil if a copy is needed
  /// (PyTorch's `computeStride`).
  private func viewStrides(for target: [Int]) -> [Int]? {
    if count == 0 || isContiguous { return Tensor.contiguousStrides(for: target) }
    var newStrides = [Int](repeating: 0, count: target.count)
    var viewD = target.count - 1
    var chunkBaseStride = strides.last ?? 1
    var tensorNumel = 1
    var viewNumel = 1
    var tensorD = rank - 1
    while tensorD >= 0 {
      tensorNumel *= shape[tensorD]
      if tensorD == 0 || (shape[tensorD - 1] != 1 && strides[tensorD - 1] != tensorNumel * chunkBaseStride) {
        while viewD >= 0 && (viewNumel < tensorNumel || target[viewD] == 1) {
          newStrides[viewD] = viewNumel * chunkBaseStride
          viewNumel *= target[viewD]
          viewD -= 1
        }
        if viewNumel != tensorNumel { return nil }
        if tensorD > 0 {
          chunkBaseStride = strides[tensorD - 1]
          tensorNumel = 1
          viewNumel = 1
        }
      }
      tensorD -= 1
    }
    if viewD != -1 { return nil }
    return newStrides
  }

  private func makeView(shape newShape: [Int], strides newStrides: [Int], offset: Int, name: String)
    -> Tensor
  {
    let out = Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
    let sourceShape = shape
    return out.recording(name, [self]) { g in [g.reshape(sourceShape)] }
  }

}
