import Descent
import DescentOptim
import Testing

/// Every configuration of scripts/gen_scheduler_fixtures.py: each group's `lr` after
/// construction and after each of 150 steps, and for the cyclic schedules its momentum (or
/// beta1), to 1e-12 relative; the step where PyTorch raises; `lastLR`.
@Suite("Scheduler trajectories against PyTorch")
struct SchedulerTrajectoryTests {
  @Test("every value of every configuration matches PyTorch", arguments: SchedulerFixtures.configNames)
  func trajectory(_ name: String) throws {
    let config = SchedulerFixtures.config(name)
    let (opt, schedule) = try makeScheduleSetup(config)
    try expectSnapshot(config.initial, opt, schedule, at: 0, momentum: true)
    let initialMomenta = momenta(opt)

    let failure = try runSchedule(config, opt, schedule, steps: 1...SchedulerFixtures.steps) { step in
      try expectSnapshot(config.trajectory[step - 1], opt, schedule, at: step, momentum: config.isCyclic)
      if !config.isCyclic {
        #expect(momenta(opt) == initialMomenta, "step \(step): a non-cyclic schedule changed the momentum")
      }
    }

    if let expected = config.error {
      let (step, error) = try #require(failure, "PyTorch raises at step \(expected.step); Descent did not")
      #expect(step == expected.step)
      let message = try #require(error as? SchedulerError).message
      switch expected.type {
      case "ValueError":
        #expect(message == expected.message)
      case "ZeroDivisionError":
        #expect(message.hasPrefix(expected.message + " ("), "\(message)")
      default:
        #expect(message.hasPrefix(expected.type), "\(message)")
      }
    } else {
      #expect(failure == nil, "Descent throws at step \(failure!.step): \(failure!.error)")
      #expect(config.trajectory.count == SchedulerFixtures.steps)
    }
  }

  func expectSnapshot(
    _ expected: ScheduleSnapshot, _ opt: Optimizer, _ schedule: AnySchedule, at step: Int, momentum: Bool,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let lrs = opt.paramGroups.map(\.lr)
    let worst = relativeMismatch(lrs, expected.lr)
    #expect(worst.passes, "step \(step) lr: \(worst)", sourceLocation: sourceLocation)
    #expect(
      schedule.lastLR == lrs, "step \(step): lastLR \(schedule.lastLR), groups \(lrs)",
      sourceLocation: sourceLocation)
    if momentum {
      let expectedMomenta = try #require(expected.momentum, sourceLocation: sourceLocation)
      let worst = relativeMismatch(momenta(opt), expectedMomenta)
      #expect(worst.passes, "step \(step) momentum: \(worst)", sourceLocation: sourceLocation)
    }
  }

  @Test("the fixture covers every scheduler with at least 4 configurations")
  func coverage() {
    let counts = Dictionary(grouping: SchedulerFixtures.file.configs, by: \.type).mapValues(\.count)
    let all = [
      "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
      "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
      "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler", "SWALR",
    ]
    for type in all { #expect(counts[type, default: 0] >= 4, "\(type): \(counts[type, default: 0])") }
    #expect(Set(counts.keys) == Set(all))
    for config in SchedulerFixtures.file.configs { #expect(config.initial.lr.count == 2) }
  }
}
