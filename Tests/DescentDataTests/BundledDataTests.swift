import Descent
import Foundation
import Testing

@testable import DescentData

@Suite struct BundledDataTests {
  let sk = DataFixtures.shared.sklearn

  @Test func breastCancerIsScikitLearnsTable() throws {
    let data = try loadBreastCancer(dtype: .float64)
    #expect(data.features.shape == [569, 30])
    #expect(data.targets.shape == [569])
    #expect(data.targetNames == ["malignant", "benign"])
    #expect(data.featureNames.first == "mean radius")
    let rows = data.features.asArray(Double.self)
    #expect(Array(rows[0..<30]) == sk.breast_cancer.first_row)
    #expect(Array(rows[(568 * 30)...]) == sk.breast_cancer.last_row)
    let labels = data.targets.asArray(Int.self)
    #expect(Array(labels[0..<10]) == sk.breast_cancer.target_head)
    #expect(labels.filter { $0 == 0 }.count == 212)
    #expect(labels.filter { $0 == 1 }.count == 357)
    #expect(try loadBreastCancer().features.dtype == .float32)
  }

  @Test func digitsIsScikitLearnsTable() throws {
    let data = try loadDigits(dtype: .float64)
    #expect(data.features.shape == [1797, 64])
    #expect(data.targetNames == (0...9).map(String.init))
    let rows = data.features.asArray(Double.self)
    #expect(Array(rows[0..<64]) == sk.digits.first_row)
    #expect(Array(rows[(1796 * 64)...]) == sk.digits.last_row)
    #expect(Array(data.targets.asArray(Int.self)[0..<10]) == sk.digits.target_head)
  }

