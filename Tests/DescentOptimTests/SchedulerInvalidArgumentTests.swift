import Descent
import DescentOptim
import DescentTestSupport
import Testing

/// An optimizer with neither momentum nor betas (PyTorch's cases use Adagrad), written
/// outside DescentOptim as a user would: a rule and a class over it.
final class PlainDescent: RuleOptimizer<PlainDescent.Rule> {
  init(_ params: [Tensor], lr: Double) throws {
    try super.init(params, defaults: ["lr": .number(lr)])
  }

  struct State: OptimizerState {
    var stateDict: [String: Tensor] { [:] }
  }

  /// θ ← θ - lr·g
  struct Rule: OptimizerRule {
    static let name = "PlainDescent"
    let lr: Double
    init(_ group: ParamGroup) { lr = group.lr }
    func validate() throws {
      if lr < 0 { throw OptimizerError("Invalid learning rate: \(lr)") }
    }
    func makeState(for param: Tensor) -> State { State() }
    func decodeState(_ decoder: inout StateDecoder) throws -> State { State() }
    mutating func beginStep(_ state: inout State, for param: Tensor) {}
    func reference<T: TensorScalar>(
      _: T.Type, param: Tensor, grad: Tensor, state: State, scalars: Void
    ) {
      withNoGrad { _ = param.subInPlace(grad, alpha: lr) }
    }
    func blas<T: TensorScalar>(_: T.Type, param: Tensor, grad: Tensor, state: State, scalars: Void) {
      reference(T.self, param: param, grad: grad, state: state, scalars: ())
    }
  }
}

/// Every invalid argument of the generator's `invalid_cases()`, with PyTorch's message, and
/// the optimizer left as it was.
@Suite("Scheduler invalid arguments")
struct SchedulerInvalidArgumentTests {
  static func twoGroups() throws -> Optimizer {
    try makeScheduleOptimizer(ScheduleOptimizerSpec(type: "SGD", lrs: [0.1, 0.03]))
  }

  /// Each case: its preparation, given the optimizer to build on, returning the call that
  /// throws.
  static let cases: [String: (Optimizer) throws -> () throws -> Void] = [
    "ConstantLR/factor>1": { o in { _ = try ConstantLR(o, factor: 1.5) } },
    "ConstantLR/factor<0": { o in { _ = try ConstantLR(o, factor: -0.1) } },
    "LinearLR/start=0": { o in { _ = try LinearLR(o, startFactor: 0.0) } },
    "LinearLR/start>1": { o in { _ = try LinearLR(o, startFactor: 1.5) } },
    "LinearLR/end>1": { o in { _ = try LinearLR(o, endFactor: 1.5) } },
    "LinearLR/end<0": { o in { _ = try LinearLR(o, endFactor: -0.1) } },
    "LambdaLR/count": { o in
      { _ = try LambdaLR(o, lrLambda: Array(repeating: NamedClosures.epoch["pow095"]!, count: 3)) }
    },
    "MultiplicativeLR/count": { o in
      { _ = try MultiplicativeLR(o, lrLambda: [NamedClosures.epoch["const095"]!]) }
    },
    "CosineAnnealingWarmRestarts/T_0": { o in { _ = try CosineAnnealingWarmRestarts(o, t0: 0) } },
    "CosineAnnealingWarmRestarts/T_mult": { o in { _ = try CosineAnnealingWarmRestarts(o, t0: 5, tMult: 0) }
    },
    "CosineAnnealingWarmRestarts/negative-epoch": { o in
      let s = try CosineAnnealingWarmRestarts(o, t0: 5)
      return { try s.step(epoch: -1.5) }
    },
    "CyclicLR/base_lr-count": { o in { _ = try CyclicLR(o, baseLR: [0.01, 0.02, 0.03], maxLR: 0.1) } },
    "CyclicLR/max_lr-count": { o in { _ = try CyclicLR(o, baseLR: 0.01, maxLR: [0.1]) } },
    "CyclicLR/no-momentum": { _ in
      let plain = try PlainDescent([Tensor.zeros([2], requiresGrad: true)], lr: 0.1)
      return { _ = try CyclicLR(plain, baseLR: 0.01, maxLR: 0.1) }
    },
    "CyclicLR/base_momentum-count": { o in
      { _ = try CyclicLR(o, baseLR: 0.01, maxLR: 0.1, baseMomentum: [0.8]) }
    },
    "CyclicLR/max_momentum-count": { o in
      { _ = try CyclicLR(o, baseLR: 0.01, maxLR: 0.1, maxMomentum: [0.9, 0.9, 0.9]) }
    },
    "CyclicLR/zero-steps": { o in
      { _ = try CyclicLR(o, baseLR: 0.01, maxLR: 0.1, stepSizeUp: 0, stepSizeDown: 0) }
    },
    "OneCycleLR/total_steps": { o in { _ = try OneCycleLR(o, maxLR: 0.1, totalSteps: 0) } },
    "OneCycleLR/epochs": { o in { _ = try OneCycleLR(o, maxLR: 0.1, epochs: 0, stepsPerEpoch: 10) } },
    "OneCycleLR/steps_per_epoch": { o in { _ = try OneCycleLR(o, maxLR: 0.1, epochs: 3, stepsPerEpoch: -1) }
    },
    "OneCycleLR/no-total": { o in { _ = try OneCycleLR(o, maxLR: 0.1) } },
    "OneCycleLR/pct_start": { o in { _ = try OneCycleLR(o, maxLR: 0.1, totalSteps: 10, pctStart: 1.5) } },
    "OneCycleLR/max_lr-count": { o in { _ = try OneCycleLR(o, maxLR: [0.1, 0.2, 0.3], totalSteps: 10) } },
    "OneCycleLR/no-momentum": { _ in
      let plain = try PlainDescent([Tensor.zeros([2], requiresGrad: true)], lr: 0.1)
      return { _ = try OneCycleLR(plain, maxLR: 0.1, totalSteps: 10) }
    },
    "OneCycleLR/max_momentum-count": { o in
      { _ = try OneCycleLR(o, maxLR: 0.1, totalSteps: 10, maxMomentum: [0.9]) }
    },
    "ReduceLROnPlateau/factor": { o in { _ = try ReduceLROnPlateau(o, factor: 1.0) } },
    "ReduceLROnPlateau/min_lr-count": { o in { _ = try ReduceLROnPlateau(o, minLR: [0.1, 0.2, 0.3]) } },
    "SequentialLR/empty": { o in { _ = try SequentialLR(o, schedulers: [], milestones: []) } },
    "SequentialLR/milestones": { o in
      let schedulers: [any LRScheduler] = [try ConstantLR(o), try ExponentialLR(o, gamma: 0.9)]
      return { _ = try SequentialLR(o, schedulers: schedulers, milestones: [5, 10]) }
    },
    "ChainedScheduler/empty": { _ in { _ = try ChainedScheduler([]) } },
    "StepLR/resume-without-initial_lr": { o in { _ = try StepLR(o, stepSize: 3, lastEpoch: 5) } },
    "SWALR/swa_lr-count": { o in { _ = try SWALR(o, swaLR: [0.1, 0.2, 0.3]) } },
    "SWALR/anneal_epochs": { o in { _ = try SWALR(o, swaLR: 0.1, annealEpochs: -1) } },
    "SequentialLR/other-optimizer": { o in
      let schedulers: [any LRScheduler] = [try ConstantLR(o), try StepLR(try twoGroups(), stepSize: 3)]
      return { _ = try SequentialLR(o, schedulers: schedulers, milestones: [5]) }
    },
    "ChainedScheduler/other-optimizer": { o in
      let schedulers: [any LRScheduler] = [try ConstantLR(o), try StepLR(try twoGroups(), stepSize: 3)]
      return { _ = try ChainedScheduler(schedulers) }
    },
    "ReduceLROnPlateau/load-mode": { o in
      let s = try ReduceLROnPlateau(o)
      var state = s.stateDict()
      state["mode"] = .string("median")
      return { try s.loadStateDict(state) }
    },
    "ReduceLROnPlateau/load-threshold_mode": { o in
      let s = try ReduceLROnPlateau(o)
      var state = s.stateDict()
      state["threshold_mode"] = .string("percent")
      return { try s.loadStateDict(state) }
    },
    "ReduceLROnPlateau/group-added": { o in
      let s = try ReduceLROnPlateau(o, patience: 0, minLR: [0.0, 0.0])
      try o.addParamGroup(ParamGroup([Tensor.zeros([1], requiresGrad: true)], ["lr": 0.5]))
      try s.step(metric: 1.0)
      return { try s.step(metric: 2.0) }
    },
  ]

