import Descent
import Foundation
import Testing

@testable import DescentData

@Suite struct DataLoaderTests {
  /// The seed's call, every option spelled out, over named tensors.
  @Test func seedCallYieldsDictionaryBatches() throws {
    let dataset = try TensorDictDataset([
      "x": Tensor.randn([6, 30], generator: Generator(seed: 0)), "y": Tensor.ones([6, 1]),
    ])
    let dataloader = try DataLoader(
      dataset, batchSize: 1, shuffle: false, sampler: nil, batchSampler: nil, numWorkers: 0,
      collate: nil, pinMemory: false, dropLast: false, timeout: 0, workerInit: nil)
    var seen = 0
    for (batchIndex, batch) in dataloader.enumerated() {
      let x = batch["x"]!
      let y = batch["y"]!
      #expect(x.shape == [1, 30])
      #expect(y.shape == [1, 1])
      #expect(x.asArray(Float.self) == dataset.tensors["x"]![batchIndex].asArray(Float.self))
      seen += 1
    }
    #expect(seen == 6)
    #expect(dataloader.count == 6)
  }

  @Test(arguments: DataFixtures.shared.loader_lengths)
  func batchCountsAndSizesMatchPyTorch(_ c: DataFixtures.LoaderLength) throws {
    let loader = try DataLoader(Indices(count: c.n), batchSize: c.batch_size, dropLast: c.drop_last)
    #expect(loader.count == c.len)
    let batches = try epoch(loader)
    #expect(batches.map(\.count) == c.batch_sizes)
    #expect(batches.flatMap { $0 } == Array(0..<c.batch_sizes.reduce(0, +)))
  }

  @Test(arguments: DataFixtures.shared.loader_lengths.filter { $0.n <= 64 })
  func batchCountsWithWorkersMatchPyTorch(_ c: DataFixtures.LoaderLength) throws {
    let loader = try DataLoader(
      Indices(count: c.n), batchSize: c.batch_size, numWorkers: 2, dropLast: c.drop_last)
    #expect(loader.count == c.len)
    #expect(try epoch(loader).map(\.count) == c.batch_sizes)
  }

  @Test func sequentialOrderWithWorkersMatchesPyTorch() throws {
    let loader = try DataLoader(Indices(count: 23), batchSize: 4, numWorkers: 3)
    #expect(try epoch(loader) == DataFixtures.shared.map_worker_order)
  }

  /// Each epoch of a shuffled loader visits every sample exactly once, in a new order, and
  /// the orders are reproduced by the same seed.
  @Test func shuffleIsAPermutationPerEpochReproducibleFromTheSeed() throws {
    func orders(seed: UInt64) throws -> [[Int]] {
      let loader = try DataLoader(
        Indices(count: 50), batchSize: 8, shuffle: true, generator: Generator(seed: seed))
      return try (0..<3).map { _ in try epoch(loader).flatMap { $0 } }
    }
    let a = try orders(seed: 123)
    for order in a { #expect(order.sorted() == Array(0..<50)) }
    #expect(a[0] != a[1])
    #expect(a[0] != Array(0..<50))
    #expect(try orders(seed: 123) == a)
    #expect(try orders(seed: 124) != a)
  }

  /// The index order is drawn on the consumer's thread, so it does not depend on the
  /// number of workers.
  @Test(arguments: [1, 2, 3])
  func workersGiveTheSameOrderAsNoWorkers(_ workers: Int) throws {
    func run(_ numWorkers: Int) throws -> [[Int]] {
      let generator = Generator(seed: 77)
      let loader = try DataLoader(
        Indices(count: 41), batchSize: 5, shuffle: true, numWorkers: numWorkers, generator: generator)
      return try (0..<2).flatMap { _ in try epoch(loader) }
    }
    #expect(try run(workers) == run(0))

    func weighted(_ numWorkers: Int) throws -> [[Int]] {
      let sampler = try WeightedRandomSampler(
        (1...20).map(Double.init), numSamples: 33, generator: Generator(seed: 4))
      let loader = try DataLoader(
        Indices(count: 20), batchSize: 4, sampler: sampler, numWorkers: numWorkers)
      return try epoch(loader)
    }
    #expect(try weighted(workers) == weighted(0))
  }

  @Test func samplerOptionsDecideTheSamplesPerEpoch() throws {
    let replacement = try RandomSampler(
      count: 10, replacement: true, numSamples: 25, generator: Generator(seed: 1))
    let a = try DataLoader(Indices(count: 10), batchSize: 4, sampler: replacement)
    #expect(a.count == 7)
    let drawnA = try epoch(a).flatMap { $0 }
    #expect(drawnA.count == 25)
    #expect(drawnA.allSatisfy { (0..<10).contains($0) })

    let subset = SubsetRandomSampler([1, 3, 5, 7], generator: Generator(seed: 2))
    let b = try DataLoader(Indices(count: 10), batchSize: 3, sampler: subset)
    #expect(try epoch(b).flatMap { $0 }.sorted() == [1, 3, 5, 7])

    let batches = try BatchSampler(SequentialSampler(count: 10), batchSize: 4, dropLast: true)
    let c = try DataLoader(Indices(count: 10), batchSampler: batches)
    #expect(c.count == 2)
    #expect(try epoch(c) == [[0, 1, 2, 3], [4, 5, 6, 7]])

    let d = try DataLoader(
      Indices(count: 10), batchSize: 4, shuffle: true, dropLast: true, generator: Generator(seed: 3))
    let drawnD = try epoch(d).flatMap { $0 }
    #expect(drawnD.count == 8)
    #expect(Set(drawnD).count == 8)
  }

  @Test func unbatchedLoaderYieldsSamples() throws {
    let loader = try DataLoader(Indices(count: 5), batchSize: nil)
    #expect(loader.count == 5)
    #expect(Array(loader) == [0, 1, 2, 3, 4])
    let shuffled = try DataLoader(
      Indices(count: 9), batchSize: nil, shuffle: true, numWorkers: 2, generator: Generator(seed: 8))
    let again = try DataLoader(
      Indices(count: 9), batchSize: nil, shuffle: true, generator: Generator(seed: 8))
    #expect(Array(shuffled).sorted() == Array(0..<9))
    #expect(Array(shuffled) != Array(0..<9))
    #expect(
      Array(
        try DataLoader(
          Indices(count: 9), batchSize: nil, shuffle: true, numWorkers: 2, generator: Generator(seed: 8)))
        == Array(again))
  }

