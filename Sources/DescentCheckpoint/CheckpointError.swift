/// Why a checkpoint could not be read or restored. Files that are not valid safetensors
/// throw ``Descent/SafetensorsError`` instead.
public struct CheckpointError: Error, Equatable, CustomStringConvertible, Sendable {
  /// What went wrong, naming the value.
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }

  static func notACheckpoint(_ path: String) -> CheckpointError {
    CheckpointError(
      "\(path) is a safetensors file but not a checkpoint: its metadata has no '\(CheckpointKeys.format)' entry (load plain tensor files with loadSafetensors(from:))"
    )
  }

  static func invalidMetadata(_ key: String, _ reason: String) -> CheckpointError {
    CheckpointError("checkpoint metadata '\(key)' is invalid: \(reason)")
  }
}

/// The metadata keys of a checkpoint file.
enum CheckpointKeys {
  /// The format version, `"1"`; its presence marks a checkpoint.
  static let format = "descent.checkpoint"
  static let step = "step"
  /// The model's state-dict keys in order, as a JSON list.
  static let model = "model"
  /// The optimizer's state dict without its tensors, as JSON.
  static let optimizer = "optimizer"
  static let optimizerClass = "optimizer.class"
  /// The scheduler's state dict, as JSON.
  static let scheduler = "scheduler"
  static let schedulerClass = "scheduler.class"
  /// User metadata is stored under this prefix.
  static let userPrefix = "user."
  /// Tensor name prefixes.
  static let modelPrefix = "model."
  static let optimizerStatePrefix = "optimizer.state."
}
