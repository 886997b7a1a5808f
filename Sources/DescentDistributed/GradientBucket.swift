import Descent

/// Parameters whose gradients are all-reduced together, flattened into one contiguous
/// buffer of one dtype (a bucket of PyTorch's reducer).
final class GradientBucket {
  /// The parameters, in the order their gradients become ready (reverse registration
  /// order), with their offsets in ``buffer``.
  let params: [Tensor]
  let offsets: [Int]
  /// The flat gradients; allocated once.
  let buffer: Tensor
  /// How many of ``params`` have their gradient for the current backward pass.
  var readyCount = 0

  init(params: [Tensor]) {
    self.params = params
    var offsets: [Int] = []
    var total = 0
    for param in params {
      offsets.append(total)
      total += param.count
    }
    self.offsets = offsets
    self.buffer = Tensor.zeros([total], dtype: params[0].dtype)
  }

  var isReady: Bool { readyCount == params.count }
  var byteCount: Int { buffer.count * buffer.dtype.byteSize }

  /// Groups `params` into buckets as PyTorch's `_compute_bucket_assignment_by_size` does:
  /// in reverse order (the order in which backward produces their gradients), one open
  /// bucket per dtype, closed once it holds `firstCapBytes` (the first bucket of each dtype)
  /// or `capBytes` bytes.
  static func assign(_ params: [Tensor], capBytes: Int, firstCapBytes: Int) -> [GradientBucket] {
    var open: [DType: (params: [Tensor], bytes: Int)] = [:]
    var closedPerDType: [DType: Int] = [:]
    var buckets: [GradientBucket] = []
    for param in params.reversed() {
      var current = open[param.dtype] ?? ([], 0)
      current.params.append(param)
      current.bytes += param.count * param.dtype.byteSize
      let cap = closedPerDType[param.dtype, default: 0] == 0 ? firstCapBytes : capBytes
      if current.bytes >= cap {
        buckets.append(GradientBucket(params: current.params))
        closedPerDType[param.dtype, default: 0] += 1
        open[param.dtype] = nil
      } else {
        open[param.dtype] = current
      }
    }
    for dtype in DType.allCases {
      if let rest = open[dtype], !rest.params.isEmpty {
        buckets.append(GradientBucket(params: rest.params))
      }
    }
    return buckets
  }

  /// Averages the bucket's gradients over `group`: each gradient is scaled by
  /// `1 / worldSize` while it is copied into the flat buffer (PyTorch's reducer does the
  /// same), the buffer is summed over the ranks with one `allReduce`, and the result is
  /// copied back into the gradients.
  func reduce(over group: ProcessGroup) throws {
    let scale = 1.0 / Double(group.worldSize)
    let base = group.address(of: buffer)
    for (param, offset) in zip(params, offsets) {
      guard let given = param.grad else { continue }
      let grad = given.isContiguous ? given : given.contiguous()
      withExtendedLifetime(grad) {
        copyScaled(from: group.address(of: grad), to: base, offset: offset, count: grad.count, scale)
      }
    }
    try group.allReduce(buffer, op: .sum)
    for (param, offset) in zip(params, offsets) {
      guard let grad = param.grad else { continue }
      let slice = buffer.narrow(dim: 0, start: offset, length: param.count).view(param.shape)
      if grad.isContiguous {
        (group.address(of: grad)).copyMemory(
          from: group.address(of: slice), byteCount: param.count * param.dtype.byteSize)
      } else {
        withNoGrad { _ = grad.copyInPlace(from: slice) }
      }
    }
  }

  private func copyScaled(
    from source: UnsafeMutableRawPointer, to base: UnsafeMutableRawPointer, offset: Int,
    count: Int, _ scale: Double
  ) {
    if buffer.dtype == .float32 {
      let s = source.assumingMemoryBound(to: Float.self)
      let d = base.assumingMemoryBound(to: Float.self) + offset
      let f = Float(scale)
      for i in 0..<count { d[i] = s[i] * f }
    } else {
      let s = source.assumingMemoryBound(to: Double.self)
      let d = base.assumingMemoryBound(to: Double.self) + offset
      for i in 0..<count { d[i] = s[i] * scale }
    }
  }
}
