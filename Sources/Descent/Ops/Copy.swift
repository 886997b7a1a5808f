import Foundation

extension Tensor {
  /// Stops with PyTorch's error when an in-place op would modify a leaf that requires grad
  /// while grad mode is on. In-place ops on non-leaf graph tensors are not supported
  /// (PyTorch rebases the graph; Descent stops instead).
  func checkInPlace(_ op: String) {
    guard GradMode.isEnabled, requiresGrad else { return }
    require(
      !isLeaf,
      "\(op): a leaf Variable that requires grad is being used in an in-place operation.")
    requirementFailure(
      "\(op): in-place operations on tensors that are part of the autograd graph are not supported")
  }

  /// Reads every element, in row-major order, as `T`.
  ///
  /// `asArray(Float.self)`, `asArray(Double.self)`, `asArray(Int.self)` and
  /// `asArray(Bool.self)` convert from any dtype, like `tolist()`.
  public func asArray<T: TensorElement>(_: T.Type) -> [T] {
    let source = T.naturalDType == dtype ? self : to(dtype: T.naturalDType)
    let c = source.contiguous()
    return withExtendedLifetime(c) {
      Array(UnsafeBufferPointer(start: c.pointer(T.self), count: c.count))
    }
  }

  /// The value of a one-element tensor as a `Double` (`item()`).
  public func item() -> Double {
    require(
      count == 1,
      "a Tensor with \(count) elements cannot be converted to Scalar")
    return asArray(Double.self)[0]
  }

  /// The value of a one-element tensor as `T`.
  public func item<T: TensorElement>(_: T.Type) -> T {
    require(count == 1, "a Tensor with \(count) elements cannot be converted to Scalar")
    return asArray(T.self)[0]
  }

  /// This tensor converted to `dtype`; returns `self` when it already has that type
  /// (`to(dtype)`). Differentiable between floating types.
  public func to(dtype target: DType) -> Tensor {
    if target == dtype { return self }
    let out = Tensor(uninitializedShape: shape, dtype: target)
    out.copyElements(from: self)
    guard target.isFloatingPoint && dtype.isFloatingPoint else { return out }
    let sourceType = dtype
    return out.recording("ToCopyBackward0", [self]) { g in [g.to(dtype: sourceType)] }
  }

  /// A tensor with contiguous memory: `self` if already contiguous, else a copy
  /// (`contiguous()`).
  public func contiguous() -> Tensor {
    isContiguous ? self : clone()
  }

  /// A copy with its own contiguous storage (`clone()`). Differentiable.
  public func clone() -> Tensor {
    contiguousCopy().recording("CloneBackward0", [self]) { g in [g] }
  }

  /// A contiguous copy that records nothing.
  func contiguousCopy() -> Tensor {
    let out = Tensor(uninitializedShape: shape, dtype: dtype)
    out.copyElements(from: self)
    return out
  }

  /// Copies `source` (broadcast to this shape, converted to this dtype) into this tensor
  /// in place (`copy_`).
  ///
  /// Autograd follows PyTorch: when grad mode is on and `source` requires grad, a floating
  /// destination becomes a non-leaf whose node, `CopyBackwards`, passes the gradient on to
  /// `source`, summed over broadcast dimensions and cast to `source`'s dtype. A leaf that
  /// requires grad can't be the destination (PyTorch's error), except under
  /// ``withNoGrad(_:)``.
  ///
  /// Departures from PyTorch: a destination that is already part of the graph stops (see
  /// ``Tensor`` in-place ops), and so does copying a source that requires grad into a view
  /// that covers part of its storage (a slice, a transpose); PyTorch records that copy on the
  /// view's base (`CopySlices`). A view of the whole storage, such as a reshape, can't be
  /// told from its base and gets the node itself, so its base does not see the copy.
  @discardableResult
  public func copyInPlace(from source: Tensor) -> Tensor {
    copyInPlace(from: source, recordsGraph: true)
  }

  @discardableResult
  func copyInPlace(from source: Tensor, recordsGraph: Bool) -> Tensor {
    if recordsGraph { checkInPlace("copy_") }
    let records =
      recordsGraph && GradMode.isEnabled && source.requiresGrad && dtype.isFloatingPoint
    if records {
      require(
        offset == 0 && isContiguous && count == storage.count,
        "copy_: copying a tensor that requires grad into a view of part of another tensor's storage is not supported (PyTorch records it on the view's base; destination shape \(shape), strides \(strides), offset \(offset))"
      )
    }
    let broadcast = Tensor(
      storage: source.storage, shape: shape,
      strides: source.broadcastStrides(to: shape, op: "copy_"), offset: source.offset)
    copyElements(from: broadcast)
    guard records else { return self }
    let sourceShape = source.shape
    let sourceType = source.dtype
    return recording("CopyBackwards", [source]) { g in
      [g.sumToShape(sourceShape).to(dtype: sourceType)]
    }
  }

