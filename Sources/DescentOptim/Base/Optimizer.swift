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
/// Every optimizer is a ``RuleOptimizer`` over its ``OptimizerRule``; ``OptimizerKind``
/// lists them all and builds any of them from PyTorch-named options.
///
/// Departures from PyTorch, all stricter:
/// - ``addParamGroup(_:)`` rejects an empty parameter list, hyperparameter names that the
///   optimizer does not know, values of the wrong kind, out-of-range values (PyTorch only
///   checks the constructor's values), duplicate parameters within a group (a warning in
///   PyTorch), integer tensors and non-contiguous parameters (updates run in place on raw
///   buffers). Keys that learning-rate schedulers write (``ParamGroup/schedulerKeys``)
///   are accepted in any group.
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
  public internal(set) var defaults: [String: HyperValue]
  /// Which kernels ``step()`` runs: the fused kernels, the BLAS path, or the scalar
  /// reference rule. All compute PyTorch's update; they differ only in rounding. The
  /// default is ``OptimizerImplementation/default``.
  public var implementation: OptimizerImplementation
  var hooks = OptimizerHooks()

  /// Creates an optimizer over `params` (one group) with `defaults` as hyperparameters.
  ///
  /// Throws `"optimizer got an empty parameter list"` for an empty list, and whatever
  /// ``addParamGroup(_:)`` throws.
  init(
    _ params: [Tensor], defaults: [String: HyperValue], implementation: OptimizerImplementation
  ) throws {
    self.defaults = defaults
    self.paramGroups = []
    self.implementation = implementation
    try validate(ParamGroup([], defaults))
    guard !params.isEmpty else { throw OptimizerError("optimizer got an empty parameter list") }
    try addParamGroup(ParamGroup(params))
  }

  /// The optimizer's name in messages (`"SGD"`).
  public var name: String { String(describing: type(of: self)) }

  // MARK: What a subclass provides (RuleOptimizer)

  /// Throws PyTorch's error for an invalid hyperparameter of a complete group.
  func validate(_ group: ParamGroup) throws {}

  /// Adjusts a group loaded by ``loadStateDict(_:)`` (PyTorch's `__setstate__`).
  func adjustLoadedGroup(_ group: inout ParamGroup) {}

  /// Checks every group's gradients and state, then updates every group, with gradient
  /// recording off; throws before changing anything.
  func performStep() throws {}

  /// The state of `param` under PyTorch's keys (live tensors); empty when it has none.
  func stateEntries(of param: Tensor) -> [String: Tensor] { [:] }

  /// Decodes loaded states and replaces all state with them; throws before changing
  /// anything.
  func replaceStates(_ loaded: [LoadedState]) throws {}

  /// Decodes one parameter's state and replaces its state with it (an empty dict clears
  /// it); throws before changing anything.
  func replaceState(of entry: LoadedState) throws {}

  // MARK: Parameter groups

  /// Adds a parameter group (`add_param_group`). Hyperparameters that the group does not
  /// set are taken from ``defaults``.
  ///
  /// Throws when the list is empty, a parameter is not a floating-point leaf, is not
  /// contiguous, appears twice in the group or already belongs to another group
  /// (`"some parameters appear in more than one parameter group"`), or a hyperparameter
  /// is unknown, of the wrong kind or out of range.
  public func addParamGroup(_ group: ParamGroup) throws {
    try Self.checkParameters(group.params, optimizerName: name)
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

  /// Throws PyTorch's messages for an empty list, a parameter that is not floating-point or
  /// not a leaf, and Descent's for a non-contiguous one (updates run in place on raw
  /// buffers); shared with ``LBFGS``.
  static func checkParameters(_ params: [Tensor], optimizerName: String) throws {
    guard !params.isEmpty else {
      throw OptimizerError("optimizer got an empty parameter list")
    }
    for param in params {
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
          "\(optimizerName) updates parameters in place and needs them contiguous, but a parameter of shape \(param.shape) has strides \(param.strides)"
        )
      }
    }
  }

  /// Rejects unknown keys and kinds, fills in defaults, and checks the values.
  func complete(_ group: inout ParamGroup) throws {
    for (key, value) in group.hyperparameters.sorted(by: { $0.key < $1.key }) {
      guard let standard = defaults[key] else {
        if try ParamGroup.isSchedulerKey(key, value) { continue }
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
    try validate(group)
  }

  /// Replaces defaults with `options` (PyTorch-named) right after construction, while the
  /// optimizer has its one constructor group: what ``OptimizerKind/make(_:_:implementation:)``
  /// builds on.
  func overrideDefaults(_ options: [String: HyperValue]) throws {
    var merged = ParamGroup([], options)
    for key in options.keys where defaults[key] == nil {
      let known = defaults.keys.sorted().joined(separator: ", ")
      throw OptimizerError("\(name) has no hyperparameter '\(key)' (it has: \(known))")
    }
    try complete(&merged)
    defaults = merged.hyperparameters
    paramGroups = paramGroups.map { ParamGroup($0.params, merged.hyperparameters) }
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
    try performStep()
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
    try performStep()
    for hook in hooks.stepPost.hooks { hook(self) }
    return loss
  }

  /// Throws when a gradient of `group` has another shape or dtype than its parameter;
  /// `firstIndex` is the index of the group's first parameter, for messages.
  func checkGradients(of group: ParamGroup, firstIndex: Int) throws {
    for offset in group.params.indices {
      let param = group.params[offset]
      guard let grad = param.grad else { continue }
      guard grad.shape == param.shape else {
        throw OptimizerError(
          "gradient of parameter \(firstIndex + offset) has shape \(grad.shape), but the parameter has shape \(param.shape)"
        )
      }
      guard grad.dtype == param.dtype else {
        throw OptimizerError(
          "gradient of parameter \(firstIndex + offset) has dtype \(grad.dtype), but the parameter has dtype \(param.dtype)"
        )
      }
    }
  }

  /// The index of `param` across all groups, or `nil` when it belongs to none.
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

  /// The group that holds `param`.
  func group(of param: Tensor) -> ParamGroup? {
    paramGroups.first { group in group.params.contains { $0 === param } }
  }
}
