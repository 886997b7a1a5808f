import Descent

extension Tensor {
  /// Pointer to the first element, for kernels that hold the tensor alive themselves
  /// (with `withExtendedLifetime`) while they use it.
  @inline(__always)
  func rawPointer<T: TensorScalar>(_: T.Type) -> UnsafeMutablePointer<T> {
    require(T.dtype == dtype, "optimizer kernel: \(T.self) does not match \(dtype)")
    require(isContiguous, "optimizer kernel: tensor of shape \(shape) is not contiguous")
    return storage.base.assumingMemoryBound(to: T.self) + offset
  }
}

extension Tensor {
  /// Address of the first element, for the C kernels; the caller keeps the tensor alive
  /// until the kernel has run. Only for tensors known to be contiguous: parameters (checked
  /// when their group is added, and a tensor's layout never changes), gradients as
  /// ``RuleOptimizer`` passes them, and state (created by `zerosLike` or `clone`).
  /// Not checked here: a step calls it several times per tensor, and the checks above
  /// already hold.
  @inline(__always)
  func kernelAddress() -> UnsafeMutableRawPointer {
    storage.base + offset * dtype.byteSize
  }
}
