/// The broadcast shape of two shapes under NumPy/PyTorch rules, or a precondition failure
/// naming the op and both shapes.
func broadcastShapes(_ a: [Int], _ b: [Int], op: String) -> [Int] {
  // The common cases return one of the operands' arrays (no allocation): equal shapes, and
  // one shape that broadcasts into the other.
  if a == b { return a }
  if broadcasts(b, into: a) { return a }
  if broadcasts(a, into: b) { return b }
  let rank = max(a.count, b.count)
  var out = [Int](repeating: 1, count: rank)
  for i in 0..<rank {
    let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
    let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
    require(
      da == db || da == 1 || db == 1,
      "\(op): The size of tensor a (\(da)) must match the size of tensor b (\(db)) at non-singleton dimension \(i); shapes \(a) and \(b)"
    )
    out[i] = da == 1 ? db : da
  }
  return out
}

/// Whether `small` broadcasts to exactly `large` (every dimension equal or 1, aligned at
/// the end).
private func broadcasts(_ small: [Int], into large: [Int]) -> Bool {
  guard small.count <= large.count else { return false }
  let lead = large.count - small.count
  for i in 0..<small.count where small[i] != large[lead + i] && small[i] != 1 { return false }
  return true
}

extension Tensor {
  /// Strides that view this tensor as `target` under broadcasting (0 for broadcast dims).
  func broadcastStrides(to target: [Int], op: String) -> [Int] {
    require(
      target.count >= rank,
      "\(op): shape \(shape) cannot be broadcast to \(target)")
    let lead = target.count - rank
    var out = [Int](repeating: 0, count: target.count)
    for i in 0..<rank {
      if shape[i] == target[lead + i] {
        out[lead + i] = shape[i] == 1 ? 0 : strides[i]
      } else {
        require(
          shape[i] == 1,
          "\(op): The expanded size of the tensor (\(target[lead + i])) must match the existing size (\(shape[i])) at non-singleton dimension \(lead + i).  Target sizes: \(target).  Tensor sizes: \(shape)"
        )
      }
    }
    return out
  }

  /// Sums a broadcast gradient back down to `target` (the reverse of broadcasting).
  func sumToShape(_ target: [Int]) -> Tensor {
    if shape == target { return self }
    let lead = rank - target.count
    var dims: [Int] = Array(0..<lead)
    for i in 0..<target.count where target[i] == 1 && shape[lead + i] != 1 {
      dims.append(lead + i)
    }
    var reduced = dims.isEmpty ? self : sum(dims: dims, keepDim: true)
    if lead > 0 { reduced = reduced.reshape(target) }
    return reduced.shape == target ? reduced : reduced.reshape(target)
  }
}
