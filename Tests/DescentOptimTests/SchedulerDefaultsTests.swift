import Descent
import DescentOptim
import DescentTestSupport
import Testing

/// The initialisers' defaults: right after construction with only the required arguments,
/// every state-dict entry and every param group equals PyTorch's.
@Suite("Scheduler defaults")
struct SchedulerDefaultsTests {
  static func twoGroups(_ type: String = "SGD") throws -> Optimizer {
    try makeScheduleOptimizer(ScheduleOptimizerSpec(type: type, lrs: [0.1, 0.03]))
  }

  /// Each scheduler, built as the generator's `defaults()` builds it.
  static let makers: [String: () throws -> (Optimizer, AnySchedule)] = [
    "LambdaLR": {
      let o = try twoGroups(); return (o, .plain(try LambdaLR(o, lrLambda: NamedClosures.epoch["pow095"]!)))
    },
    "MultiplicativeLR": {
      let o = try twoGroups()
      return (o, .plain(try MultiplicativeLR(o, lrLambda: NamedClosures.epoch["const095"]!)))
    },
    "StepLR": {
      let o = try twoGroups(); return (o, .plain(try StepLR(o, stepSize: 7)))
    },
    "MultiStepLR": {
      let o = try twoGroups(); return (o, .plain(try MultiStepLR(o, milestones: [3, 9])))
    },
    "ConstantLR": {
      let o = try twoGroups(); return (o, .plain(try ConstantLR(o)))
    },
    "LinearLR": {
      let o = try twoGroups(); return (o, .plain(try LinearLR(o)))
    },
    "ExponentialLR": {
      let o = try twoGroups(); return (o, .plain(try ExponentialLR(o, gamma: 0.9)))
    },
    "PolynomialLR": {
      let o = try twoGroups(); return (o, .plain(try PolynomialLR(o)))
    },
    "CosineAnnealingLR": {
      let o = try twoGroups(); return (o, .plain(try CosineAnnealingLR(o, tMax: 10)))
    },
    "CosineAnnealingWarmRestarts": {
      let o = try twoGroups()
      return (o, .plain(try CosineAnnealingWarmRestarts(o, t0: 10)))
    },
    "CyclicLR": {
      let o = try twoGroups(); return (o, .plain(try CyclicLR(o, baseLR: 0.01, maxLR: 0.1)))
    },
    "CyclicLR/adam": {
      let o = try twoGroups("Adam")
      return (o, .plain(try CyclicLR(o, baseLR: 0.01, maxLR: 0.1)))
    },
    "OneCycleLR": {
      let o = try twoGroups(); return (o, .plain(try OneCycleLR(o, maxLR: 0.1, totalSteps: 100)))
    },
    "ReduceLROnPlateau": {
      let o = try twoGroups(); return (o, .plateau(try ReduceLROnPlateau(o)))
    },
    "SequentialLR": {
      let o = try twoGroups()
      let s = try SequentialLR(
        o, schedulers: [try ConstantLR(o), try ExponentialLR(o, gamma: 0.9)], milestones: [5])
      return (o, .plain(s))
    },
    "ChainedScheduler": {
      let o = try twoGroups()
      return (o, .plain(try ChainedScheduler([try ConstantLR(o), try ExponentialLR(o, gamma: 0.9)])))
    },
    "SWALR": {
      let o = try twoGroups(); return (o, .plain(try SWALR(o, swaLR: 0.05)))
    },
  ]

  @Test("state dict and param groups after construction equal PyTorch's", arguments: makers.keys.sorted())
  func defaults(_ name: String) throws {
    let record = try #require(SchedulerFixtures.file.defaults[name])
    let (opt, schedule) = try Self.makers[name]!()
    let differences = stateDifferences(record.state_dict, .dict(schedule.stateDict().values))
    #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    #expect(opt.paramGroups.count == record.param_groups.count)
    for (i, (group, expected)) in zip(opt.paramGroups, record.param_groups).enumerated() {
      let differences = objectDifferences(
        expected, group.hyperparameters.mapValues(\.stateValue), at: "group \(i)")
      #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }
  }

  @Test("every scheduler of the fixture's defaults is built here")
  func coverage() {
    #expect(Set(Self.makers.keys) == Set(SchedulerFixtures.file.defaults.keys))
  }
}
