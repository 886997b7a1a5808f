import Descent
import Testing

@testable import DescentData

@Suite struct IterableLoaderTests {
  /// Batches from iterable datasets with 0, 2 and 3 workers, against PyTorch's output:
  /// without sharding every worker yields the whole stream (duplicates), workers take turns
  /// batch by batch, and a worker that runs out drops out of the rotation.
  @Test(arguments: DataFixtures.shared.iterable_orders)
  func batchesMatchPyTorch(_ c: DataFixtures.IterableOrder) throws {
    var batches: [[Int]] = []
    func run<D: IterableDataset>(_ dataset: D) throws where D.Element == Int {
      if let size = c.batch_size {
        let loader = try DataLoader(
          dataset, batchSize: size, numWorkers: c.num_workers, dropLast: c.drop_last)
        try loader.forEachBatch { batches.append($0.asArray(Int.self)) }
      } else {
        let loader = try DataLoader(dataset, batchSize: nil, numWorkers: c.num_workers)
        try loader.forEachBatch { batches.append([$0]) }
      }
    }
    switch c.dataset {
    case "stream10": try run(Stream(n: 10, shard: false))
    case "sharded10": try run(Stream(n: 10, shard: true))
    default: try run(Uneven())
    }
    #expect(batches == c.batches)
  }

  @Test func lengthGivesTheBatchCount() throws {
    #expect(try DataLoader(Stream(n: 10, shard: false), batchSize: 3).count == 4)
    #expect(try DataLoader(Stream(n: 10, shard: false), batchSize: 3, dropLast: true).count == 3)
    #expect(try DataLoader(Stream(n: 10, shard: false), batchSize: nil).count == 10)
  }

  @Test func samplingOptionsAreRejected() {
    #expect(
      throws: DataError.invalidArgument(
        "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=true")
    ) {
      try DataLoader(Stream(n: 3, shard: false), shuffle: true)
    }
    #expect(throws: DataError.self) {
      try DataLoader(Stream(n: 3, shard: false), sampler: SequentialSampler(count: 3))
    }
  }

  @Test(arguments: [0, 2])
  func streamErrorsReachTheConsumer(_ workers: Int) throws {
    struct Broken: IterableDataset {
      struct DataIterator: ThrowingIteratorProtocol {
        var i = 0
        mutating func next() throws -> Int? {
          i += 1
          if i == 3 { throw Boom(index: i) }
          return i
        }
      }
      func makeDataIterator() -> DataIterator { DataIterator() }
    }
    let loader = try DataLoader(Broken(), batchSize: 2, numWorkers: workers)
    #expect(throws: Boom(index: 3)) { try loader.forEachBatch { _ in } }
  }
}

extension DataFixtures.IterableOrder: CustomTestStringConvertible {
  var testDescription: String {
    "\(dataset) workers=\(num_workers) batch=\(batch_size.map(String.init) ?? "nil") dropLast=\(drop_last)"
  }
}
