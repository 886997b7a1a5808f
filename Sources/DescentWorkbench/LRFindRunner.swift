import Descent
import DescentData
import DescentNN
import DescentOptim
import Foundation

/// What `descent lr-find` found: the sweep and its two suggestions.
public struct LRFindReport: Codable, Equatable, Sendable {
  /// `adam`, the `--opt` spelling.
  public var optimizer: String
  /// `MLP 30-32-1`.
  public var modelTitle: String
  /// `breast-cancer` or `digits`.
  public var data: String
  /// Rows per batch.
  public var batchSize: Int
  /// The seed of the split, the weights and the batch order.
  public var seed: UInt64
  /// The sweep's settings.
  public var startLR: Double
  /// The rate the sweep heads for.
  public var endLR: Double
  /// Steps the sweep would run without diverging.
  public var plannedSteps: Int
  /// β of the smoothed loss.
  public var smoothing: Double
  /// The stopping factor.
  public var divergenceFactor: Double
  /// Whether it stopped early on a diverging loss.
  public var diverged: Bool
  /// Per step: learning rate, loss, smoothed loss.
  public var learningRates: [Double]
  /// Each step's loss.
  public var losses: [Double]
  /// Each step's smoothed loss.
  public var smoothedLosses: [Double]
  /// The rate of the steepest descent of the smoothed loss (fastai's `steep`), the suggestion.
  public var steepestLR: Double?
  /// The rate of the lowest smoothed loss, and that rate ÷ 10 (fastai's `minimum`).
  public var minimumLossLR: Double?
  /// ``minimumLossLR`` ÷ 10.
  public var minimumOverTen: Double?
  /// The lowest smoothed loss.
  public var minimumLoss: Double?

  /// The suggested learning rate: ``steepestLR``, or ``minimumOverTen`` when the window was
  /// too short for a slope.
  public var suggestion: Double? { steepestLR ?? minimumOverTen }
}

/// Runs `descent lr-find`: a learning-rate range test (``LRFinder``) of the problem's model
/// with the chosen optimizer, cycling through a shuffling loader.
public struct LRFindRunner {
  /// The parsed command line.
  public let options: LRFindOptions

  /// - Parameter options: the parsed command line.
  public init(options: LRFindOptions) { self.options = options }

  /// Runs the sweep on a fresh model; its weights and the optimizer are restored afterwards.
  public func run() throws -> LRFindReport {
    let problem = try options.problem.makeProblem()
    let model = problem.makeModel(seed: options.problem.weightSeed)
    let optimizer = try options.optimizer.make(model.parameters())
    let loader = try DataLoader(
      problem.trainSet, batchSize: options.problem.batchSize, shuffle: true,
      generator: Generator(seed: options.problem.shuffleSeed))
    let finder = try options.makeFinder()
    let test = try Self.rangeTest(
      finder, model: model, optimizer: optimizer, loader: loader, criterion: problem.criterion)
    return LRFindReport(
      optimizer: options.optimizer.label, modelTitle: problem.modelTitle, data: problem.data.rawValue,
      batchSize: options.problem.batchSize, seed: options.problem.seed, startLR: finder.startLR,
      endLR: finder.endLR, plannedSteps: finder.steps, smoothing: finder.smoothing,
      divergenceFactor: finder.divergenceFactor, diverged: test.diverged, learningRates: test.learningRates,
      losses: test.losses, smoothedLosses: test.smoothedLosses, steepestLR: test.steepest?.lr,
      minimumLossLR: test.minimum?.lr, minimumOverTen: test.minimum?.suggestedLR,
      minimumLoss: test.minimum?.smoothedLoss)
  }

  /// The range test of `model` with `optimizer` on batches of `loader`, starting a new pass
  /// whenever one ends; the model's buffers are restored with its parameters.
  public static func rangeTest(
    _ finder: LRFinder, model: Module, optimizer: Optimizer,
    loader: DataLoader<TensorDict, TensorDict>, criterion: Loss
  ) throws -> LRRangeTest {
    var batches = loader.makeThrowingIterator()
    model.train()
    return try finder.run(optimizer, preserving: model.buffers()) {
      var batch = try batches.next()
      if batch == nil {
        batches = loader.makeThrowingIterator()
        batch = try batches.next()
      }
      guard let batch else { throw OptimizerError("lr-find: the loader yields no batches") }
      return criterion(model(batch["x"]!), batch["y"]!)
    }
  }
}
