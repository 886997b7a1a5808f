import Descent
import Foundation
import Testing

@testable import DescentData

@Suite struct DataLoaderErrorTests {
  static let optionCases: [(key: String, make: @Sendable () throws -> Void)] = [
    (
      "sampler_and_shuffle",
      { _ = try DataLoader(Indices(count: 10), shuffle: true, sampler: SequentialSampler(count: 10)) }
    ),
    (
      "batch_sampler_and_batch_size",
      {
        _ = try DataLoader(
          Indices(count: 10), batchSize: 2,
          batchSampler: try BatchSampler(SequentialSampler(count: 10), batchSize: 2, dropLast: false))
      }
    ),
    (
      "batch_sampler_and_shuffle",
      {
        _ = try DataLoader(
          Indices(count: 10), shuffle: true,
          batchSampler: try BatchSampler(SequentialSampler(count: 10), batchSize: 2, dropLast: false))
      }
    ),
    (
      "batch_sampler_and_sampler",
      {
        _ = try DataLoader(
          Indices(count: 10), sampler: SequentialSampler(count: 10),
          batchSampler: try BatchSampler(SequentialSampler(count: 10), batchSize: 2, dropLast: false))
      }
    ),
    (
      "batch_sampler_and_drop_last",
      {
        _ = try DataLoader(
          Indices(count: 10),
          batchSampler: try BatchSampler(SequentialSampler(count: 10), batchSize: 2, dropLast: false),
          dropLast: true)
      }
    ),
    (
      "batch_size_none_and_drop_last",
      { _ = try DataLoader(Indices(count: 10), batchSize: nil, dropLast: true) }
    ),
    ("negative_workers", { _ = try DataLoader(Indices(count: 10), numWorkers: -1) }),
    ("negative_timeout", { _ = try DataLoader(Indices(count: 10), timeout: -1) }),
    ("prefetch_without_workers", { _ = try DataLoader(Indices(count: 10), prefetchFactor: 2) }),
    ("negative_prefetch", { _ = try DataLoader(Indices(count: 10), numWorkers: 1, prefetchFactor: -1) }),
    (
      "zero_prefetch_at_iteration",
      { _ = try DataLoader(Indices(count: 10), numWorkers: 1, prefetchFactor: 0) }
    ),
    ("zero_batch_size", { _ = try DataLoader(Indices(count: 10), batchSize: 0) }),
  ]

  @Test(arguments: optionCases.indices)
  func conflictingOptionsThrowPyTorchsMessages(_ i: Int) {
    let c = Self.optionCases[i]
    #expect(throws: DataError.invalidArgument(DataFixtures.message(c.key)), "\(c.key)") { try c.make() }
  }

  /// PyTorch raises this one when iteration starts; Descent at once, with its message first.
  @Test func timeoutNeedsWorkers() throws {
    let error = #expect(throws: DataError.self) { try DataLoader(Indices(count: 10), timeout: 1) }
    #expect(error?.message.hasPrefix(DataFixtures.message("timeout_without_workers_at_iteration")) == true)
  }

  @Test(arguments: [0, 2])
  func loadingErrorsReachTheConsumerUnchanged(_ workers: Int) throws {
    let loader = try DataLoader(Failing(count: 10, failing: [5]), batchSize: 2, numWorkers: workers)
    #expect(throws: Boom(index: 5)) { try loader.forEachBatch { _ in } }

    // As in PyTorch the epoch can go on after the failed batch.
    var iterator = loader.makeThrowingIterator()
    var results: [String] = []
    while true {
      do {
        guard let batch = try iterator.next() else { break }
        results.append("\(batch.asArray(Int.self))")
      } catch let error as Boom {
        results.append("boom \(error.index)")
      }
    }
    #expect(results == ["[0, 1]", "[2, 3]", "boom 5", "[6, 7]", "[8, 9]"])
  }

  @Test(arguments: [0, 2])
  func collateErrorsReachTheConsumer(_ workers: Int) throws {
    struct Ragged: Dataset {
      var count: Int { 6 }
      subscript(index: Int) -> Tensor { Tensor.zeros([index < 4 ? 2 : 3]) }
    }
    let loader = try DataLoader(Ragged(), batchSize: 3, numWorkers: workers)
    var iterator = loader.makeThrowingIterator()
    #expect(try iterator.next()?.shape == [3, 2])
    #expect(
      throws: DataError.runtime(
        "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1")
    ) {
      try iterator.next()
    }
    #expect(try iterator.next() == nil)
  }

  @Test func workerInitErrorsReachTheConsumer() throws {
    let loader = try DataLoader(
      Indices(count: 8), batchSize: 2, numWorkers: 2,
      workerInit: { id in if id == 1 { throw Boom(index: -1) } })
    var iterator = loader.makeThrowingIterator()
    #expect(try iterator.next()?.asArray(Int.self) == [0, 1])
    #expect(throws: Boom(index: -1)) { try iterator.next() }
    #expect(try iterator.next()?.asArray(Int.self) == [4, 5])
    #expect(throws: Boom(index: -1)) { try iterator.next() }
    #expect(try iterator.next() == nil)
  }

  /// A batch that takes longer than `timeout` throws PyTorch's error; the sample is held
  /// on a semaphore (not a timer), so the outcome does not depend on machine speed.
  @Test func slowBatchThrowsTimeout() throws {
    let release = DispatchSemaphore(value: 0)
    let held = Held(count: 4, release: release, holding: [0])
    let loader = try DataLoader(held, batchSize: 2, numWorkers: 1, timeout: 0.2)
    var iterator = loader.makeThrowingIterator()
    #expect(throws: DataError.timeout("DataLoader timed out after 0.2 seconds")) { try iterator.next() }
    release.signal()
    #expect(try iterator.next()?.asArray(Int.self) == [0, 1])
    #expect(try iterator.next()?.asArray(Int.self) == [2, 3])
    #expect(try iterator.next() == nil)
  }

  /// Abandoning an epoch whose worker is stuck returns at once; the stuck thread finishes
  /// when its sample returns.
  @Test func abandoningAStuckEpochDoesNotHang() throws {
    let release = DispatchSemaphore(value: 0)
    do {
      let loader = try DataLoader(
        Held(count: 2, release: release, holding: [0, 1]), numWorkers: 2, timeout: 0.1)
      var iterator = loader.makeThrowingIterator()
      #expect(throws: DataError.self) { try iterator.next() }
    }
    release.signal()
    release.signal()
  }

  /// `for batch in loader` cannot throw: a loading error stops the program with the error's
  /// message, like `try!`.
  @Test func forInStopsTheProgramOnALoadingError() async {
    await #expect(processExitsWith: .failure) {
      let loader = try! DataLoader(Failing(count: 4, failing: [2]), batchSize: 1, numWorkers: 2)
      for _ in loader {}
    }
  }
}
