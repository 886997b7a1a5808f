import Descent

extension Tensor {
  /// Pointer to the first element, for kernels that hold the tensor alive themselves
  /// (with `withExtendedLifetime`) while they use it.
  @inline(__always)
  func rawPointer<T: TensorScalar>(_: T.Type) -> UnsafeMutablePointer<T> {
    precondition(T.dtype == dtype, "optimizer kernel: \(T.self) does not match \(dtype)")
    precondition(isContiguous, "optimizer kernel: tensor of shape \(shape) is not contiguous")
    return storage.base.assumingMemoryBound(to: T.self) + offset
  }
}

/// PyTorch's `lerp` for one element: `start + weight * (end - start)` when
/// `|weight| < 0.5`, else `end - (end - start) * (1 - weight)`, which keeps the result
/// exact at the end points.
@inline(__always)
func lerp<T: TensorScalar>(_ start: T, _ end: T, weight: T, weightIsSmall: Bool) -> T {
  weightIsSmall ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}

/// `torch.maximum` for one element: NaN in either operand gives NaN.
@inline(__always)
func nanPropagatingMax<T: TensorScalar>(_ a: T, _ b: T) -> T {
  (a.isNaN || a > b) ? a : b
}
