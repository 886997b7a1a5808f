import Descent

/// The base class of all optimizers, like `torch.optim.Optimizer`.
///
/// An optimizer holds ``paramGroups`` (each with its own hyperparameters, completed from
/// ``defaults``) and a per-parameter state. The training loop is PyTorch's:
///
/// ```swift
/// let optimizer = try SGD(parameters, lr: 0.01, momentum: 0.9)
/// for batch in loader {
///   optimizer.zeroGrad()
///   let loss = criterion(model(batch["x"]!), batch["y"]!)
///   loss.backward()
///   try optimizer.step()
/// }
/// ```
///
/// Subclasses validate their hyperparameters in
/// ``checkHyperparameters(_:)`` and update one group at a time in ``update(_:)``.
///
/// Departures from PyTorch, all stricter:
/// - ``addParamGroup(_:)`` rejects an empty parameter list, hyperparameter names that the
///   optimizer does not know, values of the wrong kind, out-of-range values (PyTorch only
///   checks the constructor's values), duplicate parameters within a group (a warning in
///   PyTorch), integer tensors and non-contiguous parameters (updates run in place on raw
///   buffers).
/// - ``stateDict()`` returns copies, not references to the live state.
/// - ``loadStateDict(_:)`` also checks state shapes and required keys, rejects state for
///   indices outside the groups, and stores `step` as a float32 scalar.
/// - PyTorch's implementation flags (`foreach`, `fused`, `capturable`, `differentiable`)
///   are not hyperparameters here; ``implementation`` selects the kernel instead.
open class Optimizer {
  /// The parameter groups, in order. Hyperparameters can be changed between steps
  /// (`optimizer.paramGroups[0].lr = 0.01`).
  public var paramGroups: [ParamGroup]
  /// The constructor's hyperparameters; they fill in what an added group leaves out.
  public let defaults: [String: HyperValue]
  /// Which kernels ``step()`` runs: the BLAS path or the fused single-pass kernels. Both
  /// compute PyTorch's update; they differ only in rounding. The default is
  /// ``OptimizerImplementation/default``.
  public var implementation: OptimizerImplementation

  var states: [ObjectIdentifier: ParamState] = [:] {
    didSet { stateGeneration &+= 1 }
  }
  /// Bumped whenever `states` changes: the group plans below are then rebuilt.
  private var stateGeneration = 0
  /// Each group's parameter states in parameter order, so that a step over thousands of
  /// tensors does not look each one up in `states` (twice) every time.
  private var plans: [GroupPlan] = []
  var hooks = OptimizerHooks()

  /// Creates an optimizer over `params` (one group) with `defaults` as hyperparameters.
  ///
  /// Throws `"optimizer got an empty parameter list"` for an empty list, and whatever
  /// ``addParamGroup(_:)`` throws.
  public init(
    _ params: [Tensor], defaults: [String: HyperValue],
    implementation: OptimizerImplementation = .default
  ) throws {
    self.defaults = defaults
    self.paramGroups = []
    self.implementation = implementation
    try Self.checkHyperparameters(defaults)
    guard !params.isEmpty else { throw OptimizerError("optimizer got an empty parameter list") }
    try addParamGroup(ParamGroup(params))
  }

  /// The optimizer's name in messages (`"SGD"`).
  open var name: String { String(describing: type(of: self)) }

  // MARK: Extension points

  /// Throws PyTorch's error for an invalid hyperparameter value. Called for the
  /// constructor's values and for every group that is added or loaded. The group is
  /// complete: every key of ``defaults`` is present with the right kind.
  open class func checkHyperparameters(_ hyperparameters: [String: HyperValue]) throws {}

  /// The state keys that a parameter's non-empty state must hold for `group`.
  open func requiredStateKeys(for group: ParamGroup) -> [String] { [] }

  /// Adjusts a group loaded by ``loadStateDict(_:)`` (PyTorch's `__setstate__`).
  open func adjustLoadedGroup(_ group: inout ParamGroup) {}

  /// Updates the parameters of one group from their gradients. ``step()`` calls it for each
  /// group in order, with gradient recording off, after checking every gradient.
  open func update(_ group: ParamGroup) throws {
    requirementFailure("\(name) must override update(_:)")
  }

  // MARK: Parameter groups