  @Test func customCollateReceivesTheSampleList() throws {
    let loader = try DataLoader(
      Indices(count: 7), batchSize: 3, collate: { (samples: [Int]) in samples.reduce(0, +) })
    #expect(Array(loader) == [0 + 1 + 2, 3 + 4 + 5, 6])
  }

  @Test func pinMemoryIsAcceptedAndChangesNothing() throws {
    let pinned = try DataLoader(Indices(count: 10), batchSize: 3, pinMemory: true)
    let plain = try DataLoader(Indices(count: 10), batchSize: 3)
    #expect(pinned.pinMemory)
    #expect(try epoch(pinned) == epoch(plain))
  }

  @Test func prefetchFactorDefaultsToTwoWithWorkers() throws {
    #expect(try DataLoader(Indices(count: 3), numWorkers: 2).prefetchFactor == 2)
    #expect(try DataLoader(Indices(count: 3)).prefetchFactor == nil)
    #expect(try DataLoader(Indices(count: 3), numWorkers: 2, prefetchFactor: 5).prefetchFactor == 5)
  }

  /// A batch may only be started once the consumer has taken enough earlier batches: at most
  /// `prefetchFactor * numWorkers` ahead (plus the one being handed over).
  @Test(arguments: [(1, 1), (2, 2), (3, 1)])
  func prefetchIsBounded(_ config: (workers: Int, prefetch: Int)) throws {
    let consumed = Locked(0)
    let violations = Locked([String]())
    let ahead = config.workers * config.prefetch
    struct Probe: Dataset {
      let count = 40
      let consumed: Locked<Int>
      let violations: Locked<[String]>
      let ahead: Int
      subscript(index: Int) -> Int {
        let taken = consumed.current
        if index > ahead + taken {
          violations.withValue { $0.append("batch \(index) started after \(taken) taken") }
        }
        return index
      }
    }
    let loader = try DataLoader(
      Probe(consumed: consumed, violations: violations, ahead: ahead), batchSize: 1,
      numWorkers: config.workers, prefetchFactor: config.prefetch)
    var iterator = loader.makeThrowingIterator()
    var count = 0
    while let batch = try iterator.next() {
      #expect(batch.asArray(Int.self) == [count])
      // Give an unbounded loader time to run ahead; correctness does not depend on it.
      if count % 10 == 0 { Thread.sleep(forTimeInterval: 0.02) }
      count += 1
      consumed.withValue { $0 = count }
    }
    #expect(count == 40)
    #expect(violations.current == [])
  }

  @Test func workerInitRunsOncePerWorkerWithItsId() throws {
    let calls = Locked([Int]())
    let infos = Locked([Int: Int]())
    let loader = try DataLoader(
      Indices(count: 30), batchSize: 2, numWorkers: 3,
      workerInit: { id in
        calls.withValue { $0.append(id) }
        let info = getWorkerInfo()!
        infos.withValue { $0[info.id] = info.numWorkers }
      })
    _ = try epoch(loader)
    #expect(calls.current.sorted() == [0, 1, 2])
    #expect(infos.current == [0: 3, 1: 3, 2: 3])
    _ = try epoch(loader)
    // A new epoch starts new workers, as PyTorch does without persistent_workers.
    #expect(calls.current.sorted() == [0, 0, 1, 1, 2, 2])
    #expect(getWorkerInfo() == nil)
  }

  @Test func workerSeedsFollowTheGenerator() throws {
    func seeds(_ seed: UInt64) throws -> [Int: UInt64] {
      let seen = Locked([Int: UInt64]())
      let loader = try DataLoader(
        Indices(count: 4), numWorkers: 2,
        workerInit: { id in seen.withValue { $0[id] = getWorkerInfo()!.seed } },
        generator: Generator(seed: seed))
      _ = try epoch(loader)
      return seen.current
    }
    let a = try seeds(10)
    #expect(a[1]! == a[0]! &+ 1)
    #expect(try seeds(10) == a)
    #expect(try seeds(11) != a)
  }

  @Test func earlyBreakStopsTheWorkersAndTheLoaderIsReusable() throws {
    let loader = try DataLoader(Indices(count: 100), batchSize: 2, numWorkers: 2)
    for batch in loader {
      #expect(batch.asArray(Int.self) == [0, 1])
      break
    }
    #expect(try epoch(loader).count == 50)
  }
}

extension DataFixtures.LoaderLength: CustomTestStringConvertible {
  var testDescription: String { "n=\(n) batch=\(batch_size) dropLast=\(drop_last)" }
}
