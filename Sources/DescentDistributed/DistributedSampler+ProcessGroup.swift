import DescentData

extension DistributedSampler {
  /// Samples this process's share of `0..<count`, with the rank and number of replicas of
  /// `group` (PyTorch's defaults, taken from the default process group).
  ///
  /// - Parameters:
  ///   - count: the dataset's size.
  ///   - group: the process group (usually ``ProcessGroup/world()``).
  ///   - shuffle: shuffle each epoch (default `true`).
  ///   - seed: the shuffle's seed, the same on all ranks (default 0).
  ///   - dropLast: cut the tail instead of padding (default `false`).
  public convenience init(
    count: Int, group: ProcessGroup, shuffle: Bool = true, seed: Int = 0, dropLast: Bool = false
  ) throws {
    try self.init(
      count: count, numReplicas: group.worldSize, rank: group.rank, shuffle: shuffle, seed: seed,
      dropLast: dropLast)
  }
}