  static var names: [String] { SchedulerFixtures.file.invalid_arguments.map(\.case) }

  @Test("PyTorch's message, and the optimizer untouched", arguments: names)
  func message(_ name: String) throws {
    let expected = SchedulerFixtures.file.invalid_arguments.first { $0.case == name }!
    let prepare = try #require(Self.cases[name], "no Swift case for \(name)")
    let opt = try Self.twoGroups()
    let call = try prepare(opt)
    let before = opt.paramGroups.map(\.hyperparameters)
    let error = #expect(throws: SchedulerError.self) { try call() }
    let message = try #require(error).message
    if let text = expected.message {
      if expected.type == "ZeroDivisionError" {
        #expect(message.hasPrefix(text + " ("), "\(message)")
      } else {
        #expect(message == text)
      }
    } else {
      #expect(message.hasPrefix(expected.prefix!), "\(message)")
      #expect(message.hasSuffix(expected.suffix!), "\(message)")
    }
    // The failing call changes no group (PyTorch's CyclicLR and OneCycleLR write some before
    // they check everything; Descent checks first).
    #expect(opt.paramGroups.map(\.hyperparameters) == before)
  }

  @Test("every Swift case is one of the fixture's")
  func coverage() {
    #expect(Set(Self.cases.keys) == Set(Self.names))
  }

  @Test("a scheduler whose initial step throws restores the groups it had written")
  func rollback() throws {
    let opt = try Self.twoGroups()
    let before = opt.paramGroups.map(\.hyperparameters)
    // Resuming past the end: OneCycleLR raises in its initial step (PyTorch: ValueError).
    for i in opt.paramGroups.indices {
      for key in ["initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"] {
        opt.paramGroups[i][key] = .number(0.01)
      }
    }
    let prepared = opt.paramGroups.map(\.hyperparameters)
    #expect(throws: SchedulerError("Tried to step 11 times. The specified number of total steps is 10")) {
      _ = try OneCycleLR(opt, maxLR: 0.1, totalSteps: 10, lastEpoch: 10)
    }
    #expect(opt.paramGroups.map(\.hyperparameters) == prepared)
    #expect(prepared != before)
  }
}
