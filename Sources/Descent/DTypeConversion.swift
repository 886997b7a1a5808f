extension Tensor {
  /// Converts this tensor's elements to `dtype` in place, keeping the tensor's identity
  /// (PyTorch's `t.data = t.data.to(dtype)`, which `Module.to(dtype)` does to every
  /// parameter and buffer). Its `.grad`, if any, is converted too.
  ///
  /// The tensor gets a new storage of the same layout (shape, strides and offset are kept);
  /// other tensors that viewed the old storage, such as earlier `detach()`ed views, keep the
  /// old values and dtype, as in PyTorch. Records no autograd; a tensor that requires grad
  /// may only be converted to a floating dtype.
  ///
  /// - Parameter target: the new dtype; nothing happens when the tensor already has it.
  public func convertInPlace(to target: DType) {
    guard target != dtype else { return }
    require(
      !requiresGrad || target.isFloatingPoint,
      "only Tensors of floating point dtype can require gradients (converting a tensor that requires grad to \(target))"
    )
    require(
      isLeaf,
      "convertInPlace(to:): only leaf tensors can be converted in place, got a result of \(gradFn!.name)")
    let old = Tensor(storage: storage, shape: [storage.count], strides: [1])
    let converted = Tensor(uninitializedShape: [storage.count], dtype: target)
    converted.copyElements(from: old)
    storage = converted.storage
    gradStorage?.convertInPlace(to: target)
  }
}
