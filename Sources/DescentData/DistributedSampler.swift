import Descent

/// The share of a dataset that one of several data-parallel processes loads
/// (`torch.utils.data.DistributedSampler`).
///
/// Each epoch orders the indices `0..<count` (in order, or shuffled with a generator seeded
/// `seed + epoch`), makes their number a multiple of `numReplicas` (by repeating indices
/// from the start, or with `dropLast` by cutting the tail), and gives rank `r` every
/// `numReplicas`-th index starting at `r`. All ranks must use the same `seed`. Call
/// ``setEpoch(_:)`` before each epoch's loop so that shuffling differs from epoch to epoch:
///
/// ```swift
/// let sampler = try DistributedSampler(count: dataset.count, numReplicas: 4, rank: 1)
/// let loader = try DataLoader(dataset, batchSize: 32, sampler: sampler)
/// for epoch in 0..<epochs {
///   sampler.setEpoch(epoch)
///   for batch in loader { ... }
/// }
/// ```
///
/// A class, as PyTorch's sampler is an object: ``setEpoch(_:)`` on the sampler you keep
/// changes the one the loader holds. DescentDistributed adds an initialiser that takes the
/// rank and the number of replicas from a process group; this one needs no MPI.
///
/// The order without shuffling, the padding, `dropLast` and the split over ranks are
/// PyTorch's exactly. A shuffled epoch is `Tensor.randperm(count, generator:
/// Generator(seed: seed + epoch))`: PyTorch's construction, but Descent's generator gives
/// another permutation than PyTorch's for the same seed. ``indices(order:)`` applies the
/// rest of the algorithm to any order, such as one taken from PyTorch.
public final class DistributedSampler: Sampler {
  /// The size of the dataset.
  public let dataCount: Int
  /// The number of processes that share the dataset (`num_replicas`).
  public let numReplicas: Int
  /// This process's index among them, `0..<numReplicas`.
  public let rank: Int
  /// Whether each epoch is shuffled (default `true`, as in PyTorch).
  public let shuffle: Bool
  /// The seed of the shuffle, the same on every rank (default 0).
  public let seed: Int
  /// Whether the tail is cut so that every rank gets the same number of indices, instead of
  /// repeating indices from the start (`drop_last`, default `false`).
  public let dropLast: Bool
  /// The epoch that the next iteration uses (``setEpoch(_:)``).
  public private(set) var epoch = 0
  /// The indices each rank gets per epoch (`num_samples`, `len(sampler)`):
  /// `ceil(count / numReplicas)`, or with `dropLast` and a remainder
  /// `ceil((count - numReplicas) / numReplicas)`.
  public let numSamples: Int
  /// `numSamples × numReplicas` (`total_size`).
  public let totalSize: Int

  /// Samples rank `rank`'s share of `0..<count`.
  ///
  /// - Parameters:
  ///   - count: the dataset's size.
  ///   - numReplicas: the number of processes (`num_replicas`).
  ///   - rank: this process's rank, in `0..<numReplicas`.
  ///   - shuffle: shuffle each epoch (default `true`).
  ///   - seed: the shuffle's seed, the same on all ranks (default 0).
  ///   - dropLast: cut the tail instead of padding (default `false`).
  /// - Throws: PyTorch's `Invalid rank 3, rank should be in the interval [0, 2]` for a rank
  ///   outside `0..<numReplicas`.
  public init(
    count: Int, numReplicas: Int, rank: Int, shuffle: Bool = true, seed: Int = 0,
    dropLast: Bool = false
  ) throws {
    guard rank >= 0 && rank < numReplicas else {
      throw DataError.invalidArgument(
        "Invalid rank \(rank), rank should be in the interval [0, \(numReplicas - 1)]")
    }
    guard count >= 0 else {
      throw DataError.invalidArgument("DistributedSampler: count must not be negative, got \(count)")
    }
    self.dataCount = count
    self.numReplicas = numReplicas
    self.rank = rank
    self.shuffle = shuffle
    self.seed = seed
    self.dropLast = dropLast
    if dropLast && count % numReplicas != 0 {
      // ceil((count - numReplicas) / numReplicas), which is 0 when count < numReplicas.
      numSamples = count >= numReplicas ? (count - 1) / numReplicas : 0
    } else {
      numSamples = (count + numReplicas - 1) / numReplicas
    }
    totalSize = numSamples * numReplicas
  }

  /// Samples rank `rank`'s share of `dataset`; see ``init(count:numReplicas:rank:shuffle:seed:dropLast:)``.
  public convenience init<D: Dataset>(
    _ dataset: D, numReplicas: Int, rank: Int, shuffle: Bool = true, seed: Int = 0,
    dropLast: Bool = false
  ) throws {
    try self.init(
      count: dataset.count, numReplicas: numReplicas, rank: rank, shuffle: shuffle, seed: seed,
      dropLast: dropLast)
  }

  /// Sets the epoch that the next iteration shuffles for (`set_epoch`).
  public func setEpoch(_ epoch: Int) {
    self.epoch = epoch
  }

  public var count: Int { numSamples }

  /// The order of `0..<count` for the current epoch: a permutation from a generator seeded
  /// `seed + epoch` when shuffling, else `0..<count`.
  public var epochOrder: [Int] {
    guard shuffle else { return Array(0..<dataCount) }
    let generator = Descent.Generator(seed: UInt64(bitPattern: Int64(seed &+ epoch)))
    return Tensor.randperm(dataCount, generator: generator).asArray(Int.self)
  }

  /// This rank's indices for an epoch whose dataset order is `order` (PyTorch's `__iter__`
  /// after the permutation): `order` padded by repeating it from the start, or cut with
  /// `dropLast`, to ``totalSize``, then every `numReplicas`-th entry from `rank`.
  ///
  /// - Parameter order: the epoch's order of the dataset's indices (``epochOrder``, or any
  ///   other permutation of `0..<count`, such as PyTorch's).
  public func indices(order: [Int]) -> [Int] {
    var indices = order
    if !dropLast {
      let padding = totalSize - indices.count
      if padding > 0 && !indices.isEmpty {
        let base = indices
        while indices.count < totalSize { indices += base.prefix(totalSize - indices.count) }
      }
    } else {
      indices = Array(indices.prefix(totalSize))
    }
    return Array(stride(from: rank, to: totalSize, by: numReplicas).map { indices[$0] })
  }

  public func makeIterator() -> IndexingIterator<[Int]> {
    indices(order: epochOrder).makeIterator()
  }
}