  /// Adds a parameter group (`add_param_group`). Hyperparameters that the group does not
  /// set are taken from ``defaults``.
  ///
  /// Throws when the list is empty, a parameter is not a floating-point leaf, is not
  /// contiguous, appears twice in the group or already belongs to another group
  /// (`"some parameters appear in more than one parameter group"`), or a hyperparameter
  /// is unknown, of the wrong kind or out of range.
  public func addParamGroup(_ group: ParamGroup) throws {
    guard !group.params.isEmpty else {
      throw OptimizerError("optimizer got an empty parameter list")
    }
    for param in group.params {
      guard param.dtype.isFloatingPoint else {
        throw OptimizerError(
          "optimizer can only optimize Tensors of floating point dtype, but one of the params is \(param.dtype)"
        )
      }
      guard param.isLeaf || param.retainsGrad else {
        throw OptimizerError("can't optimize a non-leaf Tensor")
      }
      guard param.isContiguous else {
        throw OptimizerError(
          "\(name) updates parameters in place and needs them contiguous, but a parameter of shape \(param.shape) has strides \(param.strides)"
        )
      }
    }
    var completed = group
    try complete(&completed)
    var inGroup = Set<ObjectIdentifier>()
    for param in group.params where !inGroup.insert(ObjectIdentifier(param)).inserted {
      throw OptimizerError("optimizer contains a parameter group with duplicate parameters")
    }
    for other in paramGroups {
      for param in other.params where inGroup.contains(ObjectIdentifier(param)) {
        throw OptimizerError("some parameters appear in more than one parameter group")
      }
    }
    paramGroups.append(completed)
  }

  /// Rejects unknown keys and kinds, fills in defaults, and checks the values.
  func complete(_ group: inout ParamGroup) throws {
    for (key, value) in group.hyperparameters.sorted(by: { $0.key < $1.key }) {
      guard let standard = defaults[key] else {
        let known = defaults.keys.sorted().joined(separator: ", ")
        throw OptimizerError("\(name) has no hyperparameter '\(key)' (it has: \(known))")
      }
      guard value.hasSameKind(as: standard) else {
        throw OptimizerError(
          "hyperparameter '\(key)' of \(name) must be \(standard.kindName), got \(value)")
      }
    }
    for (key, value) in defaults where group.hyperparameters[key] == nil {
      group.hyperparameters[key] = value
    }
    try Self.checkHyperparameters(group.hyperparameters)
  }

  // MARK: Gradients and steps

  /// Resets the gradients of all parameters (`zero_grad`): to `nil` by default, or to
  /// zeros in place with `setToNone: false`.
  public func zeroGrad(setToNone: Bool = true) {
    for group in paramGroups {
      for param in group.params where param.grad != nil {
        if setToNone {
          param.grad = nil
        } else {
          withNoGrad { param.grad!.zero() }
        }
      }
    }
  }

  /// Performs one optimization step (`step()`): updates every parameter that has a
  /// gradient, in place. Parameters whose `.grad` is `nil` are skipped and get no state.
  ///
  /// Throws, before changing anything, when a gradient's shape or dtype differs from its
  /// parameter's, or a parameter's state lacks a key that its group needs.
  public func step() throws {
    for hook in hooks.stepPre.hooks { hook(self) }
    try checkGradientsAndState()
    try withNoGrad {
      for group in paramGroups { try update(group) }
    }
    for hook in hooks.stepPost.hooks { hook(self) }
  }

  /// Performs one optimization step after re-evaluating the loss (`step(closure)`).
  ///
  /// `closure` runs with gradient recording on (it typically zeroes the gradients,
  /// computes the loss and calls `backward()`); its result is returned, as PyTorch returns
  /// the closure's loss.
  @discardableResult
  public func step<Loss>(closure: () throws -> Loss) throws -> Loss {
    for hook in hooks.stepPre.hooks { hook(self) }
    let loss = try withGrad { try closure() }
    try checkGradientsAndState()
    try withNoGrad {
      for group in paramGroups { try update(group) }
    }
    for hook in hooks.stepPost.hooks { hook(self) }
    return loss
  }

