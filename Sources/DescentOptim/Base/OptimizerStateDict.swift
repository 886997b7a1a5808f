import Descent

/// A snapshot of an optimizer's state in PyTorch's `state_dict()` layout.
///
/// - ``state`` maps the integer index of a parameter (its position across all groups, in
///   group order) to its state, under PyTorch's key names: `step`, `momentum_buffer`,
///   `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`, `square_avg`, `grad_avg`. `step` is a
///   float32 scalar tensor, as in PyTorch.
/// - ``paramGroups`` holds each group's hyperparameters and its parameters as indices.
///
/// Unlike PyTorch, whose `state_dict()` returns references to the live state tensors, the
/// snapshot owns copies: later steps do not change it, and loading it copies again, so a
/// dict can be loaded any number of times.
public struct OptimizerStateDict {
  /// Per-parameter state, keyed by parameter index.
  public var state: [Int: [String: Tensor]]
  /// One entry per parameter group, in order.
  public var paramGroups: [Group]

  /// One saved parameter group: hyperparameters and parameter indices
  /// (`param_groups[i]` in PyTorch, whose `params` entry is ``params`` here).
  public struct Group {
    /// Indices of the group's parameters.
    public var params: [Int]
    /// Every hyperparameter, keyed by PyTorch's name.
    public var hyperparameters: [String: HyperValue]

    public init(params: [Int], hyperparameters: [String: HyperValue]) {
      self.params = params
      self.hyperparameters = hyperparameters
    }

    /// The hyperparameter named `key`, or `nil`.
    public subscript(key: String) -> HyperValue? {
      get { hyperparameters[key] }
      set { hyperparameters[key] = newValue }
    }
  }

  public init(state: [Int: [String: Tensor]], paramGroups: [Group]) {
    self.state = state
    self.paramGroups = paramGroups
  }
}
