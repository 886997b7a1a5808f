import Descent
import DescentCheckpoint
import DescentNN
import DescentOptim
import Foundation
import Testing

/// A small regression trained with every registry optimizer and a scheduler, the same way
/// in every process.
enum ResumeScenario {
  static let totalSteps = 9
  static let savedAt = 4

  /// Options that give each optimizer more state than its defaults do.
  static func options(_ kind: OptimizerKind) -> [String: HyperValue] {
    switch kind.name {
    case "SGD": ["lr": 0.05, "momentum": 0.9, "nesterov": true, "weight_decay": 0.01]
    case "RMSprop": ["lr": 0.01, "momentum": 0.5, "centered": true]
    case "Adam": ["lr": 0.02, "amsgrad": true]
    case "AdamW": ["lr": 0.02, "weight_decay": 0.1]
    default: ["lr": 0.01]
    }
  }

  static func build(_ kind: OptimizerKind, scheduler index: Int) throws -> (
    Module, Optimizer, any LRScheduler
  ) {
    let model = Sequential(Linear(4, 8), Tanh(), Linear(8, 2))
    // The initial weights come from a generator of this run's own: other tests running at
    // the same time draw from the process's default one.
    let generator = Generator(seed: 11)
    withNoGrad {
      for p in model.parameters() { p.copyInPlace(from: Tensor.randn(p.shape, generator: generator) * 0.5) }
    }
    let optimizer = try kind.make(model.parameters(), options(kind))
    let scheduler: any LRScheduler =
      switch index % 4 {
      case 0: try StepLR(optimizer, stepSize: 3, gamma: 0.5)
      case 1: try ExponentialLR(optimizer, gamma: 0.9)
      case 2: try CosineAnnealingLR(optimizer, tMax: 5)
      // Momentum (or beta1) is cycled where the optimizer has one, as PyTorch requires.
      default:
        try OneCycleLR(
          optimizer, maxLR: 0.05, totalSteps: totalSteps + 1,
          cycleMomentum: optimizer.defaults["momentum"] != nil || optimizer.defaults["betas"] != nil)
      }
    return (model, optimizer, scheduler)
  }

  static func train(
    _ steps: Range<Int>, _ model: Module, _ optimizer: Optimizer, _ scheduler: any LRScheduler
  )
    throws
  {
    let generator = Generator(seed: 5)
    let x = Tensor.randn([16, 4], generator: generator)
    let y = Tensor.randn([16, 2], generator: generator)
    for step in steps {
      let rows = (step % 4) * 4
      optimizer.zeroGrad()
      let loss = MSELoss()(
        model(x.slice(dim: 0, start: rows, end: rows + 4)), y.slice(dim: 0, start: rows, end: rows + 4))
      loss.backward()
      try optimizer.step()
      try scheduler.step()
    }
  }
}

@Suite struct ResumeTests {
  /// Train, save at step 4, restore in a new process and finish: the model, the optimizer
  /// and the scheduler end bitwise where an uninterrupted run ends.
  @Test(arguments: OptimizerKind.allCases.enumerated().map { ($0.offset, $0.element.name) })
  func resumingInAFreshProcessIsBitwiseExact(_ index: Int, _ name: String) async throws {
    let kind = try #require(OptimizerKind(name: name))
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let saved = directory.appendingPathComponent("step4.safetensors").path
    let finished = directory.appendingPathComponent("finished.safetensors").path

    let (model, optimizer, scheduler) = try ResumeScenario.build(kind, scheduler: index)
    try ResumeScenario.train(0..<ResumeScenario.totalSteps, model, optimizer, scheduler)
    let uninterrupted = Checkpoint(
      model: model, optimizer: optimizer, scheduler: scheduler, step: ResumeScenario.totalSteps)

    let (first, firstOptimizer, firstScheduler) = try ResumeScenario.build(kind, scheduler: index)
    try ResumeScenario.train(0..<ResumeScenario.savedAt, first, firstOptimizer, firstScheduler)
    try Checkpoint(
      model: first, optimizer: firstOptimizer, scheduler: firstScheduler, step: ResumeScenario.savedAt
    )
    .save(to: URL(fileURLWithPath: saved))

    await #expect(processExitsWith: .success) {
      [name = name as String, index = index as Int, saved = saved as String, finished = finished as String] in
      let kind = OptimizerKind(name: name)!
      let (model, optimizer, scheduler) = try ResumeScenario.build(kind, scheduler: index)
      let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: saved))
      try checkpoint.restore(model: model, optimizer: optimizer, scheduler: scheduler)
      try ResumeScenario.train(checkpoint.step..<ResumeScenario.totalSteps, model, optimizer, scheduler)
      try Checkpoint(
        model: model, optimizer: optimizer, scheduler: scheduler, step: ResumeScenario.totalSteps
      )
      .save(to: URL(fileURLWithPath: finished))
    }

    let resumed = try Checkpoint.load(from: URL(fileURLWithPath: finished))
    #expect(Array(resumed.model.keys) == Array(uninterrupted.model.keys))
    for (key, tensor) in uninterrupted.model {
      #expect(bitwiseEqual(resumed.model[key]!, tensor), "\(name): \(key)")
    }
    #expect(sameState(resumed.optimizer, uninterrupted.optimizer), "\(name)")
    #expect(resumed.scheduler == uninterrupted.scheduler, "\(name)")
  }
}