  /// Mean and scale against `sklearn.preprocessing.StandardScaler().fit(X)`, including the
  /// digits' constant (all-zero) pixels, whose scale is 1.
  @Test(arguments: ["breast_cancer", "digits"])
  func standardScalerMatchesScikitLearn(_ name: String) throws {
    let data = name == "digits" ? try loadDigits(dtype: .float64) : try loadBreastCancer(dtype: .float64)
    let reference = name == "digits" ? sk.digits : sk.breast_cancer
    let scaler = try StandardScaler(fitting: data.features)
    for j in 0..<reference.mean.count {
      #expect(abs(scaler.mean[j] - reference.mean[j]) <= 1e-12 * max(1, abs(reference.mean[j])), "mean \(j)")
      #expect(
        abs(scaler.scale[j] - reference.scale[j]) <= 1e-12 * max(1, abs(reference.scale[j])), "scale \(j)")
    }
    let z = try scaler.transform(data.features)
    let columnMeans = z.mean(dim: 0).asArray(Double.self)
    #expect(columnMeans.allSatisfy { abs($0) < 1e-12 })
    let back = try scaler.inverseTransform(z)
    #expect(back.allClose(data.features, rtol: 1e-12, atol: 1e-12))
  }

  @Test func scalerFittedOnTrainIsAppliedToTest() throws {
    let data = try loadBreastCancer()
    let (train, test) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: 0))
    let scaler = try StandardScaler(fitting: train.features)
    let trainZ = try train.standardized(by: scaler).features
    let testZ = try test.standardized(by: scaler).features
    #expect(trainZ.mean(dim: 0).asArray(Float.self).allSatisfy { abs($0) < 1e-4 })
    // The test rows use the training statistics, so their means are not exactly zero.
    #expect(testZ.mean(dim: 0).asArray(Float.self).contains { abs($0) > 1e-3 })
    #expect(throws: DataError.self) { try scaler.transform(Tensor.zeros([2, 29])) }
  }

  @Test(arguments: DataFixtures.shared.sklearn.train_test_split)
  func trainTestSplitSizesMatchScikitLearn(_ c: DataFixtures.SplitSize) throws {
    let data = try loadBreastCancer()
    let (train, test) = try data.trainTestSplit(testFraction: c.test_size, generator: Generator(seed: 1))
    #expect(train.count == c.train)
    #expect(test.count == c.test)
  }

  @Test func trainTestSplitIsSeededAndDisjoint() throws {
    let data = try loadDigits()
    let ids = Tensor((0..<data.count).map(Double.init), shape: [data.count, 1])
    let tagged = try TabularData(
      features: ids, targets: data.targets, featureNames: ["row"], targetNames: data.targetNames)
    let (trainA, testA) = try tagged.trainTestSplit(generator: Generator(seed: 5))
    let (trainB, testB) = try tagged.trainTestSplit(generator: Generator(seed: 5))
    let (_, testC) = try tagged.trainTestSplit(generator: Generator(seed: 6))
    let rowsA = trainA.features.asArray(Int.self) + testA.features.asArray(Int.self)
    #expect(rowsA.sorted() == Array(0..<data.count))
    #expect(trainA.features.asArray(Int.self) == trainB.features.asArray(Int.self))
    #expect(testA.features.asArray(Int.self) == testB.features.asArray(Int.self))
    #expect(testA.features.asArray(Int.self) != testC.features.asArray(Int.self))
    // Labels travel with their rows.
    let labels = data.targets.asArray(Int.self)
    let rowIds = testA.features.asArray(Int.self)
    #expect(testA.targets.asArray(Int.self) == rowIds.map { labels[$0] })
  }

  @Test func trainTestSplitErrorsMatchScikitLearn() throws {
    let data = try loadBreastCancer()
    #expect(throws: DataError.invalidArgument(sk.train_test_split_errors["1.5"]!.message)) {
      try data.trainTestSplit(testFraction: 1.5)
    }
    #expect(throws: DataError.invalidArgument(sk.train_test_split_errors["0.0"]!.message)) {
      try data.trainTestSplit(testFraction: 0.0)
    }
    let tiny = data.rows([0, 1])
    #expect(throws: DataError.invalidArgument(sk.train_test_split_errors["tiny_n"]!.message)) {
      try tiny.trainTestSplit(testFraction: 0.9)
    }
  }

  /// The loader side of the seed: `batch["x"]` float32 `[B, 30]`, `batch["y"]` float32
  /// `[B, 1]`, the shape of a `Linear(30, 1)`'s logits, as `BCEWithLogitsLoss` needs.
  @Test(arguments: [0, 2])
  func breastCancerLoaderGivesSeedBatches(_ workers: Int) throws {
    let data = try loadBreastCancer()
    let (train, _) = try data.trainTestSplit(generator: Generator(seed: 0))
    let scaler = try StandardScaler(fitting: train.features)
    let dataset = try train.standardized(by: scaler).dataset(target: .binaryFloat)
    let loader = try DataLoader(
      dataset, batchSize: 32, shuffle: true, numWorkers: workers, generator: Generator(seed: 1))
    #expect(loader.count == 14)
    var rows = 0
    var positives = 0.0
    for batch in loader {
      let x = batch["x"]!
      let y = batch["y"]!
      #expect(x.dtype == .float32)
      #expect(y.dtype == .float32)
      #expect(x.shape[1] == 30 && y.shape[1] == 1 && x.shape[0] == y.shape[0])
      rows += x.shape[0]
      positives += y.sum().item()
    }
    #expect(rows == 426)
    #expect(positives == Double(train.targets.asArray(Int.self).reduce(0, +)))
  }

  @Test func digitsClassIndexDataset() throws {
    let loader = try DataLoader(try loadDigits().dataset(), batchSize: 100)
    var iterator = loader.makeThrowingIterator()
    let batch = try iterator.next()!
    #expect(batch["x"]!.shape == [100, 64])
    #expect(batch["y"]!.shape == [100])
    #expect(batch["y"]!.dtype == .int64)
    #expect(throws: DataError.self) { try loadDigits().dataset(target: .binaryFloat) }
  }

  @Test func malformedCSVNamesTheFileLineAndColumn() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "descent-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let good = dir.appendingPathComponent("good.csv")
    try "a,b,target\n1,2,0\n3.5,4,1\n".write(to: good, atomically: true, encoding: .utf8)
    let table = try TabularData(contentsOf: good)
    #expect(table.features.asArray(Float.self) == [1, 2, 3.5, 4])
    #expect(table.targets.asArray(Int.self) == [0, 1])
    #expect(table.targetNames == ["0", "1"])

    let bad = dir.appendingPathComponent("bad.csv")
    try "a,b,target\n1,2,0\n3,x,1\n".write(to: bad, atomically: true, encoding: .utf8)
    #expect(throws: DataError.file("bad.csv line 3, column \"b\": \"x\" is not a number")) {
      try TabularData(contentsOf: bad)
    }
    let ragged = dir.appendingPathComponent("ragged.csv")
    try "a,b,target\n1,2\n".write(to: ragged, atomically: true, encoding: .utf8)
    #expect(throws: DataError.file("ragged.csv line 2: 2 fields, the header has 3")) {
      try TabularData(contentsOf: ragged)
    }
    #expect(throws: DataError.self) { try TabularData(contentsOf: dir.appendingPathComponent("missing.csv")) }
  }
}

extension DataFixtures.SplitSize: CustomTestStringConvertible {
  var testDescription: String { "test_size=\(test_size)" }
}
