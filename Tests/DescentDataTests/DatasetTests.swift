import Descent
import Foundation
import Testing

@testable import DescentData

@Suite struct DatasetTests {
  @Test func tensorDatasetIndexesAlongFirstDimension() throws {
    let x = Tensor([0, 1, 2, 3, 4, 5], shape: [3, 2])
    let y = Tensor([10, 11, 12] as [Int])
    let ds = try TensorDataset(x, y)
    #expect(ds.count == 3)
    let s = try ds[1]
    #expect(s.count == 2)
    #expect(s[0].asArray(Float.self) == [2, 3])
    #expect(s[1].asArray(Int.self) == [11])
    #expect(try ds[-1][1].asArray(Int.self) == [12])
  }

  @Test func tensorDatasetErrorsArePyTorchs() throws {
    #expect(throws: DataError.invalidArgument(DataFixtures.message("tensor_dataset_mismatch"))) {
      try TensorDataset(Tensor.zeros([3]), Tensor.zeros([4]))
    }
    let ten = try TensorDataset(Tensor.arange(10))
    #expect(throws: DataError.indexOutOfRange(DataFixtures.message("tensor_dataset_index"))) {
      try ten[10]
    }
    #expect(throws: DataError.self) { try ten[-11] }
  }

  @Test func tensorDictDatasetGivesNamedSamples() throws {
    let ds = try TensorDictDataset(["x": Tensor.zeros([5, 30]), "y": Tensor.ones([5, 1])])
    #expect(ds.count == 5)
    let s = try ds[4]
    #expect(s["x"]!.shape == [30])
    #expect(s["y"]!.shape == [1])
    #expect(throws: DataError.self) {
      try TensorDictDataset(["x": Tensor.zeros([5, 30]), "y": Tensor.ones([4, 1])])
    }
  }

  @Test func stackDatasetZipsByKey() throws {
    let a = try TensorDataset(Tensor.arange(4))
    let b = try TensorDataset(Tensor.arange(4) * 10)
    let ds = try StackDataset(["a": a, "b": b])
    #expect(ds.count == 4)
    let s = try ds[2]
    #expect(s["a"]![0].item() == 2)
    #expect(s["b"]![0].item() == 20)
    #expect(throws: DataError.invalidArgument("Size mismatch between datasets")) {
      try StackDataset(["a": a, "b": try TensorDataset(Tensor.arange(5))])
    }
  }

  @Test func subsetMapsIndices() throws {
    let base = try TensorDataset(Tensor.arange(10))
    let sub = Subset(base, indices: [7, 2, 5])
    #expect(sub.count == 3)
    #expect(try sub[0][0].item() == 7)
    #expect(try sub[-1][0].item() == 5)
    #expect(throws: DataError.self) { try sub[3] }
  }

  @Test func concatDatasetFollowsCumulativeSizes() throws {
    let a = try TensorDataset(Tensor.arange(2))
    let b = try TensorDataset(Tensor.arange(3) + 100)
    let ds = try ConcatDataset([a, b])
    #expect(ds.count == 5)
    #expect(ds.cumulativeSizes == [2, 5])
    let values = try (0..<5).map { try ds[$0][0].item() }
    #expect(values == [0, 1, 100, 101, 102])
    #expect(try ds[-1][0].item() == 102)
    #expect(try ds[-5][0].item() == 0)
    #expect(throws: DataError.invalidArgument(DataFixtures.message("concat_negative_index"))) {
      try ds[-6]
    }
    #expect(throws: DataError.invalidArgument(DataFixtures.message("concat_empty"))) {
      try ConcatDataset([TensorDataset<[Tensor]>]())
    }
  }

  @Test func anyDatasetErasesTheType() throws {
    let a = AnyDataset(try TensorDataset(Tensor.arange(2)))
    let b = AnyDataset(Subset(try TensorDataset(Tensor.arange(5)), indices: [4]))
    let ds = try ConcatDataset([a, b])
    #expect(try (0..<3).map { try ds[$0][0].item() } == [0, 1, 4])
  }

  // MARK: randomSplit against PyTorch's lengths

  @Test(arguments: DataFixtures.shared.random_split.fractions.indices)
  func randomSplitFractionsMatchPyTorch(_ caseIndex: Int) throws {
    let c = DataFixtures.shared.random_split.fractions[caseIndex]
    let ds = try TensorDataset(Tensor.arange(c.n))
    if let error = c.error {
      #expect(throws: DataError.invalidArgument(error.message)) {
        try randomSplit(ds, lengths: c.fractions, generator: Generator(seed: 1))
      }
      return
    }
    let parts = try randomSplit(ds, lengths: c.fractions, generator: Generator(seed: 1))
    #expect(parts.map(\.count) == c.lengths!, "n=\(c.n) fractions=\(c.fractions)")
    // The parts are disjoint and cover the dataset.
    let all = parts.flatMap(\.indices).sorted()
    #expect(all == Array(0..<c.n))
  }

  @Test(arguments: DataFixtures.shared.random_split.counts.indices)
  func randomSplitCountsMatchPyTorch(_ caseIndex: Int) throws {
    let c = DataFixtures.shared.random_split.counts[caseIndex]
    let ds = try TensorDataset(Tensor.arange(c.n))
    if let error = c.error {
      #expect(throws: DataError.invalidArgument(error.message)) {
        try randomSplit(ds, lengths: c.lengths)
      }
      return
    }
    let parts = try randomSplit(ds, lengths: c.lengths)
    #expect(parts.map(\.count) == c.result!)
    #expect(parts.flatMap(\.indices).sorted() == Array(0..<c.n))
  }

  @Test func randomSplitIsReproducibleFromTheGenerator() throws {
    let ds = try TensorDataset(Tensor.arange(100))
    let a = try randomSplit(ds, lengths: [0.8, 0.2], generator: Generator(seed: 42))
    let b = try randomSplit(ds, lengths: [0.8, 0.2], generator: Generator(seed: 42))
    let c = try randomSplit(ds, lengths: [0.8, 0.2], generator: Generator(seed: 43))
    #expect(a.map(\.indices) == b.map(\.indices))
    #expect(a.map(\.indices) != c.map(\.indices))
    // A random split is not the identity order.
    #expect(a[0].indices != Array(0..<80))
  }

  @Test func randomSplitRejectsNegativeCounts() throws {
    let ds = try TensorDataset(Tensor.arange(2))
    #expect(throws: DataError.self) { try randomSplit(ds, lengths: [3, -1]) }
  }
}
