import ArgumentParser
import DescentOptim

/// What to train on, shared by `descent compare` and `descent lr-find`.
public struct ProblemOptions: ParsableArguments {
  /// `--data`: the bundled data set (default breast cancer).
  @Option(
    help:
      "Bundled data set: breast-cancer (binary, BCEWithLogitsLoss) or digits (10 classes, CrossEntropyLoss).")
  public var data: DataSetChoice = .breastCancer

  /// `--model`: the model (default the MLP).
  @Option(help: "Model: mlp (one hidden ReLU layer) or linear (logistic regression).")
  public var model: ModelChoice = .mlp

  /// `--hidden`: hidden units of the MLP (default 32).
  @Option(help: "Hidden units of the MLP.")
  public var hidden: Int = 32

  /// `--batch-size`: rows per training batch (default 32).
  @Option(name: .customLong("batch-size"), help: "Rows per training batch.")
  public var batchSize: Int = 32

  /// `--test-fraction`: the share of rows held out (default 0.25).
  @Option(
    name: .customLong("test-fraction"), help: "Share of the rows held out for the test loss and accuracy.")
  public var testFraction: Double = 0.25

  /// `--seed`: seeds the split, the initial weights and the batch order (default 0).
  @Option(help: "Seed of the split, the initial weights and the batch order.")
  public var seed: UInt64 = 0

  /// `--threads`: threads of the speed section (compare) or the sweep (lr-find).
  @Option(
    help:
      "Threads of compare's speed section (default: all cores) and of lr-find (default 1). Compare trains on one thread, so its losses and accuracies do not depend on it."
  )
  public var threads: Int?

  /// The defaults, as with no arguments.
  public init() {}

  /// Refuses non-positive sizes and a test fraction outside (0, 1).
  public func validate() throws {
    if hidden < 1 { throw ValidationError("--hidden must be positive, got \(hidden)") }
    if batchSize < 1 { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
    if !(testFraction > 0 && testFraction < 1) {
      throw ValidationError("--test-fraction must be between 0 and 1, got \(testFraction)")
    }
    if let threads, threads < 1 { throw ValidationError("--threads must be positive, got \(threads)") }
  }

  /// The problem these options describe.
  public func makeProblem() throws -> Problem {
    try Problem(data: data, model: model, hidden: hidden, testFraction: testFraction, seed: seed)
  }

  /// The seed of the initial weights (the split uses ``seed`` itself).
  var weightSeed: UInt64 { seed &+ 1 }
  /// The seed of the loader's shuffling.
  var shuffleSeed: UInt64 { seed &+ 2 }
}

/// Every optimizer in the registry, for help texts: `sgd, rmsprop, adam, adamw`.
var registryNames: String {
  OptimizerKind.allCases.map { $0.name.lowercased() }.joined(separator: ", ")
}
