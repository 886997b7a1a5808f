import Descent
import DescentTestSupport
import Testing

@testable import DescentData

@Suite("Typed batches")
struct TypedBatchTests {
  @Test func twoTensorDatasetBatchesDestructure() throws {
    let x = Tensor.arange(0, 20).reshape([10, 2])
    let y = Tensor.arange(0, 10).reshape([10, 1]) * 10
    let ds = try TensorDataset(x, y)
    let loader = try DataLoader(ds, batchSize: 4)
    var sizes: [Int] = []
    for (xb, yb) in loader {
      #expect(xb.shape[1] == 2 && yb.shape[1] == 1)
      #expect(
        xb.select(dim: 1, index: 0).asArray(Double.self).map { $0 * 5 } == yb.squeeze(1).asArray(Double.self))
      sizes.append(xb.shape[0])
    }
    #expect(sizes == [4, 4, 2])
    // Shuffled, seeded, with the other options: still pairs.
    let shuffled = try DataLoader(
      ds, batchSize: 3, shuffle: true, dropLast: true, generator: Generator(seed: 0))
    var seen: [Double] = []
    try shuffled.forEachBatch { (xb, yb) in
      #expect(xb.shape == [3, 2] && yb.shape == [3, 1])
      seen += yb.squeeze(1).asArray(Double.self)
    }
    #expect(seen.count == 9 && Set(seen).count == 9)
    // Samples stay arrays, as before.
    #expect(try ds[1].count == 2)
  }

  @Test func otherArities() throws {
    let one = try TensorDataset(Tensor.arange(0, 4))
    for batch in try DataLoader(one, batchSize: 2) { #expect(batch.count == 1 && batch[0].shape == [2]) }
    let three = try TensorDataset(Tensor.arange(0, 4), Tensor.arange(0, 4), Tensor.arange(0, 4))
    for batch in try DataLoader(three, batchSize: 4) { #expect(batch.count == 3) }
  }

  @Test func tensorDictBatchesReadByKey() throws {
    let ds = try TensorDictDataset(["x": Tensor.zeros([6, 3]), "y": Tensor.ones([6, 1])])
    for batch in try DataLoader(ds, batchSize: 4) {
      let x: Tensor = batch["x"]
      let y = batch["y"]!  // the dictionary spelling keeps working
      #expect(x.shape[1] == 3 && y.shape[1] == 1)
      #expect(batch.keys == ["x", "y"])
    }
  }

  @Test func missingKeyStopsWithTheValidKeys() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let ds = try! TensorDictDataset(["x": Tensor.zeros([2, 3]), "y": Tensor.ones([2, 1])])
      for batch in try! DataLoader(ds, batchSize: 2) { _ = batch["label"] }
    }
    expectStopMessage(result, "KeyError: 'label'; valid keys: 'x', 'y'")
  }

  @Test func trainTestSplitExposesItsIndices() throws {
    let data = try TabularData(
      features: Tensor.arange(0, 20).reshape([10, 2]), targets: Tensor(Array(0..<10)),
      featureNames: ["a", "b"], targetNames: (0..<10).map(String.init))
    let (train, test) = try data.trainTestSplit(testFraction: 0.3, generator: Generator(seed: 4))
    let (trainRows, testRows) = try data.trainTestIndices(testFraction: 0.3, generator: Generator(seed: 4))
    #expect(testRows.count == 3 && trainRows.count == 7)
    #expect(Set(trainRows + testRows) == Set(0..<10))
    #expect(train.targets.asArray(Int.self) == trainRows)
    #expect(test.targets.asArray(Int.self) == testRows)
  }
}
