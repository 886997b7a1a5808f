import CDescentKernels

/// Where PyTorch's elementwise CPU loops compute a contiguous bfloat16/float16 tensor with
/// their scalar op rather than their vector op.
///
/// `cpu_kernel_vec` runs two vectors at a time (32 half elements with AVX2, 64 with
/// AVX-512) and the rest of each chunk element by element; TensorIterator cuts a tensor of
/// more than 32768 elements into one chunk per thread (`torch.get_num_threads()`, taken to
/// be ``Threads/count``). Most ops round alike in both loops; a few do not, for example
/// `add(other, alpha:)`, whose scalar form rounds `alpha·other` to the half type before
/// adding, and `rsqrt`, whose scalar form rounds the square root before dividing.
package struct PyTorchScalarTails: Sendable {
  let count: Int
  let chunk: Int
  let group: Int

  /// The tails of a contiguous half tensor of `count` elements.
  package init(count: Int) {
    // Reading the thread count first hands it to the C side (its first read sets it there).
    _ = Threads.count
    var chunk: Int64 = 0
    var group: Int64 = 0
    descent_pytorch_half_loop(Int64(count), &chunk, &group)
    self.count = count
    self.chunk = Swift.max(1, Int(chunk))
    self.group = Int(group)
  }

  /// Whether PyTorch computes element `i` with its scalar op.
  @inline(__always)
  package func contains(_ i: Int) -> Bool {
    let first = i / chunk * chunk
    let length = Swift.min(count, first + chunk) - first
    return i - first >= length - length % group
  }

  /// Calls `body` with each tail, in order; allocates nothing.
  package func forEach(_ body: (Range<Int>) -> Void) {
    var first = 0
    while first < count {
      let last = Swift.min(count, first + chunk)
      let tail = last - (last - first) % group
      if tail < last { body(tail..<last) }
      first = last
    }
  }
}

extension Tensor {
  /// `form` at PyTorch's scalar-tail elements of this contiguous half result, as
  /// (index, bits) pairs, from `operands` of the same dtype that are contiguous with its
  /// shape or hold one element; `nil` for other layouts (TensorIterator then runs other
  /// loops, which Descent does not model).
  func halfScalarTails(of operands: [Tensor], _ form: ([Float]) -> Float) -> [(Int, UInt16)]? {
    guard dtype.isReducedPrecision, isContiguous,
      operands.allSatisfy({
        $0.dtype == dtype && ($0.count == 1 || ($0.shape == shape && $0.isContiguous))
      })
    else { return nil }
    let tails = PyTorchScalarTails(count: count)
    var values: [(Int, UInt16)] = []
    var arguments = [Float](repeating: 0, count: operands.count)
    tails.forEach { range in
      for i in range {
        for (k, operand) in operands.enumerated() {
          arguments[k] = operand.halfElement(operand.count == 1 ? 0 : i)
        }
        values.append((i, Tensor.scalarLoopHalfBits(form(arguments), dtype)))
      }
    }
    return values
  }

  /// Writes (index, bits) pairs into this contiguous half tensor.
  func storeHalfScalarTails(_ values: [(Int, UInt16)]) {
    let bits = pointer(UInt16.self)
    for (i, value) in values { bits[i] = value }
    withExtendedLifetime(self) {}
  }

  /// Element `i` (in memory order) of a half tensor, widened to float32.
  private func halfElement(_ i: Int) -> Float {
    let bits = pointer(UInt16.self)[i]
    withExtendedLifetime(self) {}
    return dtype == .bfloat16
      ? Float(bitPattern: UInt32(bits) << 16) : Float(Float16(bitPattern: bits))
  }

  /// The bits of float32 `x` rounded to half `dtype` by c10's scalar conversion (round to
  /// nearest even; a bfloat16 NaN is 0x7FC0 there, where the vector conversion gives 0xFFFF).
  static func scalarLoopHalfBits(_ x: Float, _ dtype: DType) -> UInt16 {
    guard dtype == .bfloat16 else { return Float16(x).bitPattern }
    return x.isNaN ? 0x7FC0 : UInt16(truncatingIfNeeded: dtype.rounding(x).bitPattern >> 16)
  }
}
