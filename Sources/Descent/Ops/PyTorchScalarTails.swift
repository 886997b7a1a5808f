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
