extension DType {
  /// The name PyTorch's messages give a tensor's dtype (`caffe2::TypeMeta`): "float",
  /// "double", "long int", "bool".
  var typeMetaName: String {
    switch self {
    case .float32: "float"
    case .float64: "double"
    case .int64: "long int"
    case .bool: "bool"
    case .uint8: "unsigned char"
    case .bfloat16: "c10::BFloat16"
    case .float16: "c10::Half"
    }
  }

  /// The name PyTorch's messages give a `ScalarType`: "Float", "Double", "Long", "Bool".
  var scalarTypeName: String {
    switch self {
    case .float32: "Float"
    case .float64: "Double"
    case .int64: "Long"
    case .bool: "Bool"
    case .uint8: "Byte"
    case .bfloat16: "BFloat16"
    case .float16: "Half"
    }
  }
}

extension Tensor {
  /// PyTorch's error for `self.grad = grad` (`THPVariable_set_grad`), or `nil` when the
  /// assignment is allowed. The checks run in PyTorch's order: identity, dtype, size.
  ///
  /// PyTorch compares with the tensor's `grad_dtype`, which defaults to its dtype; Descent
  /// has no `grad_dtype`, so the gradient's dtype must always be the tensor's.
  func gradAssignmentError(_ grad: Tensor) -> String? {
    if grad === self { return "can't assign Variable as its own grad" }
    if grad.dtype != dtype {
      return
        "attempting to assign a gradient with dtype '\(grad.dtype.typeMetaName)' to a tensor with grad_dtype '\(dtype.scalarTypeName)'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break downstream systems that assume they match."
    }
    if grad.shape != shape {
      return
        "attempting to assign a gradient of size '\(grad.shape)' to a tensor of size '\(shape)'. Please ensure that the gradient and the tensor are the same size"
    }
    return nil
  }
}
