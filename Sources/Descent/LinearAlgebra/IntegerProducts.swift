extension Tensor {
  /// PyTorch's error for an integer or boolean operand of `matmul`, by the kernel PyTorch
  /// would reach for these ranks (`dot`, `addmv`, `addmm`, `bmm`).
  ///
  /// A mix of an integer and a floating operand stops with PyTorch's dtype-mismatch message:
  /// Descent, like PyTorch, does not promote it. Two integer operands, which PyTorch
  /// multiplies, stop too, with PyTorch's message for a dtype its kernel lacks: Descent
  /// computes in float32 and float64 only. Convert with ``to(dtype:)``.
  func integerProductMessage(_ other: Tensor) -> String {
    let a = dtype
    let b = other.dtype
    let kernel: String
    let mismatch: String
    switch (rank, other.rank) {
    case (1, 1):
      kernel = "dot"
      mismatch =
        "dot : expected both vectors to have same dtype, but found \(a.scalarTypeName) and \(b.scalarTypeName)"
    case (_, 1):
      kernel = "addmv_impl_cpu"
      mismatch =
        "addmv input tensors must have the same dtype, but got \(b.scalarTypeName), \(a.scalarTypeName), and \(b.scalarTypeName)"
    case (_, 2):
      kernel = "addmm_impl_cpu_"
      mismatch = "expected m1 and m2 to have the same dtype, but got: \(a.typeMetaName) != \(b.typeMetaName)"
    default:
      kernel = "bmm"
      mismatch = "expected scalar type \(a.scalarTypeName) but found \(b.scalarTypeName)"
    }
    if a != b { return mismatch }
    return "\"\(kernel)\" not implemented for '\(a.scalarTypeName)'"
  }
}
