import Descent

/// Random indices into a dataset (`torch.utils.data.RandomSampler`).
///
/// - `replacement: false` (default): each epoch is a random permutation of `0..<n`. When
///   `numSamples` exceeds `n`, whole permutations follow each other and the last one is cut
///   short, exactly as in PyTorch.
/// - `replacement: true`: `numSamples` independent uniform draws from `0..<n` (drawn 32 at a
///   time, as PyTorch does).
/// - `numSamples` defaults to `n`; it must be positive.
/// - `generator`: where the randomness comes from. When `nil`, every epoch first draws a seed
///   from the default generator (`manualSeed(_:)` makes that reproducible) and uses a fresh
///   generator seeded with it, as PyTorch does.
///
/// Streams differ from PyTorch's (see `Generator`); the distribution and the structure of
/// the draws are PyTorch's.
public struct RandomSampler: Sampler {
  /// Size of the dataset sampled from.
  public let dataCount: Int
  /// Whether indices are drawn with replacement.
  public let replacement: Bool
  /// The number of indices per epoch.
  public let numSamples: Int
  /// The generator, or `nil` for a fresh one per epoch seeded from the default generator.
  public let generator: Descent.Generator?

  /// Samples from `0..<count`. Throws PyTorch's error unless the number of samples is positive.
  public init(
    count: Int, replacement: Bool = false, numSamples: Int? = nil, generator: Descent.Generator? = nil
  ) throws {
    let n = numSamples ?? count
    guard n > 0 else {
      throw DataError.invalidArgument(
        "num_samples should be a positive integer value, but got num_samples=\(n)")
    }
    self.dataCount = count
    self.replacement = replacement
    self.numSamples = n
    self.generator = generator
  }

  /// Samples from the indices of `dataset`.
  public init<D: Dataset>(
    _ dataset: D, replacement: Bool = false, numSamples: Int? = nil, generator: Descent.Generator? = nil
  ) throws {
    try self.init(
      count: dataset.count, replacement: replacement, numSamples: numSamples, generator: generator)
  }

  public var count: Int { numSamples }

  public struct Iterator: IteratorProtocol {
    let n: Int
    let replacement: Bool
    var remaining: Int
    var generator: Descent.Generator?
    var buffer: [Int] = []
    var position = 0

    public mutating func next() -> Int? {
      guard remaining > 0 else { return nil }
      if position == buffer.count {
        // The per-epoch generator is made at the first draw, as PyTorch's generator-function
        // __iter__ runs its body at the first next().
        if generator == nil {
          let seed = UInt64(Descent.Generator.default.nextInt(below: Int.max))
          generator = Descent.Generator(seed: seed)
        }
        if replacement {
          let chunk = remaining >= 32 ? 32 : remaining
          buffer = Tensor.randint(0, n, shape: [chunk], generator: generator).asArray(Int.self)
        } else {
          let permutation = Tensor.randperm(n, generator: generator).asArray(Int.self)
          buffer = remaining >= n ? permutation : Array(permutation.prefix(remaining))
        }
        position = 0
      }
      defer {
        position += 1
        remaining -= 1
      }
      return buffer[position]
    }
  }

  public func makeIterator() -> Iterator {
    Iterator(
      n: dataCount, replacement: replacement, remaining: numSamples, generator: generator)
  }
}

/// The given indices in a random order, without replacement
/// (`torch.utils.data.SubsetRandomSampler`).
public struct SubsetRandomSampler: Sampler {
  /// The indices to permute.
  public let indices: [Int]
  /// The generator, or `nil` for the default generator.
  public let generator: Descent.Generator?

  public init(_ indices: [Int], generator: Descent.Generator? = nil) {
    self.indices = indices
    self.generator = generator
  }

  public var count: Int { indices.count }

  public func makeIterator() -> AnyIterator<Int> {
    let order = Tensor.randperm(indices.count, generator: generator).asArray(Int.self)
    let indices = self.indices
    return AnyIterator(order.lazy.map { indices[$0] }.makeIterator())
  }
}
