import Descent
import Testing

@testable import DescentData

@Suite struct CollateTests {
  let fixture = DataFixtures.shared.collate

  @Test func numbersBecomeTensorsOfPyTorchsDTypes() throws {
    let ints = try defaultCollate([1, 2, 3])
    #expect("\(ints.dtype)" == fixture.int_dtype)
    #expect(ints.asArray(Int.self) == [1, 2, 3])
    let doubles = try defaultCollate([1.5, 2.5])
    #expect("\(doubles.dtype)" == fixture.float_dtype)
    let bools = try defaultCollate([true, false])
    #expect("\(bools.dtype)" == fixture.bool_dtype)
    let floats = try defaultCollate([Float(1), 2])
    #expect(floats.dtype == .float32)
    #expect(try defaultCollate(["a", "b"]) == fixture.strings)
  }

  @Test func tensorsStackAlongANewFirstDimension() throws {
    let batch = try defaultCollate([Tensor([1, 2]), Tensor([3, 4]), Tensor([5, 6])])
    #expect(batch.shape == [3, 2])
    #expect(batch.asArray(Float.self) == [1, 2, 3, 4, 5, 6])
  }

  @Test func dictionariesCollateKeyByKey() throws {
    let samples = (0..<4).map { _ in ["x": Tensor.zeros([30]), "y": Tensor.zeros([1])] }
    let batch = try defaultCollate(samples)
    #expect(batch.mapValues(\.shape) == fixture.dict_shapes)
  }

  @Test func listsCollatePositionByPosition() throws {
    let samples = (0..<5).map { _ in [Tensor.zeros([2]), Tensor.zeros([3])] }
    let batch = try defaultCollate(samples)
    #expect(batch.map(\.shape) == fixture.list_of_tensors_shapes)
  }

  @Test func malformedBatchesThrowPyTorchsErrors() throws {
    #expect(throws: DataError.runtime(DataFixtures.message("collate_unequal_tensors"))) {
      try defaultCollate([Tensor.zeros([3]), Tensor.zeros([2])])
    }
    #expect(throws: DataError.runtime(DataFixtures.message("collate_unequal_lists"))) {
      try defaultCollate([[1, 2], [1]])
    }
    #expect(throws: DataError.indexOutOfRange(DataFixtures.message("collate_empty"))) {
      try defaultCollate([Int]())
    }
    #expect(throws: DataError.self) {
      try defaultCollate([["x": 1], ["y": 2]])
    }
  }
}
