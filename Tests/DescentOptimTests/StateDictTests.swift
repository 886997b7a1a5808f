import Descent
import DescentOptim
import Testing

/// Runs `steps` of a configuration's recorded gradients on `params`.
func run(_ optimizer: Optimizer, _ params: [Tensor], _ steps: ArraySlice<StepRecord>) throws {
  for record in steps {
    feedGradients(record, to: params)
    try optimizer.step()
  }
}

/// Every state entry of two optimizers over corresponding parameters, as arrays.
func stateValues(_ optimizer: Optimizer, _ params: [Tensor]) -> [[String: [Double]]] {
  params.map { optimizer.state(for: $0).mapValues { $0.asArray(Double.self) } }
}

@Suite("State dicts")
struct StateDictTests {
  @Test(
    "loading a state dict and continuing equals the uninterrupted run exactly",
    arguments: TrajectoryCase.all, OptimizerImplementation.allCases)
  func resumeEqualsUninterrupted(_ test: TrajectoryCase, implementation: OptimizerImplementation) throws {
    let config = Fixtures.config(test.optimizer, test.config)
    let (params, optimizer) = try makeSetup(test.optimizer, config, implementation: implementation)
    try run(optimizer, params, config.steps[...])

    let (first, interrupted) = try makeSetup(test.optimizer, config, implementation: implementation)
    try run(interrupted, first, config.steps[..<12])
    let saved = interrupted.stateDict()
    // A new optimizer over new tensors holding the parameters' values, as after a restart.
    let (resumedParams, resumed) = try makeSetup(test.optimizer, config, implementation: implementation)
    for (target, source) in zip(resumedParams, first) { withNoGrad { target.copyInPlace(from: source) } }
    try resumed.loadStateDict(saved)
    try run(resumed, resumedParams, config.steps[12...])

    #expect(resumedParams.map { $0.asArray(Double.self) } == params.map { $0.asArray(Double.self) })
    #expect(stateValues(resumed, resumedParams) == stateValues(optimizer, params))
  }

  @Test("a state dict is a snapshot: later steps and loads leave it unchanged")
  func snapshot() throws {
    let p = Tensor([1.0, -2.0, 3.0], shape: [3], dtype: .float64, requiresGrad: true)
    let optimizer = try Adam([p], lr: 0.1, amsgrad: true)
    p.grad = Tensor([0.5, 0.25, -1.0], shape: [3], dtype: .float64)
    try optimizer.step()
    let saved = optimizer.stateDict()
    let before = saved.state[0]!.mapValues { $0.asArray(Double.self) }
    try optimizer.step()
    try optimizer.loadStateDict(saved)
    try optimizer.step()
    try optimizer.step()
    #expect(saved.state[0]!.mapValues { $0.asArray(Double.self) } == before)
    #expect(saved.state[0]!["step"]!.item() == 1)
    #expect(optimizer.state(for: p)["step"]!.item() == 3)
    // Editing the dict after loading does not reach into the optimizer.
    var edited = optimizer.stateDict()
    try optimizer.loadStateDict(edited)
    withNoGrad { _ = edited.state[0]!["exp_avg"]!.fill(42) }
    #expect(optimizer.state(for: p)["exp_avg"]!.asArray(Double.self) != [42, 42, 42])
    edited.paramGroups[0]["lr"] = 7
    #expect(optimizer.paramGroups[0].lr == 0.1)
  }

  @Test("layout: integer keys in group order, PyTorch's key names, step as a float32 scalar")
  func layout() throws {
    let a = Tensor.zeros([2], requiresGrad: true)
    let b = Tensor.zeros([3], requiresGrad: true)
    let c = Tensor.zeros([4], requiresGrad: true)
    let optimizer = try RMSprop([a, b], momentum: 0.9, centered: true)
    try optimizer.addParamGroup(ParamGroup([c], ["lr": 0.5]))
    b.grad = Tensor.ones([3])
    c.grad = Tensor.ones([4])
    try optimizer.step()
    let saved = optimizer.stateDict()
    #expect(saved.paramGroups.map(\.params) == [[0, 1], [2]])
    #expect(Set(saved.state.keys) == [1, 2])  // a had no gradient: no state
    #expect(Set(saved.state[1]!.keys) == ["step", "square_avg", "momentum_buffer", "grad_avg"])
    #expect(saved.state[2]!["step"]!.dtype == .float32 && saved.state[2]!["step"]!.shape == [])
    #expect(saved.paramGroups[1]["lr"] == .number(0.5))
    #expect(saved.paramGroups[1]["alpha"] == .number(0.99))
  }

  @Test("hyperparameters come from the loaded dict; missing ones from the defaults")
  func hyperparametersFromDict() throws {
    let p = Tensor.zeros([2], requiresGrad: true)
    let source = try SGD([p], lr: 0.1, momentum: 0.9, nesterov: true)
    var saved = source.stateDict()
    let target = try SGD([Tensor.zeros([2], requiresGrad: true)], lr: 0.5, weightDecay: 0.25)
    saved.paramGroups[0].hyperparameters["weight_decay"] = nil
    try target.loadStateDict(saved)
    #expect(target.paramGroups[0].lr == 0.1)
    #expect(target.paramGroups[0].momentum == 0.9)
    #expect(target.paramGroups[0].flag("nesterov"))
    #expect(target.paramGroups[0].weightDecay == 0.25)
  }