  private func checkGradientsAndState() throws {
    var index = 0
    for group in paramGroups {
      let required = requiredStateKeys(for: group)
      let plan = self.plan(for: group)
      for (param, state) in zip(group.params, plan) {
        defer { index += 1 }
        guard let grad = param.grad else { continue }
        guard grad.shape == param.shape else {
          throw OptimizerError(
            "gradient of parameter \(index) has shape \(grad.shape), but the parameter has shape \(param.shape)"
          )
        }
        guard grad.dtype == param.dtype else {
          throw OptimizerError(
            "gradient of parameter \(index) has dtype \(grad.dtype), but the parameter has dtype \(param.dtype)"
          )
        }
        if !state.values.isEmpty, state.checkedKeys != required {
          for key in required where state.values[key] == nil {
            throw OptimizerError("state of parameter \(index) has no '\(key)', which \(name) needs")
          }
          state.checkedKeys = required
        }
      }
    }
  }

  /// Calls `body` with each parameter of `group` that has a gradient, its gradient
  /// (contiguous) and its state.
  final func forEachParameterWithGrad(
    in group: ParamGroup, _ body: (Tensor, Tensor, ParamState) -> Void
  ) {
    for (param, state) in zip(group.params, plan(for: group)) {
      guard let grad = param.grad else { continue }
      // Gradients from backward() are contiguous; only a hand-assigned view is copied.
      body(param, grad.isContiguous ? grad : grad.contiguous(), state)
    }
  }

  /// The states of `group`'s parameters, in order, creating empty ones (which
  /// ``state(for:)`` and ``stateDict()`` treat as no state). Valid while `states` and the
  /// group's parameter list are unchanged; hyperparameter changes keep it.
  private func plan(for group: ParamGroup) -> [ParamState] {
    for plan in plans where plan.generation == stateGeneration && plan.isFor(group.params) {
      return plan.states
    }
    let states = group.params.map { stateEntry(for: $0) }
    plans.removeAll { plan in plan.generation != stateGeneration || plan.isFor(group.params) }
    plans.append(GroupPlan(params: group.params, generation: stateGeneration, states: states))
    return states
  }

  // MARK: State

  /// The state of `param` (`optimizer.state[param]`): empty until its first step.
  public func state(for param: Tensor) -> [String: Tensor] {
    states[ObjectIdentifier(param)]?.values ?? [:]
  }

  /// Replaces the state of `param`, which must belong to a group. Every entry except
  /// `step` must have the parameter's shape; it is cast to the parameter's dtype and
  /// copied.
  public func setState(_ state: [String: Tensor], for param: Tensor) throws {
    guard let index = parameterIndex(of: param) else {
      throw OptimizerError("setState: the tensor is not a parameter of this optimizer")
    }
    states[ObjectIdentifier(param)] = ParamState(
      param: param, values: try Self.importState(state, for: param, index: index))
  }

  func stateEntry(for param: Tensor) -> ParamState {
    if let entry = states[ObjectIdentifier(param)] { return entry }
    let entry = ParamState(param: param, values: [:])
    states[ObjectIdentifier(param)] = entry
    return entry
  }

  func parameterIndex(of param: Tensor) -> Int? {
    var index = 0
    for group in paramGroups {
      for p in group.params {
        if p === param { return index }
        index += 1
      }
    }
    return nil
  }

  /// Copies state tensors for `param`, checking shapes and casting to its dtype.
  static func importState(_ state: [String: Tensor], for param: Tensor, index: Int) throws
    -> [String: Tensor]
  {
    var values: [String: Tensor] = [:]
    for (key, value) in state {
      if key == "step" {
        guard value.count == 1, value.dtype.isFloatingPoint || value.dtype == .int64 else {
          throw OptimizerError(
            "state 'step' of parameter \(index) must be a single number, got a \(value.dtype) tensor of shape \(value.shape)"
          )
        }
        values[key] = Tensor(scalar: value.item(), dtype: .float32)
      } else {
        guard value.shape == param.shape else {
          throw OptimizerError(
            "state '\(key)' of parameter \(index) has shape \(value.shape), but the parameter has shape \(param.shape)"
          )
        }
        guard value.dtype != .bool else {
          throw OptimizerError("state '\(key)' of parameter \(index) is a torch.bool tensor")
        }
        values[key] = withNoGrad { value.to(dtype: param.dtype).detach().clone() }
      }
    }
    return values
  }

