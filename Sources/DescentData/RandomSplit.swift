import Descent

/// Randomly splits `dataset` into non-overlapping subsets of the given sizes
/// (`torch.utils.data.random_split(dataset, lengths)` with integer lengths).
///
/// The sizes must add up to `dataset.count`. One random permutation of all indices is drawn
/// from `generator` (the default generator when `nil`) and cut into consecutive pieces.
/// As in PyTorch, integer lengths that add up to exactly 1 (such as `[1, 0]`) are read as
/// fractions. A negative length throws (PyTorch would build a strange subset).
///
/// The permutation comes from Descent's `Generator`, whose stream differs from PyTorch's
/// Mersenne Twister, so the same seed picks different samples than PyTorch; the sizes are
/// PyTorch's.
public func randomSplit<D: Dataset>(
  _ dataset: D, lengths: [Int], generator: Generator? = nil
) throws -> [Subset<D>] {
  if lengths.reduce(0, +) == 1 {
    return try randomSplit(dataset, lengths: lengths.map(Double.init), generator: generator)
  }
  if let i = lengths.firstIndex(where: { $0 < 0 }) {
    throw DataError.invalidArgument("Length of split at index \(i) is negative: \(lengths[i])")
  }
  return try split(dataset, counts: lengths, generator: generator)
}

/// Randomly splits `dataset` by fractions (`random_split(dataset, [0.8, 0.2])`).
///
/// When the fractions add up to 1 (within `math.isclose`'s relative tolerance of 1e-9, and
/// not above 1), split `i` gets `floor(count * fractions[i])` samples and the remainder is
/// handed out one sample at a time, round-robin from the first split — PyTorch's rule.
/// Fractions outside `[0, 1]` throw "Fraction at index i is not between 0 and 1". Values
/// that do not add up to 1 are read as sample counts, which must then be whole numbers
/// adding up to `dataset.count`.
public func randomSplit<D: Dataset>(
  _ dataset: D, lengths: [Double], generator: Generator? = nil
) throws -> [Subset<D>] {
  // Python 3.11's sum() of floats adds left to right; so does reduce.
  let total = lengths.reduce(0.0, +)
  let isClose = abs(total - 1) <= 1e-9 * max(abs(total), 1)
  if isClose && total <= 1 {
    var counts: [Int] = []
    for (i, fraction) in lengths.enumerated() {
      guard fraction >= 0 && fraction <= 1 else {
        throw DataError.invalidArgument("Fraction at index \(i) is not between 0 and 1")
      }
      counts.append(Int((Double(dataset.count) * fraction).rounded(.down)))
    }
    let remainder = dataset.count - counts.reduce(0, +)
    if !counts.isEmpty {
      for i in 0..<max(remainder, 0) { counts[i % counts.count] += 1 }
    }
    return try split(dataset, counts: counts, generator: generator)
  }
  guard total == Double(dataset.count) else {
    throw DataError.invalidArgument(
      "Sum of input lengths does not equal the length of the input dataset!")
  }
  guard lengths.allSatisfy({ $0 >= 0 && $0.rounded(.down) == $0 }) else {
    throw DataError.invalidArgument(
      "random_split: lengths must be fractions that add up to 1 or whole sample counts, got \(lengths)")
  }
  return try split(dataset, counts: lengths.map { Int($0) }, generator: generator)
}

private func split<D: Dataset>(
  _ dataset: D, counts: [Int], generator: Generator?
) throws -> [Subset<D>] {
  let total = counts.reduce(0, +)
  guard total == dataset.count else {
    throw DataError.invalidArgument(
      "Sum of input lengths does not equal the length of the input dataset!")
  }
  let permutation = Tensor.randperm(total, generator: generator).asArray(Int.self)
  var offset = 0
  return counts.map { length in
    defer { offset += length }
    return Subset(dataset, indices: Array(permutation[offset..<offset + length]))
  }
}
