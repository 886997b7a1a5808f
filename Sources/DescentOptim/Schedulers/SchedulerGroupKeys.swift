extension ParamGroup {
  /// The keys that learning-rate schedulers write into param groups besides `lr`,
  /// `momentum` and `betas`: those of PyTorch 2.13's `lr_scheduler.py` (`initial_lr`,
  /// `max_lr`, `min_lr`, `base_momentum`, `max_momentum`) and `swa_utils.py` (`swa_lr`).
  ///
  /// Every optimizer accepts and keeps them, so that a state dict saved mid-schedule loads
  /// back (``Optimizer/loadStateDict(_:)``) and a group can be added with them. Their
  /// values must be numbers.
  public static let schedulerKeys: Set<String> = [
    "initial_lr", "max_lr", "min_lr", "base_momentum", "max_momentum", "swa_lr",
  ]

  /// Whether `key` is one of ``schedulerKeys``; throws when it is, but `value` is not a
  /// number. Used by the optimizer to let these keys through its check of unknown keys.
  static func isSchedulerKey(_ key: String, _ value: HyperValue) throws -> Bool {
    guard schedulerKeys.contains(key) else { return false }
    guard value.number != nil else {
      throw OptimizerError("hyperparameter '\(key)' written by schedulers must be a number, got \(value)")
    }
    return true
  }
}
