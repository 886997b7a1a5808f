import Descent
import DescentOptim
import Testing

/// One invalid constructor call recorded from PyTorch, with its message.
struct InvalidArgumentCase: Sendable, CustomTestStringConvertible {
  let index: Int
  var record: InvalidCase { Fixtures.misc.invalid_arguments[index] }
  var testDescription: String { "\(record.optimizer): \(record.message)" }
  static let all = Fixtures.misc.invalid_arguments.indices.map(InvalidArgumentCase.init)
}

func thrownMessage(_ body: () throws -> Void) -> String? {
  do {
    try body()
    return nil
  } catch let error as OptimizerError {
    return error.message
  } catch {
    return "unexpected error \(error)"
  }
}

@Suite("Invalid arguments throw PyTorch's messages")
struct InvalidArgumentTests {
  @Test("constructor argument", arguments: InvalidArgumentCase.all)
  func constructor(_ test: InvalidArgumentCase) {
    let record = test.record
    let message = thrownMessage {
      _ = try makeOptimizer(record.optimizer, [Tensor.zeros([2], requiresGrad: true)], record.kwargs)
    }
    #expect(message == record.message)
  }

  @Test("empty parameter list")
  func emptyParameterList() {
    let expected = Fixtures.misc.base_messages["empty"]
    #expect(thrownMessage { _ = try SGD([]) } == expected)
    let p = Tensor.zeros([2], requiresGrad: true)
    // Stricter than PyTorch, which accepts an empty group in add_param_group.
    #expect(thrownMessage { try SGD([p]).addParamGroup(ParamGroup([])) } == expected)
  }

  @Test("a parameter in two groups")
  func duplicateAcrossGroups() throws {
    let p = Tensor.zeros([2], requiresGrad: true)
    let optimizer = try Adam([p])
    #expect(
      thrownMessage { try optimizer.addParamGroup(ParamGroup([p])) }
        == Fixtures.misc.base_messages["duplicate"])
    #expect(optimizer.paramGroups.count == 1)
  }

  @Test("a non-leaf tensor")
  func nonLeaf() {
    let p = Tensor.zeros([2], requiresGrad: true)
    #expect(thrownMessage { _ = try SGD([p * 2]) } == Fixtures.misc.base_messages["non_leaf"])
  }

  @Test("an unknown hyperparameter name (stricter than PyTorch)")
  func unknownHyperparameter() throws {
    let a = Tensor.zeros([2], requiresGrad: true)
    let b = Tensor.zeros([2], requiresGrad: true)
    let optimizer = try SGD([a])
    let message = thrownMessage { try optimizer.addParamGroup(ParamGroup([b], ["betas": [0.9, 0.99]])) }
    #expect(
      message
        == "SGD has no hyperparameter 'betas' (it has: dampening, lr, maximize, momentum, nesterov, weight_decay)"
    )
  }

  @Test("a hyperparameter of the wrong kind")
  func wrongKind() throws {
    let a = Tensor.zeros([2], requiresGrad: true)
    let b = Tensor.zeros([2], requiresGrad: true)
    let optimizer = try Adam([a])
    #expect(
      thrownMessage { try optimizer.addParamGroup(ParamGroup([b], ["amsgrad": 0.5])) }
        == "hyperparameter 'amsgrad' of Adam must be a flag, got 0.5")
    #expect(
      thrownMessage { try optimizer.addParamGroup(ParamGroup([b], ["betas": [0.9]])) }
        == "hyperparameter 'betas' of Adam must be a list of 2 numbers, got (0.9)")
  }

  @Test("an out-of-range value in an added group")
  func invalidAddedGroup() throws {
    let a = Tensor.zeros([2], requiresGrad: true)
    let b = Tensor.zeros([2], requiresGrad: true)
    let optimizer = try SGD([a], lr: 0.1, momentum: 0.9)
    #expect(
      thrownMessage { try optimizer.addParamGroup(ParamGroup([b], ["lr": -2.0])) }
        == "Invalid learning rate: -2.0")
    #expect(
      thrownMessage { try optimizer.addParamGroup(ParamGroup([b], ["nesterov": true, "dampening": 0.5])) }
        == "Nesterov momentum requires a momentum and zero dampening")
  }

  @Test("duplicate parameters within a group (a warning in PyTorch)")
  func duplicateWithinGroup() {
    let p = Tensor.zeros([2], requiresGrad: true)
    #expect(
      thrownMessage { _ = try SGD([p, p]) }
        == "optimizer contains a parameter group with duplicate parameters")
  }

  @Test("integer and non-contiguous parameters")
  func unsupportedParameters() {
    #expect(
      thrownMessage { _ = try SGD([Tensor([1, 2, 3])]) }
        == "optimizer can only optimize Tensors of floating point dtype, but one of the params is torch.int64"
    )
    let matrix = Tensor.zeros([2, 3], requiresGrad: true)
    let message = thrownMessage { _ = try SGD([matrix.detach().t().requiresGrad(true)]) }
    #expect(message?.hasPrefix("SGD updates parameters in place and needs them contiguous") == true)
  }

  // Descent, like PyTorch, refuses such a gradient when it is assigned to `.grad` (the
  // messages are checked in DescentTests' GradAssignmentTests), so `step()` never sees one.
  @Test("a gradient whose shape differs from its parameter can't be assigned")
  func mismatchedGradientShape() async {
    await #expect(processExitsWith: .failure) {
      let p = Tensor.zeros([2, 2], dtype: .float64, requiresGrad: true)
      p.grad = Tensor.ones([4], dtype: .float64)
    }
  }

  @Test("a gradient whose dtype differs from its parameter can't be assigned")
  func mismatchedGradientDType() async {
    await #expect(processExitsWith: .failure) {
      let p = Tensor.zeros([2, 2], dtype: .float64, requiresGrad: true)
      p.grad = Tensor.ones([2, 2], dtype: .float32)
    }
  }
}
