import Descent
import DescentOptim
import DescentTestSupport
import Testing

/// PyTorch's warning for `scheduler.step()` before `optimizer.step()`.
@Suite("Scheduler step-order warning")
struct SchedulerWarningTests {
  static func optimizer() throws -> Optimizer {
    try SGD([Tensor.zeros([2], requiresGrad: true)], lr: 0.1, momentum: 0.9)
  }

  @Test("stepping the scheduler first warns once, with PyTorch's text")
  func warns() throws {
    let warnings = try SchedulerDiagnostics.warnings {
      let opt = try Self.optimizer()
      let scheduler = try StepLR(opt, stepSize: 3)
      try scheduler.step()
      try scheduler.step()  // only the first step checks, as in PyTorch
    }
    #expect(warnings.count == 1)
    #expect(warnings.first?.kind == .stepBeforeOptimizerStep)
    #expect(warnings.first?.scheduler == "StepLR")
    #expect(warnings.first?.message == SchedulerFixtures.file.step_order_warning)
  }

  @Test("the right order, or an optimizer step since any scheduler was made, gives none")
  func silentInOrder() throws {
    let warnings = try SchedulerDiagnostics.warnings {
      let opt = try Self.optimizer()
      let first = try ExponentialLR(opt, gamma: 0.9)
      try opt.step()
      try first.step()
      // PyTorch's flag belongs to the optimizer: a scheduler made after the optimizer has
      // stepped does not warn.
      let second = try StepLR(opt, stepSize: 2)
      try second.step()
      // A closure step counts too.
      let other = try Self.optimizer()
      let third = try LinearLR(other)
      try other.step { 0.0 }
      try third.step()
    }
    #expect(warnings.isEmpty, "\(warnings)")
  }

  @Test("composites warn through the scheduler they step")
  func composites() throws {
    let warnings = try SchedulerDiagnostics.warnings {
      let opt = try Self.optimizer()
      let sequential = try SequentialLR(
        opt, schedulers: [try LinearLR(opt), try ExponentialLR(opt, gamma: 0.9)], milestones: [3])
      try sequential.step()
    }
    #expect(warnings.map(\.scheduler) == ["LinearLR"])
  }

  @Test("without a handler, the warning is printed once to standard error")
  func printsOnce() async {
    let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
      let opt = try SGD([Tensor.zeros([2], requiresGrad: true)], lr: 0.1)
      for _ in 0..<3 {
        let scheduler = try StepLR(opt, stepSize: 3)
        try scheduler.step()
      }
    }
    guard let result else { return }
    let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
    #expect(stderr.components(separatedBy: "Detected call of `lr_scheduler.step()`").count == 2, "\(stderr)")
  }
}
