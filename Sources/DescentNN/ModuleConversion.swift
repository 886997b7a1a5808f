import Descent

extension Module {
  /// Converts every floating parameter and buffer of this module and its descendants to
  /// `dtype`, in place (`module.to(dtype)`), and returns `self`.
  ///
  /// The tensors keep their identity, so references held elsewhere (an optimizer's
  /// parameter list, a layer's `weight` property) see the new dtype; gradients are
  /// converted too. Integer and boolean buffers (such as `BatchNorm1d`'s
  /// `num_batches_tracked`) are left as they are, as in PyTorch. Create the optimizer after
  /// converting: its state is not converted (PyTorch's advice too).
  ///
  /// - Parameter dtype: `.float32`, `.float64`, `.bfloat16` or `.float16`; other dtypes stop
  ///   with PyTorch's message
  ///   "nn.Module.to only accepts floating point or complex dtypes, but got desired
  ///   dtype=torch.int64".
  @discardableResult
  public func to(dtype: DType) -> Self {
    require(
      dtype.isFloatingPoint,
      "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=\(dtype)")
    withNoGrad {
      for tensor in parameters() + buffers() where tensor.dtype.isFloatingPoint {
        tensor.convertInPlace(to: dtype)
      }
    }
    return self
  }

  /// Converts the floating parameters and buffers to float64 (`module.double()`).
  @discardableResult
  public func double() -> Self { to(dtype: .float64) }

  /// Converts the floating parameters and buffers to float32 (`module.float()`).
  @discardableResult
  public func float() -> Self { to(dtype: .float32) }
}
