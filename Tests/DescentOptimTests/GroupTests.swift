import Descent
import DescentOptim
import Testing

@Suite("Parameter groups")
struct GroupTests {
  @Test(
    "two groups behave like two separate optimizers",
    arguments: Fixtures.optimizerNames, OptimizerImplementation.allCases)
  func groupsAreIndependent(_ name: String, implementation: OptimizerImplementation) throws {
    let config = Fixtures.config(name, "two_groups")
    let (params, grouped) = try makeSetup(name, config, implementation: implementation)
    try run(grouped, params, config.steps[...])

    // The same two parameters, each with its own optimizer: the first from the constructor
    // arguments, the second from them overridden by the second group's options.
    let first = Tensor(config.initial[0], shape: config.params[0].shape, dtype: .float64, requiresGrad: true)
    let second = Tensor(config.initial[1], shape: config.params[1].shape, dtype: .float64, requiresGrad: true)
    let optimizerA = try makeOptimizer(name, [first], config.kwargs, implementation: implementation)
    let optimizerB = try makeOptimizer(
      name, [second], config.kwargs.merging(config.groups[1].options) { $1 }, implementation: implementation)
    for record in config.steps {
      feedGradients(record, to: [first, second])
      try optimizerA.step()
      try optimizerB.step()
    }
    #expect(first.asArray(Double.self) == params[0].asArray(Double.self))
    #expect(second.asArray(Double.self) == params[1].asArray(Double.self))
    #expect(stateValues(optimizerA, [first]) == stateValues(grouped, [params[0]]))
    #expect(stateValues(optimizerB, [second]) == stateValues(grouped, [params[1]]))
  }

  @Test("lr can be read and set per group between steps")
  func learningRatePerGroup() throws {
    let a = Tensor([1.0, 1.0], shape: [2], dtype: .float64, requiresGrad: true)
    let b = Tensor([1.0, 1.0], shape: [2], dtype: .float64, requiresGrad: true)
    let optimizer = try SGD([a], lr: 0.1)
    try optimizer.addParamGroup(ParamGroup([b], ["lr": 0.2]))
    #expect(optimizer.paramGroups.map(\.lr) == [0.1, 0.2])
    a.grad = Tensor([1.0, 1.0], shape: [2], dtype: .float64)
    b.grad = Tensor([1.0, 1.0], shape: [2], dtype: .float64)
    try optimizer.step()
    optimizer.paramGroups[0].lr = 0.5
    try optimizer.step()
    #expect(a.asArray(Double.self) == [1 - 0.1 - 0.5, 1 - 0.1 - 0.5])
    #expect(b.asArray(Double.self) == [1 - 0.2 - 0.2, 1 - 0.2 - 0.2])
  }

  @Test("an added group takes the defaults for what it leaves out")
  func addedGroupDefaults() throws {
    let optimizer = try RMSprop([Tensor.zeros([1], requiresGrad: true)], lr: 0.5, momentum: 0.9)
    try optimizer.addParamGroup(ParamGroup([Tensor.zeros([1], requiresGrad: true)], ["alpha": 0.5]))
    let group = optimizer.paramGroups[1]
    #expect(group.lr == 0.5 && group.momentum == 0.9 && group.number("alpha") == 0.5)
    #expect(Set(group.hyperparameters.keys) == Set(optimizer.defaults.keys))
  }
}

@Suite("Programming errors")
struct ProgrammingErrorTests {
  @Test("reading a hyperparameter that the group does not have stops with its name")
  func missingHyperparameter() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let optimizer = try! SGD([Tensor.zeros([1], requiresGrad: true)])
      _ = optimizer.paramGroups[0].betas
    }
    let stderr = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
    #expect(stderr.contains("param group has no hyperparameter 'betas'"), "\(stderr)")
  }

  @Test("reading a hyperparameter of another kind stops with both kinds")
  func wrongKind() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      var group = ParamGroup([Tensor.zeros([1], requiresGrad: true)])
      group["lr"] = true
      _ = group.lr
    }
    let stderr = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
    #expect(stderr.contains("hyperparameter 'lr' is a flag, expected a number"), "\(stderr)")
  }
}
