import Descent
import Foundation
import Testing

@testable import DescentData

@Suite struct SamplerTests {
  @Test func sequentialSamplerCountsUp() {
    let s = SequentialSampler(count: 5)
    #expect(Array(s) == [0, 1, 2, 3, 4])
    #expect(s.count == 5)
  }

  @Test(arguments: DataFixtures.shared.batch_sampler)
  func batchSamplerMatchesPyTorch(_ c: DataFixtures.BatchSamplerCase) throws {
    let s = try BatchSampler(SequentialSampler(count: c.n), batchSize: c.batch_size, dropLast: c.drop_last)
    #expect(Array(s) == c.batches)
    #expect(s.count == c.batches.count)
  }

  @Test func batchSamplerRejectsNonPositiveSizes() {
    #expect(throws: DataError.invalidArgument(DataFixtures.message("zero_batch_size"))) {
      try BatchSampler(SequentialSampler(count: 3), batchSize: 0, dropLast: false)
    }
  }

  @Test func randomSamplerWithoutReplacementIsAPermutationPerEpoch() throws {
    let s = try RandomSampler(count: 50, generator: Generator(seed: 3))
    let first = Array(s)
    let second = Array(s)
    #expect(first.sorted() == Array(0..<50))
    #expect(second.sorted() == Array(0..<50))
    // The shared generator moves on: a new order each epoch.
    #expect(first != second)
    #expect(first != Array(0..<50))
  }

  @Test func randomSamplerSameSeedSameOrder() throws {
    let a = Array(try RandomSampler(count: 30, generator: Generator(seed: 9)))
    let b = Array(try RandomSampler(count: 30, generator: Generator(seed: 9)))
    #expect(a == b)
  }

  /// PyTorch: `numSamples // n` whole permutations, then the start of one more.
  @Test func randomSamplerWithMoreSamplesThanItems() throws {
    let n = 7
    let s = try RandomSampler(count: n, numSamples: 17, generator: Generator(seed: 5))
    let drawn = Array(s)
    #expect(drawn.count == 17)
    #expect(Array(drawn[0..<7]).sorted() == Array(0..<7))
    #expect(Array(drawn[7..<14]).sorted() == Array(0..<7))
    #expect(Set(drawn[14...]).count == 3)
    var counts = [Int](repeating: 0, count: n)
    for i in drawn { counts[i] += 1 }
    #expect(counts.filter { $0 == 3 }.count == 3)
    #expect(counts.filter { $0 == 2 }.count == 4)
  }

  @Test func randomSamplerWithReplacementDrawsUniformlyInRange() throws {
    let n = 7
    let s = try RandomSampler(count: n, replacement: true, numSamples: 70_000, generator: Generator(seed: 11))
    let drawn = Array(s)
    #expect(drawn.count == 70_000)
    #expect(drawn.allSatisfy { (0..<n).contains($0) })
    var counts = [Int](repeating: 0, count: n)
    for i in drawn { counts[i] += 1 }
    // Binomial(70000, 1/7): mean 10000, sd 92.6. A bound of 6 sd fails a correct sampler
    // with probability below 1e-8 per index.
    for c in counts { #expect(abs(Double(c) - 10_000) <= 6 * 92.6) }
    // With replacement some index repeats within the first n draws (p = 1 - 7!/7^7 > 0.99);
    // checked over many epochs so the statement is certain for any seed.
    let small = try RandomSampler(count: n, replacement: true, generator: Generator(seed: 12))
    #expect(small.count == n)
    let repeats = (0..<50).filter { _ in Set(Array(small)).count < n }.count
    #expect(repeats > 40)
  }

  @Test func randomSamplerRejectsZeroSamples() {
    #expect(throws: DataError.invalidArgument(DataFixtures.message("random_sampler_zero_samples"))) {
      try RandomSampler(count: 10, numSamples: 0)
    }
    #expect(throws: DataError.invalidArgument(DataFixtures.message("random_sampler_empty"))) {
      try RandomSampler(count: 0)
    }
  }

  @Test func subsetRandomSamplerPermutesTheGivenIndices() {
    let s = SubsetRandomSampler([3, 8, 20, 21], generator: Generator(seed: 1))
    #expect(s.count == 4)
    for _ in 0..<5 { #expect(Array(s).sorted() == [3, 8, 20, 21]) }
    let orders = Set((0..<20).map { _ in Array(s) })
    #expect(orders.count > 1)
  }

  /// Frequencies with replacement: index i is drawn with probability w_i / sum(w).
  /// Each count is Binomial(N, p_i); the bound of 6 standard deviations fails a correct
  /// sampler with probability below 2e-9 per index.
  @Test func weightedSamplerFrequenciesFollowTheWeights() throws {
    let weights = [1.0, 2.0, 0.0, 3.0, 4.0]
    let n = 200_000
    let s = try WeightedRandomSampler(weights, numSamples: n, generator: Generator(seed: 2024))
    var counts = [Int](repeating: 0, count: weights.count)
    for i in s { counts[i] += 1 }
    #expect(counts[2] == 0)
    let total = weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
      let p = w / total
      let sd = (Double(n) * p * (1 - p)).squareRoot()
      #expect(abs(Double(counts[i]) - Double(n) * p) <= 6 * sd + 1e-9, "index \(i): \(counts[i])")
    }
  }

  /// Without replacement the first draw still has probability w_i / sum(w), no index repeats,
  /// and zero weights come last (PyTorch's exponential-race algorithm).
  @Test func weightedSamplerWithoutReplacement() throws {
    let weights = [1.0, 2.0, 3.0, 4.0]
    let s = try WeightedRandomSampler(
      weights, numSamples: 3, replacement: false, generator: Generator(seed: 7))
    let epochs = 40_000
    var firstCounts = [Int](repeating: 0, count: 4)
    for _ in 0..<epochs {
      let draw = Array(s)
      #expect(Set(draw).count == 3)
      firstCounts[draw[0]] += 1
    }
    for (i, w) in weights.enumerated() {
      let p = w / 10
      let sd = (Double(epochs) * p * (1 - p)).squareRoot()
      #expect(abs(Double(firstCounts[i]) - Double(epochs) * p) <= 6 * sd, "index \(i)")
    }
    let zeros = try WeightedRandomSampler(
      [1, 0, 1], numSamples: 3, replacement: false, generator: Generator(seed: 1))
    for _ in 0..<20 { #expect(Array(zeros).last == 1) }
  }

  @Test(arguments: DataFixtures.shared.multinomial_errors)
  func weightedSamplerErrorsMatchPyTorch(_ c: DataFixtures.MultinomialCase) throws {
    if let error = c.error {
      #expect(throws: DataError.runtime(error.message)) {
        try WeightedRandomSampler(c.weightValues, numSamples: c.num_samples, replacement: c.replacement)
      }
    } else {
      let s = try WeightedRandomSampler(
        c.weightValues, numSamples: c.num_samples, replacement: c.replacement, generator: Generator(seed: 0))
      let drawn = Array(s)
      #expect(drawn.count == c.num_samples)
      #expect(drawn.allSatisfy { c.weightValues[$0] > 0 } || !c.replacement)
    }
    #expect(throws: DataError.invalidArgument(DataFixtures.message("weighted_zero_samples"))) {
      try WeightedRandomSampler([1, 2], numSamples: 0)
    }
  }
}

extension DataFixtures.BatchSamplerCase: CustomTestStringConvertible {
  var testDescription: String { "n=\(n) batch=\(batch_size) dropLast=\(drop_last)" }
}

extension DataFixtures.MultinomialCase: CustomTestStringConvertible {
  var testDescription: String { "\(weights) n=\(num_samples) replacement=\(replacement)" }
}
