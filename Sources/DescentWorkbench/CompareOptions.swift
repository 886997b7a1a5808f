import ArgumentParser
import DescentOptim

/// The options of `descent compare`.
public struct CompareOptions: ParsableArguments {
  @OptionGroup public var problem: ProblemOptions

  @Option(
    name: .customLong("opt"),
    help: ArgumentHelp(
      "An optimizer to compare, NAME or NAME:key=value,... with PyTorch's keyword arguments (repeat for several); any of \(registryNames). Default: \(CompareOptions.defaultOptimizers.map(\.label).joined(separator: " ")).",
      valueName: "optimizer"),
    transform: { try OptimizerSpec(parsing: $0) })
  public var optimizers: [OptimizerSpec] = []

  @Option(
    help: ArgumentHelp(
      "Learning-rate schedule, stepped after every epoch: none, step:STEP_SIZE,GAMMA (StepLR), cosine[:T_MAX[,ETA_MIN]] (CosineAnnealingLR, T_MAX = epochs by default) or exponential:GAMMA (ExponentialLR).",
      valueName: "schedule"),
    transform: { try ScheduleSpec(parsing: $0) })
  public var schedule: ScheduleSpec = .none

  @Option(help: "Passes over the training rows per optimizer.")
  public var epochs: Int = 40

  @Option(
    help:
      "Parameters of the speed section (each optimizer's step on one float32 tensor of this many elements, as in 'descent bench optimizers'): 10M, 2.5M, 500k, or 0 to skip it."
  )
  public var params: String = "10M"

  @Option(help: "Folder for loss.svg, accuracy.svg, curves.csv and results.json ('' for none).")
  public var out: String = "compare-out"

  @Flag(help: "Print the table as JSON (the content of results.json) instead.")
  public var json = false

  public init() {}

  /// What runs without `--opt`: SGD, SGD with momentum, Nesterov momentum, RMSprop, Adam
  /// and AdamW, each at a learning rate that suits it on the bundled data (Adam and
  /// RMSprop at PyTorch's defaults ×10, plain SGD ×10 again as it has no momentum).
  public static let defaultOptimizers: [OptimizerSpec] = [
    OptimizerSpec(.sgd, ["lr": 0.1]),
    OptimizerSpec(.sgd, ["lr": 0.01, "momentum": 0.9]),
    OptimizerSpec(.sgd, ["lr": 0.01, "momentum": 0.9, "nesterov": true]),
    OptimizerSpec(.rmsprop, ["lr": 0.001]),
    OptimizerSpec(.adam, ["lr": 0.001]),
    OptimizerSpec(.adamw, ["lr": 0.001]),
  ]

  /// The optimizers to run: `--opt`, or ``defaultOptimizers``.
  public var runs: [OptimizerSpec] { optimizers.isEmpty ? Self.defaultOptimizers : optimizers }

  /// The element count of the speed section; 0 skips it.
  public var speedParameters: Int { parseCount(params) ?? 0 }

  public func validate() throws {
    if epochs < 1 { throw ValidationError("--epochs must be positive, got \(epochs)") }
    if params != "0" && parseCount(params) == nil {
      throw ValidationError("invalid --params '\(params)'; expected e.g. 10M, 2.5M, 500k, 1000000 or 0")
    }
    var seen = Set<String>()
    for spec in runs where !seen.insert(spec.label).inserted {
      throw ValidationError("--opt \(spec.label) is given twice")
    }
    for spec in runs { try spec.validate() }
  }
}