  @Test("AdamW keeps decoupled weight decay when loading, as PyTorch's __setstate__")
  func adamWStaysDecoupled() throws {
    let adam = try Adam([Tensor.zeros([2], requiresGrad: true)], weightDecay: 0.1)
    let adamW = try AdamW([Tensor.zeros([2], requiresGrad: true)])
    try adamW.loadStateDict(adam.stateDict())
    #expect(adamW.paramGroups[0].flag("decoupled_weight_decay"))
    #expect(adamW.paramGroups[0].weightDecay == 0.1)
  }

  @Test("state is cast to the parameter's dtype; step stays float32")
  func castsToParameterDtype() throws {
    let p64 = Tensor([1.0, 2, 3], shape: [3], dtype: .float64, requiresGrad: true)
    let source = try Adam([p64], lr: 0.1)
    p64.grad = Tensor([1, -1, 0.5], shape: [3], dtype: .float64)
    try source.step()
    let p32 = Tensor([1.0, 2, 3], shape: [3], dtype: .float32, requiresGrad: true)
    let target = try Adam([p32], lr: 0.1)
    try target.loadStateDict(source.stateDict())
    let state = target.state(for: p32)
    #expect(state["exp_avg"]!.dtype == .float32 && state["exp_avg_sq"]!.dtype == .float32)
    #expect(state["step"]!.dtype == .float32 && state["step"]!.item() == 1)
    #expect(
      state["exp_avg"]!.asArray(Double.self)
        == source.state(for: p64)["exp_avg"]!.asArray(Float.self).map(Double.init))
  }

  @Test("mismatched dicts throw and change nothing")
  func loadErrors() throws {
    let a = Tensor.zeros([2], requiresGrad: true)
    let b = Tensor.zeros([3], requiresGrad: true)
    let optimizer = try Adam([a], lr: 0.1)
    try optimizer.addParamGroup(ParamGroup([b]))
    a.grad = Tensor.ones([2])
    try optimizer.step()
    let good = optimizer.stateDict()

    let oneGroup = try Adam([Tensor.zeros([2], requiresGrad: true), Tensor.zeros([3], requiresGrad: true)])
    #expect(
      thrownMessage { try optimizer.loadStateDict(oneGroup.stateDict()) }
        == Fixtures.misc.base_messages["group_count"])

    let otherSizes = try Adam([Tensor.zeros([2], requiresGrad: true)])
    try otherSizes.addParamGroup(
      ParamGroup([Tensor.zeros([3], requiresGrad: true), Tensor.zeros([1], requiresGrad: true)]))
    #expect(
      thrownMessage { try optimizer.loadStateDict(otherSizes.stateDict()) }
        == Fixtures.misc.base_messages["group_size"])

    var wrongShape = good
    wrongShape.state[0]!["exp_avg"] = Tensor.zeros([5])
    #expect(
      thrownMessage { try optimizer.loadStateDict(wrongShape) }
        == "state 'exp_avg' of parameter 0 has shape [5], but the parameter has shape [2]")

    var missingKey = good
    missingKey.state[0]!["exp_avg_sq"] = nil
    #expect(
      thrownMessage { try optimizer.loadStateDict(missingKey) }
        == "loaded state dict has no 'exp_avg_sq' for parameter 0, which Adam needs")

    var strayIndex = good
    strayIndex.state[9] = good.state[0]
    #expect(
      thrownMessage { try optimizer.loadStateDict(strayIndex) }
        == "loaded state dict has state for parameter 9, which is in none of its parameter groups")

    var unknownKey = good
    unknownKey.paramGroups[1]["momentum"] = 0.9
    #expect(
      thrownMessage { try optimizer.loadStateDict(unknownKey) }?.hasPrefix(
        "Adam has no hyperparameter 'momentum'") == true)

    var badValue = good
    badValue.paramGroups[0]["betas"] = [0.9, 1.0]
    #expect(
      thrownMessage { try optimizer.loadStateDict(badValue) } == "Invalid beta parameter at index 1: 1.0")

    // Nothing above changed the optimizer.
    #expect(optimizer.paramGroups.count == 2 && optimizer.paramGroups[0].lr == 0.1)
    #expect(
      optimizer.state(for: a)["exp_avg"]!.asArray(Double.self)
        == good.state[0]!["exp_avg"]!.asArray(Double.self))
    #expect(optimizer.state(for: b).isEmpty)
  }

  @Test("setState checks the shape and copies")
  func setState() throws {
    let p = Tensor.zeros([2], dtype: .float64, requiresGrad: true)
    let optimizer = try SGD([p], lr: 0.1, momentum: 0.5)
    let buffer = Tensor([1.0, 1], shape: [2], dtype: .float32)
    try optimizer.setState(["momentum_buffer": buffer], for: p)
    p.grad = Tensor([0, 0], shape: [2], dtype: .float64)
    try optimizer.step()
    #expect(p.asArray(Double.self) == [-0.05, -0.05])
    #expect(buffer.asArray(Double.self) == [1, 1])
    #expect(
      thrownMessage { try optimizer.setState(["momentum_buffer": Tensor.zeros([3])], for: p) }
        == "state 'momentum_buffer' of parameter 0 has shape [3], but the parameter has shape [2]")
    #expect(
      thrownMessage { try optimizer.setState([:], for: Tensor.zeros([2])) }
        == "setState: the tensor is not a parameter of this optimizer")
  }
}
