import Foundation

/// What `descent compare` measured: the configuration, one result per optimizer, the speed
/// section and the machine. `results.json` is its JSON form.
///
/// Everything outside ``OptimizerResult/timing``, ``speed`` and ``machine`` is a function of
/// the command line alone: the same command gives the same values, whatever the thread
/// count or the load. Those three hold what the clock and the machine decide.
public struct CompareReport: Codable, Equatable, Sendable {
  /// What was trained, how.
  public struct Configuration: Codable, Equatable, Sendable {
    /// `breast-cancer` or `digits`.
    public var data: String
    /// `mlp` or `linear`.
    public var model: String
    /// `MLP 30-32-1`.
    public var modelTitle: String
    /// `BCEWithLogitsLoss` or `CrossEntropyLoss` (mean over the batch).
    public var loss: String
    /// Training and test rows.
    public var trainRows: Int
    /// Test rows.
    public var testRows: Int
    /// Rows per batch.
    public var batchSize: Int
    /// Epochs per optimizer.
    public var epochs: Int
    /// Optimizer steps per epoch (batches, the last one possibly short).
    public var stepsPerEpoch: Int
    /// The seed of the split, the initial weights and the batch order.
    public var seed: UInt64
    /// `none`, `step:20,0.5`, ...
    public var schedule: String
  }

  /// One epoch of one optimizer's run; epoch 0 is the initial model.
  public struct EpochPoint: Codable, Equatable, Sendable {
    /// The epoch; 0 is the model before training.
    public var epoch: Int
    /// The learning rate of the epoch's steps (group 0), before the scheduler's step.
    public var lr: Double
    /// Mean loss over all training rows after the epoch (evaluation mode).
    public var trainLoss: Double
    /// Mean loss over the test rows.
    public var testLoss: Double
    /// Share of test rows classified correctly.
    public var testAccuracy: Double
  }

  /// Wall-clock figures of one run: not reproducible.
  public struct Timing: Codable, Equatable, Sendable {
    /// Seconds spent in the training loop (loader, forward, loss, backward, step, scheduler),
    /// without the per-epoch evaluation.
    public var wallSeconds: Double
    /// Optimizer steps per second of ``wallSeconds``.
    public var stepsPerSecond: Double
  }

  /// One optimizer's run.
  public struct OptimizerResult: Codable, Equatable, Sendable {
    /// `adam:lr=0.001`, the `--opt` spelling.
    public var optimizer: String
    /// `Adam(lr=0.001)`.
    public var description: String
    /// Training loss after the last epoch.
    public var finalTrainLoss: Double
    /// Test loss after the last epoch.
    public var finalTestLoss: Double
    /// Test accuracy after the last epoch.
    public var testAccuracy: Double
    /// The lowest training loss over epochs 0...E.
    public var bestTrainLoss: Double
    /// The first epoch whose training loss has made 95% of the run's total decrease; see
    /// ``CompareReport/epochsToReach(fraction:of:)``. `nil` when the loss never fell.
    public var epochsTo95: Int?
    /// Whether the loss became infinite or NaN (the run stops there).
    public var diverged: Bool
    /// Optimizer steps taken.
    public var steps: Int
    /// Epochs 0...E.
    public var curve: [EpochPoint]
    /// Wall time and steps per second.
    public var timing: Timing
  }

  /// One optimizer's step on the large parameter vector.
  public struct SpeedRow: Codable, Equatable, Sendable {
    /// `adam:lr=0.001`, the `--opt` spelling.
    public var optimizer: String
    /// Median milliseconds per `step()`.
    public var medianMs: Double
    /// Bytes the step must move (parameter, gradient and state, each read and written once)
    /// per median step time.
    public var gbps: Double
    /// ``gbps`` as a fraction of the streaming yardstick.
    public var fractionOfStream: Double

    /// A row of the speed section.
    public init(optimizer: String, medianMs: Double, gbps: Double, fractionOfStream: Double) {
      self.optimizer = optimizer
      self.medianMs = medianMs
      self.gbps = gbps
      self.fractionOfStream = fractionOfStream
    }
  }

  /// The step time of every optimizer at `params` elements, as `descent bench optimizers`
  /// measures it.
  public struct Speed: Codable, Equatable, Sendable {
    /// Elements of the parameter tensor.
    public var params: Int
    /// `float32`.
    public var dtype: String
    /// The kernels that ran (`fused`, `blas`).
    public var implementation: String
    /// Threads of the kernels and the yardstick.
    public var threads: Int
    /// Timed steps per optimizer (after untimed warm-up steps).
    public var steps: Int
    /// GB/s of the in-place axpy `y ← y + a·x` over the same element count (the faster of
    /// BLAS and Descent's threaded kernel): what a step's bytes are measured against.
    public var streamGBps: Double
    /// One row per optimizer, in `--opt` order.
    public var rows: [SpeedRow]

    /// A speed section; see each property.
    public init(
      params: Int, dtype: String, implementation: String, threads: Int, steps: Int,
      streamGBps: Double, rows: [SpeedRow]
    ) {
      self.params = params
      self.dtype = dtype
      self.implementation = implementation
      self.threads = threads
      self.steps = steps
      self.streamGBps = streamGBps
      self.rows = rows
    }
  }

  /// Where it ran.
  public struct Machine: Codable, Equatable, Sendable {
    /// `/proc/cpuinfo`'s model name.
    public var cpu: String
    /// Cores available to the process.
    public var cores: Int
    /// `--threads`: the speed section's threads (training runs on one).
    public var threads: Int
    /// `/proc/loadavg`'s three averages before and after the run.
    public var loadAverageStart: String
    public var loadAverageEnd: String

    /// The machine; see each property.
    public init(cpu: String, cores: Int, threads: Int, loadAverageStart: String, loadAverageEnd: String) {
      self.cpu = cpu
      self.cores = cores
      self.threads = threads
      self.loadAverageStart = loadAverageStart
      self.loadAverageEnd = loadAverageEnd
    }
  }

  /// What was trained, how.
  public var configuration: Configuration
  /// One result per optimizer, in `--opt` order.
  public var results: [OptimizerResult]
  /// `nil` with `--params 0`.
  public var speed: Speed?
  /// Filled in by the command line tool; `nil` when a program runs the comparison itself.
  public var machine: Machine?

  /// The first epoch `e ≥ 1` whose loss has made `fraction` of the run's total decrease:
  /// `curve[e] ≤ curve[0] − fraction · (curve[0] − min(curve))`. `nil` when the curve
  /// never falls below its start (or has no epoch after 0). Non-finite values count as
  /// not reached.
  ///
  /// "Epochs to 95%" is `fraction` 0.95 on the training loss: a run that goes from 0.69 to
  /// a best of 0.05 has reached it at the first epoch with a loss ≤ 0.69 − 0.95 · 0.64 =
  /// 0.082.
  public static func epochsToReach(fraction: Double, of curve: [Double]) -> Int? {
    guard let start = curve.first, start.isFinite else { return nil }
    let best = curve.filter(\.isFinite).min() ?? start
    guard best < start else { return nil }
    let target = start - fraction * (start - best)
    return curve.indices.dropFirst().first { curve[$0].isFinite && curve[$0] <= target }
  }
}