  /// Element copy with conversion; `source` must have this tensor's shape.
  func copyElements(from source: Tensor) {
    require(source.shape == shape, "copy: shape \(source.shape) does not match \(shape)")
    if count == 0 { return }
    if source.dtype == dtype, isContiguous, source.isContiguous {
      let bytes = count * dtype.byteSize
      memmove(
        storage.base + offset * dtype.byteSize, source.storage.base + source.offset * dtype.byteSize,
        bytes)
      return
    }
    if dtype.isReducedPrecision || source.dtype.isReducedPrecision {
      copyHalfElements(from: source)
      return
    }
    func run<S: TensorElement, D: TensorElement>(_: S.Type, _: D.Type) {
      StridedLoop.with(
        shape: shape, operands: 2, stride: { k, d in k == 0 ? strides[d] : source.strides[d] }
      ) {
        parallelFor(
          $0.count, CopyTask(loop: $0, destination: pointer(D.self), source: source.pointer(S.self)))
      }
    }
    func dispatchDestination<S: TensorElement>(_ s: S.Type) {
      switch dtype {
      case .float32: run(s, Float.self)
      case .float64: run(s, Double.self)
      case .int64: run(s, Int.self)
      case .bool: run(s, Bool.self)
      case .uint8: run(s, UInt8.self)
      case .bfloat16, .float16: requirementFailure("copy: half destinations convert in copyHalfElements")
      }
    }
    switch source.dtype {
    case .float32: dispatchDestination(Float.self)
    case .float64: dispatchDestination(Double.self)
    case .int64: dispatchDestination(Int.self)
    case .bool: dispatchDestination(Bool.self)
    case .uint8: dispatchDestination(UInt8.self)
    case .bfloat16, .float16: requirementFailure("copy: half sources convert in copyHalfElements")
    }
    withExtendedLifetime(source) {}
  }

  /// Sets every element of the underlying storage region to `value` (fresh tensors only).
  func fillStorage(_ value: Double) {
    func fill<E: TensorElement>(_: E.Type) {
      parallelFor(count, FillTask(pointer: pointer(E.self), value: E(elementValue: value)))
    }
    require(isContiguous, "fillStorage: tensor of shape \(shape) is not contiguous")
    switch dtype {
    case .float32: fill(Float.self)
    case .float64: fill(Double.self)
    case .int64: fill(Int.self)
    case .bool: fill(Bool.self)
    case .uint8: fill(UInt8.self)
    case .bfloat16, .float16:
      parallelFor(count, FillTask(pointer: pointer(UInt16.self), value: Tensor.halfBits(value, dtype)))
    }
  }

  /// Writes one element at a linear storage index of a contiguous tensor.
  func setElement(_ value: Double, at index: Int) {
    switch dtype {
    case .float32: pointer(Float.self)[index] = Float(value)
    case .float64: pointer(Double.self)[index] = value
    case .int64: pointer(Int.self)[index] = Int(elementValue: value)
    case .bool: pointer(Bool.self)[index] = value != 0
    case .uint8: pointer(UInt8.self)[index] = UInt8(elementValue: value)
    case .bfloat16, .float16:
      pointer(UInt16.self)[index] = Tensor.halfBits(value, dtype)
    }
  }

  /// Fills every element with `value` in place (`fill_`).
  @discardableResult
  public func fill(_ value: Double) -> Tensor {
    checkInPlace("fill_")
    copyElements(from: Tensor.full([], value, dtype: dtype).expand(shape))
    return self
  }

  /// Sets every element to zero in place (`zero_`).
  @discardableResult
  public func zero() -> Tensor { fill(0) }
}

/// Element copy with conversion over a strided loop (destination, source).
struct CopyTask<S: TensorElement, D: TensorElement>: RangeTask {
  let loop: StridedLoop
  let destination: UnsafeMutablePointer<D>
  let source: UnsafeMutablePointer<S>

  func run(_ range: Range<Int>) {
    loop.run(range) { offs, inc, n in
      let d = destination + offs[0]
      let s = source + offs[1]
      let id = inc[0]
      let isr = inc[1]
      if S.self == D.self {
        let s = UnsafeMutableRawPointer(s).assumingMemoryBound(to: D.self)
        if id == 1 && isr == 1 {
          d.update(from: s, count: n)
        } else {
          for i in 0..<n { d[i * id] = s[i * isr] }
        }
      } else {
        for i in 0..<n { d[i * id] = D(elementValue: s[i * isr].elementValue) }
      }
    }
  }
}

/// Sets a contiguous range to one value.
struct FillTask<E>: RangeTask {
  let pointer: UnsafeMutablePointer<E>
  let value: E

  func run(_ range: Range<Int>) {
    (pointer + range.lowerBound).update(repeating: value, count: range.count)
  }
}
