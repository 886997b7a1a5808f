import Descent

/// Appends `tensor`, if there is one, to the inputs of an `Autograd.function` and returns its
/// index there (`nil` when absent): a layer's or a loss's optional weights.
func appendOptional(_ tensor: Tensor?, to inputs: inout [Tensor]) -> Int? {
  guard let tensor else { return nil }
  inputs.append(tensor)
  return inputs.count - 1
}

/// A tensor's elements as float32, in row-major order: the working copy of the half-precision
/// kernels written element by element.
func float32Elements(_ t: Tensor) -> [Float] { t.to(dtype: .float32).contiguous().asArray(Float.self) }
