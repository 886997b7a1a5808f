import Descent
import DescentNN
import DescentOptim
import Foundation

/// A model, an optimizer and (optionally) a scheduler saved together in one safetensors
/// file, with a step counter and free-form metadata: PyTorch's
/// `torch.save({"model": ..., "optimizer": ..., "scheduler": ..., "step": ...})`.
///
/// ```swift
/// let ckpt = Checkpoint(model: model, optimizer: optimizer, scheduler: scheduler, step: 120)
/// try ckpt.save(to: url)
///
/// // later, in a new process, after building the same model, optimizer and scheduler:
/// let loaded = try Checkpoint.load(from: url)
/// try loaded.restore(model: model, optimizer: optimizer, scheduler: scheduler)
/// print(loaded.step)   // 120
/// ```
///
/// Training resumed from a checkpoint continues bitwise as if it had never stopped.
///
/// The file is plain safetensors, so it loads in Python's `safetensors` and in `torch`:
/// - model tensors are stored as `model.<name>` (`model.0.weight`, `model.bn.running_mean`);
/// - optimizer state tensors as `optimizer.state.<index>.<key>`
///   (`optimizer.state.3.exp_avg`); scalar state such as `step` (a float32 0-d tensor in
///   PyTorch) is a number in the metadata;
/// - the metadata holds `descent.checkpoint` (the format version, `"1"`), `step`, `model`
///   (the state-dict keys in order, as JSON), `optimizer` (PyTorch's `state_dict()` without
///   its tensors: `state` and `param_groups`, as JSON), `scheduler` (its `state_dict()` as
///   JSON, when there is one), the optimizer's and scheduler's class names, and user
///   metadata under `user.`.
///
/// `scripts/convert_checkpoint.py` converts such a file to a `torch.save` checkpoint and
/// back, so that training can move between PyTorch and Descent.
///
/// A checkpoint is a value: it holds copies of the state taken when it was made, so
/// training after `Checkpoint(...)` does not change what ``save(to:)`` writes.
public struct Checkpoint {
  /// The model's state dict, in the model's order.
  public var model: ModuleStateDict
  /// The optimizer's state dict.
  public var optimizer: OptimizerStateDict
  /// The scheduler's state dict, or `nil` when the checkpoint has no scheduler.
  public var scheduler: SchedulerStateDict?
  /// The step (or epoch) counter.
  public var step: Int
  /// Free-form user metadata.
  public var metadata: [String: String]
  /// The optimizer's class name (`"Adam"`); `nil` when the file does not record one (a
  /// converted PyTorch checkpoint).
  public var optimizerName: String?
  /// The scheduler's class name (`"StepLR"`), or `nil`.
  public var schedulerName: String?

  /// What the file holds that Descent's optimizers do not: per group, PyTorch's
  /// implementation flags (`foreach`, `fused`, ...) and which numbers were integers; per
  /// parameter, state that is not a tensor; metadata entries Descent does not read (the
  /// converter's `torch.*`). Written back as it was read.
  var torch = TorchDetails()

  /// A checkpoint of `model`, `optimizer` and `scheduler` as they are now.
  ///
  /// - Parameters:
  ///   - model: the module; its state dict is copied.
  ///   - optimizer: the optimizer; its state dict is copied.
  ///   - scheduler: the learning-rate scheduler, or `nil` (the default).
  ///   - step: the step or epoch counter (default 0); any `Int` round-trips exactly.
  ///   - metadata: free-form strings (default none).
  public init(
    model: Module, optimizer: Optimizer, scheduler: (any LRScheduler)? = nil, step: Int = 0,
    metadata: [String: String] = [:]
  ) {
    self.init(
      model: model, optimizer: optimizer, schedulerState: scheduler.map(SchedulerState.init), step: step,
      metadata: metadata)
  }

  /// A checkpoint with a ``DescentOptim/ReduceLROnPlateau`` scheduler, which steps on a
  /// metric and so is not an ``DescentOptim/LRScheduler``.
  public init(
    model: Module, optimizer: Optimizer, scheduler: ReduceLROnPlateau, step: Int = 0,
    metadata: [String: String] = [:]
  ) {
    self.init(
      model: model, optimizer: optimizer, schedulerState: SchedulerState(scheduler), step: step,
      metadata: metadata)
  }

  private init(
    model: Module, optimizer: Optimizer, schedulerState: SchedulerState?, step: Int,
    metadata: [String: String]
  ) {
    self.model = withNoGrad { model.stateDict().mapValues { $0.clone() } }
    self.optimizer = optimizer.stateDict()
    self.scheduler = schedulerState?.stateDict()
    self.step = step
    self.metadata = metadata
    self.optimizerName = optimizer.name
    self.schedulerName = schedulerState?.name
    self.torch = TorchDetails.remembered(for: optimizer, groupCount: self.optimizer.paramGroups.count)
  }

  /// A checkpoint from its parts.
  public init(
    model: ModuleStateDict, optimizer: OptimizerStateDict, scheduler: SchedulerStateDict? = nil,
    step: Int = 0, metadata: [String: String] = [:]
  ) {
    self.model = model
    self.optimizer = optimizer
    self.scheduler = scheduler
    self.step = step
    self.metadata = metadata
  }

  /// Saves the checkpoint as one safetensors file, atomically: a crash at any moment
  /// leaves the previous file or the new one, and a failed save (a full disk, a missing
  /// directory) throws and leaves the previous file intact.
  ///
  /// - Throws: ``Descent/SafetensorsError/cannotWrite(path:operation:reason:)``.
  public func save(to url: URL) throws {
    let (tensors, metadata) = try encoded()
    try saveSafetensors(tensors, to: url, metadata: metadata)
  }

  /// Loads a checkpoint saved by ``save(to:)`` or written by
  /// `scripts/convert_checkpoint.py --from-torch`.
  ///
  /// - Throws: ``Descent/SafetensorsError`` for a file that is not valid safetensors;
  ///   ``CheckpointError`` for a safetensors file that is not a checkpoint (plain tensors) or
  ///   whose checkpoint metadata is malformed.
  public static func load(from url: URL) throws -> Checkpoint {
    let file = try loadSafetensors(from: url)
    guard file.metadata[CheckpointKeys.format] != nil else {
      throw CheckpointError.notACheckpoint(url.path)
    }
    return try Checkpoint(decoding: file)
  }
}

/// A scheduler's state-dict functions and class name, for either kind of scheduler.
struct SchedulerState {
  let name: String
  let stateDict: () -> SchedulerStateDict
  let loadStateDict: (SchedulerStateDict) throws -> Void

  init(_ scheduler: any LRScheduler) {
    name = String(describing: type(of: scheduler))
    stateDict = { scheduler.stateDict() }
    loadStateDict = { try scheduler.loadStateDict($0) }
  }

  init(_ scheduler: ReduceLROnPlateau) {
    name = "ReduceLROnPlateau"
    stateDict = { scheduler.stateDict() }
    loadStateDict = { try scheduler.loadStateDict($0) }
  }
}
