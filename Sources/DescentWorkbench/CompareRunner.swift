import Descent
import DescentData
import DescentNN
import DescentOptim
import Foundation

/// Measures each optimizer's step on a large parameter vector; the `descent` tool passes
/// the benchmark's measurement (`descent bench optimizers`' parameters, yardstick and timer).
public typealias SpeedProbe = (_ optimizers: [OptimizerSpec], _ params: Int) throws -> CompareReport.Speed

/// Runs `descent compare`: trains the problem's model once per optimizer, from the same
/// initial weights and in the same batch order, and collects a ``CompareReport``.
public struct CompareRunner {
  /// The parsed command line.
  public let options: CompareOptions
  /// Where progress goes.
  public let progress: ProgressStyle

  /// - Parameters:
  ///   - options: the parsed command line.
  ///   - progress: where progress goes (default: a bar on a terminal, lines otherwise).
  public init(options: CompareOptions, progress: ProgressStyle = .automatic) {
    self.options = options
    self.progress = progress
  }

  /// Trains every optimizer, then measures their speed with `speedProbe` unless `--params`
  /// is 0 or `speedProbe` is `nil`.
  public func run(speedProbe: SpeedProbe? = nil) throws -> CompareReport {
    let problem = try options.problem.makeProblem()
    let batchSize = options.problem.batchSize
    var report = CompareReport(
      configuration: .init(
        data: problem.data.rawValue, model: problem.model.rawValue, modelTitle: problem.modelTitle,
        loss: problem.lossName, trainRows: problem.train.count, testRows: problem.test.count,
        batchSize: batchSize, epochs: options.epochs,
        stepsPerEpoch: (problem.train.count + batchSize - 1) / batchSize,
        seed: options.problem.seed, schedule: options.schedule.description),
      results: [], speed: nil, machine: nil)
    let reporter = ProgressReporter(style: progress)
    for spec in options.runs {
      report.results.append(try train(spec, on: problem, reporter: reporter))
    }
    let params = options.speedParameters
    if params > 0, let speedProbe {
      reporter.note("speed: \(options.runs.count) optimizers × \(formatCount(params)) float32 parameters")
      report.speed = try speedProbe(options.runs, params)
    }
    return report
  }

  /// One optimizer's run: epoch 0 is the initial model, then `epochs` passes over a loader
  /// that shuffles with its own seeded generator, so every optimizer sees the same batches.
  func train(_ spec: OptimizerSpec, on problem: Problem, reporter: ProgressReporter) throws
    -> CompareReport.OptimizerResult
  {
    let model = problem.makeModel(seed: options.problem.weightSeed)
    let loader = try DataLoader(
      problem.trainSet, batchSize: options.problem.batchSize, shuffle: true,
      generator: Generator(seed: options.problem.shuffleSeed))
    let criterion = problem.criterion
    let optimizer = try spec.make(model.parameters())
    let scheduler = try options.schedule.make(optimizer, epochs: options.epochs)

    let initial = problem.evaluate(model)
    var curve = [
      CompareReport.EpochPoint(
        epoch: 0, lr: optimizer.paramGroups[0].lr, trainLoss: initial.trainLoss, testLoss: initial.testLoss,
        testAccuracy: initial.testAccuracy)
    ]
    var steps = 0
    var seconds = 0.0
    var diverged = false
    model.train()
    for epoch in 1...options.epochs {
      let lr = optimizer.paramGroups[0].lr
      let start = ContinuousClock.now
      for batch in loader {
        optimizer.zeroGrad()
        let loss = criterion(model(batch["x"]!), batch["y"]!)
        loss.backward()
        try optimizer.step()
        steps += 1
      }
      try scheduler?.step()
      seconds += (ContinuousClock.now - start).seconds
      let evaluation = problem.evaluate(model)
      curve.append(
        .init(
          epoch: epoch, lr: lr, trainLoss: evaluation.trainLoss, testLoss: evaluation.testLoss,
          testAccuracy: evaluation.testAccuracy))
      reporter.epoch(
        spec.label, epoch, of: options.epochs, loss: evaluation.trainLoss, accuracy: evaluation.testAccuracy,
        stepsPerSecond: Double(steps) / max(seconds, 1e-9))
      if !evaluation.trainLoss.isFinite {
        diverged = true
        reporter.note(
          "\(spec.label): the training loss is \(evaluation.trainLoss) after epoch \(epoch); stopping")
        break
      }
    }
    let last = curve.last!
    let trainLosses = curve.map(\.trainLoss)
    return CompareReport.OptimizerResult(
      optimizer: spec.label, description: spec.description, finalTrainLoss: last.trainLoss,
      finalTestLoss: last.testLoss, testAccuracy: last.testAccuracy,
      bestTrainLoss: trainLosses.filter(\.isFinite).min() ?? .nan,
      epochsTo95: CompareReport.epochsToReach(fraction: 0.95, of: trainLosses), diverged: diverged,
      steps: steps, curve: curve,
      timing: .init(wallSeconds: seconds, stepsPerSecond: Double(steps) / max(seconds, 1e-9)))
  }
}

extension Duration {
  /// The duration in seconds.
  var seconds: Double {
    let (whole, attoseconds) = components
    return Double(whole) + Double(attoseconds) * 1e-18
  }
}