  /// A snapshot of the state in PyTorch's layout (`state_dict()`); see
  /// ``OptimizerStateDict``.
  public func stateDict() -> OptimizerStateDict {
    for hook in hooks.stateDictPre.hooks { hook(self) }
    var indices: [ObjectIdentifier: Int] = [:]
    var groups: [OptimizerStateDict.Group] = []
    for group in paramGroups {
      var ids: [Int] = []
      for param in group.params {
        let id = ObjectIdentifier(param)
        let index = indices[id] ?? indices.count
        indices[id] = index
        ids.append(index)
      }
      groups.append(.init(params: ids, hyperparameters: group.hyperparameters))
    }
    var state: [Int: [String: Tensor]] = [:]
    withNoGrad {
      for (id, entry) in states where !entry.values.isEmpty {
        guard let index = indices[id] else { continue }
        state[index] = entry.values.mapValues { $0.detach().clone() }
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
  /// to their parameter's dtype; each one except `step` must have its parameter's shape.
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
    var idMap: [Int: (param: Tensor, index: Int)] = [:]
    var index = 0
    for (group, saved) in zip(paramGroups, dict.paramGroups) {
      var loaded = ParamGroup(group.params, saved.hyperparameters)
      try complete(&loaded)
      adjustLoadedGroup(&loaded)
      groups.append(loaded)
      for (savedIndex, param) in zip(saved.params, group.params) {
        idMap[savedIndex] = (param, index)
        index += 1
      }
    }
    var loadedStates: [ObjectIdentifier: ParamState] = [:]
    for (savedIndex, values) in dict.state.sorted(by: { $0.key < $1.key }) {
      guard let (param, index) = idMap[savedIndex] else {
        throw OptimizerError(
          "loaded state dict has state for parameter \(savedIndex), which is in none of its parameter groups"
        )
      }
      loadedStates[ObjectIdentifier(param)] = ParamState(
        param: param, values: try Self.importState(values, for: param, index: index))
    }
    index = 0
    for group in groups {
      let required = requiredStateKeys(for: group)
      for param in group.params {
        defer { index += 1 }
        guard let state = loadedStates[ObjectIdentifier(param)], !state.values.isEmpty else {
          continue
        }
        for key in required where state.values[key] == nil {
          throw OptimizerError(
            "loaded state dict has no '\(key)' for parameter \(index), which \(name) needs")
        }
      }
    }
    paramGroups = groups
    states = loadedStates
    for hook in hooks.loadStateDictPost.hooks { hook(self) }
  }
}

/// The states of one group's parameters, for the parameter list it was made for.
private struct GroupPlan {
  /// Held, so that its buffer, whose address identifies the list, is not reused.
  let params: [Tensor]
  let generation: Int
  let states: [ParamState]

  func isFor(_ other: [Tensor]) -> Bool {
    params.count == other.count
      && params.withUnsafeBufferPointer { a in
        other.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress }
      }
  }
}

/// The state of one parameter. A class, so that kernels update its tensors without
/// copying the dictionary out of the optimizer and back.
final class ParamState {
  /// Holding the parameter keeps its `ObjectIdentifier` from being reused while the state
  /// exists.
  let param: Tensor
  var values: [String: Tensor] {
    didSet {
      slotCache = nil
      checkedKeys = nil
    }
  }
  /// The required keys that `step()` last found present, until `values` changes: a step
  /// then checks each parameter's state without hashing its keys.
  var checkedKeys: [String]?
  private var slotCache: (keys: [String], tensors: [Tensor?])?

  init(param: Tensor, values: [String: Tensor]) {
    self.param = param
    self.values = values
  }

  /// `values[key]` for each of `keys`, cached until `values` changes, so that a step over
  /// thousands of tensors does not hash strings. Pass the same (stored) array every time:
  /// comparing it with the cached one is then a pointer comparison.
  func slots(_ keys: [String]) -> [Tensor?] {
    if let cache = slotCache, cache.keys == keys { return cache.tensors }
    let tensors = keys.map { values[$0] }
    slotCache = (keys, tensors)
    return tensors
  }

  /// PyTorch's `state["step"] += 1` on the float32 step tensor; returns the new value.
  @inline(__always) @discardableResult
  static func increment(_ step: Tensor) -> Double {
    require(step.dtype == .float32, "optimizer: the step must be a float32 tensor")
    let p = step.kernelAddress().assumingMemoryBound(to: Float.self)
    p.pointee += 1
    return Double(p.pointee)
  }
}
