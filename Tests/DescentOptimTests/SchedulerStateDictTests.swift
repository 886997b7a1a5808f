import Descent
import DescentOptim
import DescentTestSupport
import Foundation
import Testing

/// Scheduler state dicts: PyTorch's keys and values, resuming mid-schedule, and the optimizer
/// state dicts that carry the keys schedulers write.
@Suite("Scheduler state dicts")
struct SchedulerStateDictTests {
  /// The configurations that run past the state-dict step.
  static let resumable = SchedulerFixtures.file.configs.filter { $0.state_dict != nil }.map(\.name)

  @Test("stateDict() holds PyTorch's keys and values after 60 steps", arguments: resumable)
  func matchesPyTorch(_ name: String) throws {
    let config = SchedulerFixtures.config(name)
    let (opt, schedule) = try makeScheduleSetup(config)
    try runSchedule(config, opt, schedule, steps: 1...SchedulerFixtures.stateAt)
    let differences = stateDifferences(config.state_dict!, .dict(schedule.stateDict().values))
    #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
  }

  @Test(
    "save at step 60, load into a new scheduler over a new optimizer, continue: PyTorch's sequence and the uninterrupted one",
    arguments: resumable)
  func resume(_ name: String) throws {
    let config = SchedulerFixtures.config(name)
    let last = config.error.map { $0.step - 1 } ?? SchedulerFixtures.steps
    let (opt, schedule) = try makeScheduleSetup(config)
    var uninterrupted: [[Double]] = []
    try runSchedule(config, opt, schedule, steps: 1...last) { _ in
      uninterrupted.append(opt.paramGroups.map(\.lr) + momenta(opt))
    }

    let (first, firstSchedule) = try makeScheduleSetup(config)
    try runSchedule(config, first, firstSchedule, steps: 1...SchedulerFixtures.stateAt)
    // Through JSON, as a checkpoint would store it (a float with an integral value comes back
    // as an int, which loading accepts).
    let savedSchedule = try JSONDecoder().decode(
      SchedulerStateDict.self, from: try JSONEncoder().encode(firstSchedule.stateDict()))
    let savedOptimizer = first.stateDict()

    // PyTorch's order: build both, load the optimizer's state, then the scheduler's.
    let (resumed, resumedSchedule) = try makeScheduleSetup(config)
    try resumed.loadStateDict(savedOptimizer)
    try resumedSchedule.loadStateDict(savedSchedule)
    #expect(resumedSchedule.stateDict() == firstSchedule.stateDict())
    var continued: [[Double]] = []
    try runSchedule(config, resumed, resumedSchedule, steps: (SchedulerFixtures.stateAt + 1)...last) { step in
      continued.append(resumed.paramGroups.map(\.lr) + momenta(resumed))
      let worst = relativeMismatch(resumed.paramGroups.map(\.lr), config.trajectory[step - 1].lr)
      #expect(worst.passes, "step \(step): \(worst)")
    }
    #expect(continued == Array(uninterrupted[SchedulerFixtures.stateAt...]))
  }

  @Test("an optimizer state dict saved mid-schedule loads back, initial_lr and max_lr included")
  func optimizerStateDictKeepsSchedulerKeys() throws {
    let p = Tensor.zeros([2], dtype: .float64, requiresGrad: true)
    let opt = try SGD([p], lr: 0.1, momentum: 0.9)
    _ = try OneCycleLR(opt, maxLR: 0.5, totalSteps: 20)
    let saved = opt.stateDict()
    for key in ["initial_lr", "max_lr", "min_lr", "base_momentum", "max_momentum"] {
      #expect(saved.paramGroups[0][key] != nil, "\(key)")
    }
    let other = try SGD([Tensor.zeros([2], dtype: .float64, requiresGrad: true)], lr: 0.1, momentum: 0.9)
    try other.loadStateDict(saved)
    #expect(other.paramGroups[0].hyperparameters == opt.paramGroups[0].hyperparameters)
    // A group may also be added with them.
    try other.addParamGroup(
      ParamGroup([Tensor.zeros([1], dtype: .float64, requiresGrad: true)], ["initial_lr": 0.2]))
    #expect(other.paramGroups[1]["initial_lr"] == .number(0.2))
    // They must be numbers, and other unknown keys are still refused.
    #expect(throws: OptimizerError.self) {
      try other.addParamGroup(ParamGroup([Tensor.zeros([1], requiresGrad: true)], ["max_lr": true]))
    }
    #expect(throws: OptimizerError.self) {
      try other.addParamGroup(ParamGroup([Tensor.zeros([1], requiresGrad: true)], ["max_lrs": 0.1]))
    }
  }

  @Test("loadStateDict rejects another scheduler's state and values of the wrong kind, changing nothing")
  func rejectsForeignState() throws {
    let p = Tensor.zeros([2], requiresGrad: true)
    let opt = try SGD([p], lr: 0.1)
    let step = try StepLR(opt, stepSize: 3)
    let cosine = try CosineAnnealingLR(opt, tMax: 10)
    let before = step.stateDict()
    #expect(throws: SchedulerError.self) { try step.loadStateDict(cosine.stateDict()) }
    var wrong = before
    wrong["step_size"] = .string("three")
    #expect(throws: SchedulerError.self) { try step.loadStateDict(wrong) }
    wrong = before
    wrong["last_epoch"] = .int(40)
    wrong["gamma"] = .bool(true)
    #expect(throws: SchedulerError.self) { try step.loadStateDict(wrong) }
    #expect(step.stateDict() == before)

    // A composite restores the schedulers it already loaded when a later one fails.
    let chained = try ChainedScheduler([try ConstantLR(opt), try ExponentialLR(opt, gamma: 0.9)])
    let chainedBefore = chained.stateDict()
    guard case .list(var subs)? = chainedBefore["_schedulers"], case .dict(var first) = subs[0],
      case .dict(var second) = subs[1]
    else { Issue.record("no _schedulers"); return }
    first["last_epoch"] = .int(7)
    second["gamma"] = .string("x")
    subs = [.dict(first), .dict(second)]
    var broken = chainedBefore
    broken["_schedulers"] = .list(subs)
    #expect(throws: SchedulerError.self) { try chained.loadStateDict(broken) }
    #expect(chained.stateDict() == chainedBefore)
  }

  @Test("closures are not saved: their entries are None, and a new scheduler gets them again")
  func closuresAreNotSaved() throws {
    let opt = try SGD([Tensor.zeros([2], requiresGrad: true)], lr: 0.1)
    let lambda = try LambdaLR(opt) { epoch in pow(0.9, Double(epoch)) }
    #expect(lambda.stateDict()["lr_lambdas"] == .list([.null]))
    let cyclic = try CyclicLR(opt, baseLR: 0.01, maxLR: 0.1, scaleFn: { _ in 0.5 })
    #expect(cyclic.stateDict()["_scale_fn_custom"] == SchedulerStateValue.null)
    let json = String(decoding: try JSONEncoder().encode(lambda.stateDict()), as: UTF8.self)
    #expect(json.contains("\"lr_lambdas\":[null]"))
  }
}
