import Foundation
import Testing

@testable import Descent

/// One setting governs OpenBLAS and Descent's own kernels. Serialized because the setting
/// is process-wide; every test restores it.
@Suite("Threads", .serialized)
struct ThreadsTests {
  @Test func setGovernsOpenBLAS() {
    let before = Threads.count
    defer { Threads.set(before) }
    for n in [1, 3, 2] {
      Threads.set(n)
      #expect(Threads.count == n)
      #expect(Threads.blasThreads == n)
    }
  }

  @Test func defaultMatchesOpenBLAS() {
    #expect(Threads.count == Threads.blasThreads)
  }

  /// Collects the ranges `parallelChunks` hands out.
  private func chunks(_ count: Int) -> [Range<Int>] {
    let lock = NSLock()
    var seen: [Range<Int>] = []
    parallelChunks(count) { r in
      lock.lock()
      seen.append(r)
      lock.unlock()
    }
    return seen.sorted { $0.lowerBound < $1.lowerBound }
  }

  private func expectPartition(_ ranges: [Range<Int>], of count: Int) {
    #expect(ranges.first?.lowerBound == 0)
    #expect(ranges.last?.upperBound == count)
    for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
  }

  @Test func largeWorkSplitsIntoOneChunkPerThread() {
    let before = Threads.count
    defer { Threads.set(before) }
    let count = 10 * Threads.grainSize + 123
    Threads.set(4)
    let four = chunks(count)
    #expect(four.count == 4)
    expectPartition(four, of: count)
    Threads.set(1)
    #expect(chunks(count) == [0..<count])
  }

  @Test func smallWorkStaysOnOneChunk() {
    let before = Threads.count
    defer { Threads.set(before) }
    Threads.set(4)
    #expect(chunks(Threads.grainSize) == [0..<Threads.grainSize])
    // Only as many chunks as there are grains of work.
    let three = chunks(3 * Threads.grainSize)
    #expect(three.count == 3)
    expectPartition(three, of: 3 * Threads.grainSize)
  }

  /// A large elementwise kernel gives the same values whichever way it is split.
  @Test(arguments: [1, 2, 4])
  func largeKernelsAgreeAcrossThreadCounts(_ n: Int) {
    let before = Threads.count
    defer { Threads.set(before) }
    let count = 5 * Threads.grainSize + 7
    let a = Tensor.randn([count], dtype: .float64, generator: Generator(seed: 1))
    let b = Tensor.randn([count], dtype: .float64, generator: Generator(seed: 2))
    Threads.set(1)
    let reference = (a * b + a.exp()).asArray(Double.self)
    let sumReference = a.sum().item()
    Threads.set(n)
    #expect((a * b + a.exp()).asArray(Double.self) == reference)
    #expect(a.sum().item() == sumReference)
    let strided = a.slice(dim: 0, start: 0, end: nil, step: 2)
    #expect(strided.exp().asArray(Double.self) == strided.contiguous().exp().asArray(Double.self))
  }
}
