import ArgumentParser
import DescentOptim

/// The options of `descent lr-find`.
public struct LRFindOptions: ParsableArguments {
  @OptionGroup public var problem: ProblemOptions

  @Option(
    name: .customLong("opt"),
    help: ArgumentHelp(
      "The optimizer, NAME or NAME:key=value,... with PyTorch's keyword arguments (its lr is swept); any of \(registryNames).",
      valueName: "optimizer"),
    transform: { try OptimizerSpec(parsing: $0) })
  public var optimizer = OptimizerSpec(.adam)

  @Option(name: .customLong("start-lr"), help: "The first step's learning rate.")
  public var startLR: Double = 1e-7

  @Option(name: .customLong("end-lr"), help: "The rate the sweep heads for.")
  public var endLR: Double = 10

  @Option(help: "Steps of the sweep (it stops earlier when the loss diverges).")
  public var steps: Int = 300

  @Option(help: "β of the smoothed loss (a debiased exponential moving average).")
  public var smoothing: Double = 0.98

  @Option(help: "Stop when the smoothed loss exceeds this many times its minimum.")
  public var divergence: Double = 4

  @Option(help: "Folder for lr-find.svg, lr-find.csv and lr-find.json ('' for none).")
  public var out: String = "compare-out"

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

  public func validate() throws {
    _ = try makeFinder()
    try optimizer.validate()
  }
}
