import ArgumentParser
import DescentOptim

/// The options of `descent lr-find`.
public struct LRFindOptions: ParsableArguments {
  /// The data set, the model, the batch size, the seed and the threads.
  @OptionGroup public var problem: ProblemOptions

  /// `--opt`: the optimizer whose learning rate is swept (default Adam).
  @Option(
    name: .customLong("opt"),
    help: ArgumentHelp(
      "The optimizer, NAME or NAME:key=value,... with PyTorch's keyword arguments (its lr is swept); any of \(registryNames).",
      valueName: "optimizer"),
    transform: { try OptimizerSpec(parsing: $0) })
  public var optimizer = OptimizerSpec(.adam)

  /// `--start-lr`: the first step's learning rate (default `1e-7`).
  @Option(name: .customLong("start-lr"), help: "The first step's learning rate.")
  public var startLR: Double = 1e-7

  /// `--end-lr`: the rate the sweep heads for (default `10`).
  @Option(name: .customLong("end-lr"), help: "The rate the sweep heads for.")
  public var endLR: Double = 10

  /// `--steps`: steps of the sweep (default 300).
  @Option(help: "Steps of the sweep (it stops earlier when the loss diverges).")
  public var steps: Int = 300

  /// `--smoothing`: β of the smoothed loss (default 0.98).
  @Option(help: "β of the smoothed loss (a debiased exponential moving average).")
  public var smoothing: Double = 0.98

  /// `--divergence`: the stopping factor (default 4).
  @Option(help: "Stop when the smoothed loss exceeds this many times its minimum.")
  public var divergence: Double = 4

  /// `--out`: the folder for lr-find.svg, .csv and .json; empty for none (default
  /// `compare-out`).
  @Option(help: "Folder for lr-find.svg, lr-find.csv and lr-find.json ('' for none).")
  public var out: String = "compare-out"

  /// The defaults, as with no arguments.
  public init() {}

  /// The range test these options describe.
  public func makeFinder() throws -> LRFinder {
    do {
      return try LRFinder(
        startLR: startLR, endLR: endLR, steps: steps, smoothing: smoothing, divergenceFactor: divergence)
    } catch let error as OptimizerError {
      throw ValidationError(error.message)
    }
  }

  /// Refuses settings ``DescentOptim/LRFinder`` refuses and optimizer options the optimizer
  /// does not have.
  public func validate() throws {
    _ = try makeFinder()
    try optimizer.validate()
  }
}
