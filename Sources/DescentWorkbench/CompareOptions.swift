import ArgumentParser
import DescentOptim

/// The options of `descent compare`.
public struct CompareOptions: ParsableArguments {
  /// The data set, the model, the batch size, the seed and the threads.
  @OptionGroup public var problem: ProblemOptions

  /// `--opt`: the optimizers to compare; empty means ``defaultOptimizers``.
  @Option(
    name: .customLong("opt"),
    help: ArgumentHelp(
      "An optimizer to compare, NAME or NAME:key=value,... with PyTorch's keyword arguments (repeat for several); any of \(registryNames). Default: \(CompareOptions.defaultOptimizers.map(\.label).joined(separator: " ")).",
      valueName: "optimizer"),
    transform: { try OptimizerSpec(parsing: $0) })
  public var optimizers: [OptimizerSpec] = []

  /// `--schedule`: the learning-rate schedule, stepped after every epoch (default none).
  @Option(
    help: ArgumentHelp(
      "Learning-rate schedule, stepped after every epoch: none, step:STEP_SIZE,GAMMA (StepLR), cosine[:T_MAX[,ETA_MIN]] (CosineAnnealingLR, T_MAX = epochs by default) or exponential:GAMMA (ExponentialLR). Default: none.",
      valueName: "schedule"),
    transform: { try ScheduleSpec(parsing: $0) })
  public var schedule: ScheduleSpec = .none

  /// `--epochs`: passes over the training rows per optimizer (default 40).
  @Option(help: "Passes over the training rows per optimizer.")
  public var epochs: Int = 40

  /// `--params`: the element count of the speed section, `0` to skip it (default `10M`).
  @Option(
    help:
      "Parameters of the speed section (each optimizer's step on one float32 tensor of this many elements, as in 'descent bench optimizers'): 10M, 2.5M, 500k, or 0 to skip it."
  )
  public var params: String = "10M"

  /// `--out`: the folder for the plots, the curves and the JSON; empty for none
  /// (default `compare-out`).
  @Option(help: "Folder for loss.svg, accuracy.svg, curves.csv and results.json ('' for none).")
  public var out: String = "compare-out"

  /// `--json`: print the JSON instead of the table.
  @Flag(help: "Print the table as JSON (the content of results.json) instead.")
  public var json = false

  /// The defaults, as with no arguments.
  public init() {}

  /// What runs without `--opt`: SGD, SGD with momentum, Nesterov momentum, RMSprop, Adam
  /// and AdamW, each at PyTorch's default learning rate except SGD, whose default (1e-3) is
  /// far too small: 0.1 plain, and 0.01 with momentum 0.9, the same effective step size
  /// `lr / (1 − momentum)`.
  public static let defaultOptimizers: [OptimizerSpec] = [
    OptimizerSpec(.sgd, ["lr": 0.1]),
    OptimizerSpec(.sgd, ["lr": 0.01, "momentum": 0.9]),
    OptimizerSpec(.sgd, ["lr": 0.01, "momentum": 0.9, "nesterov": true]),
    OptimizerSpec(.rmsprop, ["lr": 0.01]),
    OptimizerSpec(.adam, ["lr": 0.001]),
    OptimizerSpec(.adamw, ["lr": 0.001]),
  ]

  /// The optimizers to run: `--opt`, or ``defaultOptimizers``.
  public var runs: [OptimizerSpec] { optimizers.isEmpty ? Self.defaultOptimizers : optimizers }

  /// The element count of the speed section; 0 skips it.
  public var speedParameters: Int { parseCount(params) ?? 0 }

  /// Refuses a non-positive epoch count, a bad `--params`, an optimizer given twice, and
  /// options an optimizer does not have or refuses (with the registry's message).
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
