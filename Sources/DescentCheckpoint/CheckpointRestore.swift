import Descent
import DescentNN
import DescentOptim
import Foundation

extension Checkpoint {
  /// Loads the checkpoint into `model`, `optimizer` and `scheduler`, which must be built as
  /// they were when it was saved (the same architecture, parameter groups and scheduler
  /// type). Hyperparameters come from the file, as PyTorch's `load_state_dict` takes them.
  ///
  /// All three load or none does: a restore that throws leaves the model, the optimizer
  /// and the scheduler unchanged.
  ///
  /// - Parameters:
  ///   - model: the module; the checkpoint must have exactly its keys and shapes.
  ///   - optimizer: the optimizer, of the class the checkpoint was saved from.
  ///   - scheduler: the scheduler when the checkpoint has one, `nil` (the default) when it
  ///     does not.
  /// - Throws: ``CheckpointError`` when the checkpoint holds scheduler state and no
  ///   scheduler is given or the reverse, when the optimizer or scheduler class differs from
  ///   the saved one, or when the optimizer state holds values Descent's optimizers do not
  ///   keep; ``DescentNN/NNError`` for the model's missing keys, unexpected keys and shape
  ///   mismatches (all of them, in one message); ``DescentOptim/OptimizerError`` and
  ///   ``DescentOptim/SchedulerError`` for state their `loadStateDict` rejects.
  public func restore(model: Module, optimizer: Optimizer, scheduler: (any LRScheduler)? = nil) throws {
    try restore(model: model, optimizer: optimizer, schedulerState: scheduler.map(SchedulerState.init))
  }

  /// ``restore(model:optimizer:scheduler:)-(_,_,(any LRScheduler)?)`` with a
  /// ``DescentOptim/ReduceLROnPlateau`` scheduler.
  public func restore(model: Module, optimizer: Optimizer, scheduler: ReduceLROnPlateau) throws {
    try restore(model: model, optimizer: optimizer, schedulerState: SchedulerState(scheduler))
  }

  private func restore(model: Module, optimizer: Optimizer, schedulerState: SchedulerState?) throws {
    switch (self.scheduler, schedulerState) {
    case (.some, nil):
      throw CheckpointError(
        "the checkpoint holds the state of a scheduler (\(schedulerName ?? "unnamed")); pass that scheduler to restore(model:optimizer:scheduler:)"
      )
    case (nil, .some(let given)):
      throw CheckpointError(
        "the checkpoint holds no scheduler state, but a \(given.name) was passed to restore(model:optimizer:scheduler:)"
      )
    default: break
    }
    if let saved = optimizerName, saved != optimizer.name {
      throw CheckpointError(
        "the checkpoint holds the state of a \(saved) optimizer, not of a \(optimizer.name)")
    }
    if let saved = schedulerName, let given = schedulerState, saved != given.name {
      throw CheckpointError("the checkpoint holds the state of a \(saved) scheduler, not of a \(given.name)")
    }
    if let (index, entries) = torch.pythonState.min(by: { $0.key < $1.key }) {
      throw CheckpointError(
        "the optimizer state of parameter \(index) holds \(entries.map { "'\($0.0)'" }.joined(separator: ", ")), which are not tensors; Descent's \(optimizer.name) keeps only tensors"
      )
    }
    for (i, group) in torch.groups.enumerated() {
      for (key, value) in group.extras where optimizer.defaults[key] != nil {
        throw CheckpointError(
          "param_groups[\(i)] sets '\(key)' to \(value.text), which no hyperparameter of Descent's \(optimizer.name) can hold"
        )
      }
    }

    // Everything that can fail is checked or undone: the model is only checked here and
    // copied last; the scheduler is restored from a snapshot if the optimizer rejects its
    // state; the optimizer's and the scheduler's loads change nothing when they throw.
    try model.checkStateDict(self.model, strict: true)
    let schedulerSnapshot = schedulerState?.stateDict()
    if let schedulerState, let saved = self.scheduler { try schedulerState.loadStateDict(saved) }
    do {
      try optimizer.loadStateDict(self.optimizer)
    } catch {
      if let schedulerState, let schedulerSnapshot { try? schedulerState.loadStateDict(schedulerSnapshot) }
      throw error
    }
    try model.loadStateDict(self.model, strict: true)
    torch.remember(for: optimizer)
  }
}

extension TorchDetails {
  /// What the last restore into `optimizer` read for PyTorch's sake, so that a checkpoint
  /// made from it writes the same flags and integer types back; empty when there was none
  /// or the groups changed since.
  static func remembered(for optimizer: Optimizer, groupCount: Int) -> TorchDetails {
    guard var details = TorchDetailsTable.shared.details(for: optimizer), details.groups.count == groupCount
    else { return TorchDetails() }
    details.pythonState = [:]
    return details
  }

  /// Remembers these details for checkpoints made later from `optimizer`.
  func remember(for optimizer: Optimizer) {
    TorchDetailsTable.shared.set(self, for: optimizer)
  }
}

/// The PyTorch details each restored optimizer came with, held weakly by optimizer.
private final class TorchDetailsTable: @unchecked Sendable {
  static let shared = TorchDetailsTable()
  private let lock = NSLock()
  private var entries: [ObjectIdentifier: (optimizer: WeakOptimizer, details: TorchDetails)] = [:]

  private struct WeakOptimizer {
    weak var value: Optimizer?
  }

  func details(for optimizer: Optimizer) -> TorchDetails? {
    lock.lock()
    defer { lock.unlock() }
    guard let entry = entries[ObjectIdentifier(optimizer)], entry.optimizer.value === optimizer else {
      return nil
    }
    return entry.details
  }

  func set(_ details: TorchDetails, for optimizer: Optimizer) {
    lock.lock()
    defer { lock.unlock() }
    entries = entries.filter { $0.value.optimizer.value != nil }
    entries[ObjectIdentifier(optimizer)] = (WeakOptimizer(value: optimizer), details)
  }
}
