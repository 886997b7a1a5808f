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

/// An operand of the half-precision C kernels (CDescentKernels' HalfLayerKernels.h): the
/// tensor as contiguous float32 (itself when it already is), each value exactly its half
/// one. `pointer` stays valid while this value lives; callers keep it alive across the call
/// with `withExtendedLifetime`.
struct Float32Operand {
  let tensor: Tensor

  init(_ tensor: Tensor) { self.tensor = tensor.to(dtype: .float32).contiguous() }

  var pointer: UnsafePointer<Float> { tensor.withUnsafePointer(Float.self) { $0 } }
}

extension Tensor {
  /// A new contiguous float32 tensor of zeros, as a C kernel's output, with its pointer
  /// (valid while the tensor lives).
  static func float32Output(_ shape: [Int]) -> (Tensor, UnsafeMutablePointer<Float>) {
    let t = Tensor.zeros(shape)
    return (t, t.withUnsafeMutablePointer(Float.self) { $0 })
  }
}

/// Runs `body` over `0..<count` in chunks on Descent's threads, when each item (a row, a
/// channel, a column) is about `itemWidth` elements of work.
func forEachChunk(_ count: Int, itemWidth: Int, _ body: (Int64, Int64) -> Void) {
  parallelChunks(count, grain: Swift.max(1, Threads.grainSize / Swift.max(itemWidth, 1))) {
    body(Int64($0.lowerBound), Int64($0.upperBound))
  }
}
