import Descent
import DescentData
import DescentTestSupport
import Testing

/// `Fixtures/distributed_sampler.json`, written by `scripts/gen_distributed_fixtures.py`
/// from torch.utils.data.DistributedSampler (version recorded in the file).
struct DistributedSamplerFixtures: Decodable, Sendable {
  struct Case: Decodable, Sendable, CustomTestStringConvertible {
    let n: Int
    let num_replicas: Int
    let shuffle: Bool
    let drop_last: Bool
    let seed: Int
    let epoch: Int
    let len: Int
    let total_size: Int
    let ranks: [[Int]]
    let permutation: [Int]?

    var testDescription: String {
      "n=\(n) replicas=\(num_replicas) shuffle=\(shuffle) drop_last=\(drop_last) seed=\(seed) epoch=\(epoch)"
    }

    func sampler(rank: Int) throws -> DistributedSampler {
      let sampler = try DistributedSampler(
        count: n, numReplicas: num_replicas, rank: rank, shuffle: shuffle, seed: seed,
        dropLast: drop_last)
      sampler.setEpoch(epoch)
      return sampler
    }
  }
  struct ErrorCase: Decodable, Sendable {
    let num_replicas: Int
    let rank: Int
    let message: String?
  }

  let versions: [String: String]
  let cases: [Case]
  let errors: [ErrorCase]

  static let shared = FixtureLoader(bundle: .module, script: "scripts/gen_distributed_fixtures.py")
    .load("distributed_sampler", as: DistributedSamplerFixtures.self)
}

@Suite struct DistributedSamplerTests {
  static let ordered = DistributedSamplerFixtures.shared.cases.filter { !$0.shuffle }
  static let shuffled = DistributedSamplerFixtures.shared.cases.filter(\.shuffle)

  /// Without shuffling the sampler is deterministic: each rank's sequence must be
  /// PyTorch's, element for element, with `len` and `total_size`.
  @Test(arguments: ordered)
  func orderedIndicesEqualPyTorch(_ c: DistributedSamplerFixtures.Case) throws {
    for rank in 0..<c.num_replicas {
      let sampler = try c.sampler(rank: rank)
      #expect(Array(sampler) == c.ranks[rank], "rank \(rank)")
      #expect(sampler.count == c.len)
      #expect(sampler.totalSize == c.total_size)
    }
  }

  /// Shuffled epochs: given PyTorch's permutation for `seed + epoch`, the padding or
  /// `dropLast` cut and the split over ranks give PyTorch's sequences exactly. (Descent's
  /// generator makes another permutation than PyTorch's for the same seed.)
  @Test(arguments: shuffled)
  func shuffledSplitEqualsPyTorchGivenItsPermutation(_ c: DistributedSamplerFixtures.Case) throws {
    let permutation = try #require(c.permutation)
    for rank in 0..<c.num_replicas {
      let sampler = try c.sampler(rank: rank)
      #expect(sampler.indices(order: permutation) == c.ranks[rank], "rank \(rank)")
      #expect(sampler.count == c.len)
    }
  }

  /// A shuffled epoch is Descent's `randperm` from a generator seeded `seed + epoch`, split
  /// as above; all ranks agree on it, so their shares cover the dataset (without `dropLast`)
  /// and differ from epoch to epoch.
  @Test(arguments: shuffled)
  func shuffledEpochIsRandpermSeededSeedPlusEpoch(_ c: DistributedSamplerFixtures.Case) throws {
    let expectedOrder = Tensor.randperm(
      c.n, generator: Generator(seed: UInt64(c.seed + c.epoch))
    ).asArray(Int.self)
    var union = Set<Int>()
    for rank in 0..<c.num_replicas {
      let sampler = try c.sampler(rank: rank)
      #expect(sampler.epochOrder == expectedOrder)
      let indices = Array(sampler)
      #expect(indices == sampler.indices(order: expectedOrder))
      #expect(indices.count == c.len)
      union.formUnion(indices)
    }
    if !c.drop_last { #expect(union == Set(0..<c.n)) }
  }

  @Test func setEpochChangesTheShuffleAndIsSeenThroughTheLoader() throws {
    let dataset = try TensorDataset(Tensor((0..<40).map(Double.init), dtype: .float64))
    let sampler = try DistributedSampler(count: 40, numReplicas: 2, rank: 1, seed: 7)
    let loader = try DataLoader(dataset, batchSize: 4, sampler: sampler)
    func epochIndices() -> [Int] {
      loader.flatMap { batch in batch[0].asArray(Double.self).map { Int($0) } }
    }
    sampler.setEpoch(0)
    let first = epochIndices()
    #expect(first == sampler.indices(order: sampler.epochOrder))
    #expect(epochIndices() == first)
    sampler.setEpoch(1)
    let second = epochIndices()
    #expect(second != first)
    #expect(second.count == 20)
  }

  @Test func invalidRanksThrowPyTorchsMessage() throws {
    for e in DistributedSamplerFixtures.shared.errors {
      let message = try #require(e.message)
      #expect(throws: DataError.invalidArgument(message)) {
        try DistributedSampler(count: 5, numReplicas: e.num_replicas, rank: e.rank)
      }
    }
  }
}
