/// An n-dimensional array with PyTorch's semantics: a reference type over shared storage.
///
/// A tensor is a ``TensorStorage`` plus `shape`, `strides` and an element `offset`, so views
/// such as ``transpose(_:_:)``, ``reshape(_:)`` of a contiguous tensor, ``expand(_:)`` and
/// slicing share memory with their base. Parameters are updated in place and autograd needs
/// identity, which is why `Tensor` is a class, like `torch.Tensor`.
///
/// ```swift
/// let x = Tensor([1, 2, 3, 4], shape: [2, 2])   // float32 by default
/// let y = (x * 2 + 1).sum()
/// ```
public final class Tensor {
  /// The memory this tensor views. Replaced only by ``convertInPlace(to:)``; autograd also
  /// tests whether a gradient's storage is shared.
  public internal(set) var storage: TensorStorage
  /// Size of each dimension.
  public let shape: [Int]
  /// Element stride of each dimension (may be 0 for expanded dimensions).
  public let strides: [Int]
  /// Index of the first element in `storage`, in elements.
  public let offset: Int

  /// Autograd: the node that produced this tensor, or `nil` for leaves.
  public internal(set) var gradFn: GradNode?
  var requiresGradStorage: Bool
  var retainsGradStorage = false
  /// Autograd: the accumulated gradient (`.grad`). Leaves that require grad get one from
  /// ``backward(gradient:retainGraph:)``; it accumulates until zeroed or set to `nil`.
  ///
  /// An assigned gradient must have this tensor's dtype and shape (it may be any view),
  /// and can't be the tensor itself; otherwise the assignment stops with PyTorch's message.
  public var grad: Tensor? {
    get { gradStorage }
    set {
      if let newValue, let error = gradAssignmentError(newValue) { requirementFailure(error) }
      gradStorage = newValue
    }
  }
  var gradStorage: Tensor?

  init(storage: TensorStorage, shape: [Int], strides: [Int], offset: Int = 0) {
    require(shape.count == strides.count, "Tensor: shape \(shape) and strides \(strides) differ in rank")
    self.storage = storage
    self.shape = shape
    self.strides = strides
    self.offset = offset
    self.requiresGradStorage = false
  }

  /// A new contiguous tensor of uninitialised memory.
  convenience init(uninitializedShape shape: [Int], dtype: DType) {
    require(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
    let storage = TensorStorage(count: shape.reduce(1, *), dtype: dtype)
    self.init(storage: storage, shape: shape, strides: Tensor.contiguousStrides(for: shape))
  }

  /// A new contiguous tensor filled with zeros.
  convenience init(zeroedShape shape: [Int], dtype: DType) {
    require(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
    let storage = TensorStorage(zeroedCount: shape.reduce(1, *), dtype: dtype)
    self.init(storage: storage, shape: shape, strides: Tensor.contiguousStrides(for: shape))
  }

  /// Element type.
  public var dtype: DType { storage.dtype }
  /// Number of dimensions (`dim()` in PyTorch).
  public var rank: Int { shape.count }
  /// Number of elements (`numel()` in PyTorch).
  public var count: Int { shape.reduce(1, *) }

  /// Size of dimension `dim`; negative values count from the end.
  public func size(_ dim: Int) -> Int { shape[normalizeDim(dim, rank: rank, op: "size")] }

  /// Whether the elements are laid out densely in row-major order (size-1 dimensions may
  /// have any stride, and empty tensors count as contiguous, as in PyTorch).
  public var isContiguous: Bool {
    if shape.contains(0) { return true }
    var expected = 1
    for d in stride(from: rank - 1, through: 0, by: -1) where shape[d] != 1 {
      if strides[d] != expected { return false }
      expected *= shape[d]
    }
    return true
  }

  /// Row-major strides of `shape`; one shared array per distinct shape (``ShapeCache``).
  static func contiguousStrides(for shape: [Int]) -> [Int] {
    ShapeCache.shared.contiguousStrides(for: shape)
  }

  /// Typed pointer to the first element. Only valid while the tensor is alive.
  @inline(__always)
  func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
    storage.base.assumingMemoryBound(to: T.self) + offset
  }

  /// The address of the first element (`offset` counts elements of this tensor's dtype), for
  /// code that reads the elements as raw bytes.
  var firstElementAddress: UnsafeMutableRawPointer {
    storage.base + offset * dtype.byteSize
  }

  /// Calls `body` with a mutable pointer to the elements of a contiguous tensor.
  ///
  /// This is the raw-buffer access that optimizers and kernels use. The tensor must be
  /// contiguous and of element type `T`.
  @inline(__always)
  public func withUnsafeMutablePointer<T: TensorScalar, R>(
    _: T.Type, _ body: (UnsafeMutablePointer<T>) throws -> R
  ) rethrows -> R {
    require(T.dtype == dtype, "withUnsafeMutablePointer: \(T.self) does not match \(dtype)")
    require(isContiguous, "withUnsafeMutablePointer: tensor of shape \(shape) is not contiguous")
    return try withExtendedLifetime(self) { try body(pointer(T.self)) }
  }

  /// Calls `body` with a read-only pointer to the elements of a contiguous tensor.
  @inline(__always)
  public func withUnsafePointer<T: TensorScalar, R>(
    _: T.Type, _ body: (UnsafePointer<T>) throws -> R
  ) rethrows -> R {
    require(T.dtype == dtype, "withUnsafePointer: \(T.self) does not match \(dtype)")
    require(isContiguous, "withUnsafePointer: tensor of shape \(shape) is not contiguous")
    return try withExtendedLifetime(self) { try body(UnsafePointer(pointer(T.self))) }
  }
}

@inline(__always)
func normalizeDim(_ dim: Int, rank: Int, op: String) -> Int {
  let r = Swift.max(rank, 1)
  require(
    dim >= -r && dim < r,
    "\(op): Dimension out of range (expected to be in range of [\(-r), \(r - 1)], but got \(dim))")
  return dim < 0 ? dim + r : dim
}
