import Descent

/// One parameter's state as it is being loaded, with the group it will belong to.
struct LoadedState {
  let param: Tensor
  /// The parameter's index across all groups, for messages.
  let index: Int
  let values: [String: Tensor]
  let group: ParamGroup
}

extension Optimizer {
  /// The state of `param` (`optimizer.state[param]`) under PyTorch's keys: empty until its
  /// first step. Tensors are the live state; scalars such as `step` are new 0-d tensors.
  public func state(for param: Tensor) -> [String: Tensor] {
    stateEntries(of: param)
  }

  /// Replaces the state of `param`, which must belong to a group. Entries are checked and
  /// copied as ``loadStateDict(_:)`` does: tensors must have the parameter's shape and are
  /// cast to its dtype, `step` is a float32 scalar, and the keys the group's settings need
  /// must be present. An empty dict clears the state.
  public func setState(_ state: [String: Tensor], for param: Tensor) throws {
    guard let index = parameterIndex(of: param), let group = group(of: param) else {
      throw OptimizerError("setState: the tensor is not a parameter of this optimizer")
    }
    try replaceState(of: LoadedState(param: param, index: index, values: state, group: group))
  }

  /// A snapshot of the state in PyTorch's layout (`state_dict()`); see
  /// ``OptimizerStateDict``.
  public func stateDict() -> OptimizerStateDict {
    for hook in hooks.stateDictPre.hooks { hook(self) }
    var groups: [OptimizerStateDict.Group] = []
    var state: [Int: [String: Tensor]] = [:]
    var index = 0
    withNoGrad {
      for group in paramGroups {
        var ids: [Int] = []
        for param in group.params {
          let entries = stateEntries(of: param)
          if !entries.isEmpty { state[index] = entries.mapValues { $0.detach().clone() } }
          ids.append(index)
          index += 1
        }
        groups.append(.init(params: ids, hyperparameters: group.hyperparameters))
      }
    }
    var dict = OptimizerStateDict(state: state, paramGroups: groups)
    for hook in hooks.stateDictPost.hooks { hook(self, &dict) }
    return dict
  }

  /// Loads a state saved by ``stateDict()`` (`load_state_dict`).
  ///
  /// Group count and group sizes must match (PyTorch's messages). Hyperparameters come from
  /// the dict; keys it lacks are filled from ``defaults``. State tensors are copied and cast
  /// to their parameter's dtype; each one must have the shape the optimizer keeps it in
  /// (the parameter's, for most), and the keys the group's settings need must be present.
  /// Nothing changes when it throws.
  public func loadStateDict(_ stateDict: OptimizerStateDict) throws {
    var dict = stateDict
    for hook in hooks.loadStateDictPre.hooks { hook(self, &dict) }
    guard dict.paramGroups.count == paramGroups.count else {
      throw OptimizerError("loaded state dict has a different number of parameter groups")
    }
    for (group, saved) in zip(paramGroups, dict.paramGroups)
    where group.params.count != saved.params.count {
      throw OptimizerError(
        "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
      )
    }
    var groups: [ParamGroup] = []
    var targets: [Int: (param: Tensor, index: Int, group: ParamGroup)] = [:]
    var index = 0
    for (group, saved) in zip(paramGroups, dict.paramGroups) {
      var loaded = ParamGroup(group.params, saved.hyperparameters)
      try complete(&loaded)
      adjustLoadedGroup(&loaded)
      groups.append(loaded)
      for (savedIndex, param) in zip(saved.params, group.params) {
        targets[savedIndex] = (param, index, loaded)
        index += 1
      }
    }
    var loaded: [LoadedState] = []
    for (savedIndex, values) in dict.state.sorted(by: { $0.key < $1.key }) {
      guard let target = targets[savedIndex] else {
        throw OptimizerError(
          "loaded state dict has state for parameter \(savedIndex), which is in none of its parameter groups"
        )
      }
      loaded.append(
        LoadedState(param: target.param, index: target.index, values: values, group: target.group))
    }
    try replaceStates(loaded)
    paramGroups = groups
    for hook in hooks.loadStateDictPost.hooks { hook(self) }
  }
}
