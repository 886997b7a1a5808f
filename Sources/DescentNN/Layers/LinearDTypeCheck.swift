import Descent

/// PyTorch's message for an integer input of a `Linear` with bias (`addmm` checks both
/// dtypes first); without bias the input reaches `matmul`, which stops with its own.
func linearDTypeMessage(_ input: Tensor, _ weight: Tensor) -> String {
  func name(_ d: DType) -> String {
    switch d {
    case .float32: "Float"
    case .float64: "Double"
    case .int64: "Long"
    case .bool: "Bool"
    case .uint8: "Byte"
    case .bfloat16: "BFloat16"
    case .float16: "Half"
    }
  }
  return "mat1 and mat2 must have the same dtype, but got \(name(input.dtype)) and \(name(weight.dtype))"
}
