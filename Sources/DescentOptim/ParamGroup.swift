import Descent

/// A list of parameters that share hyperparameters, like one entry of PyTorch's
/// `optimizer.param_groups`.
///
/// Hyperparameters are stored under PyTorch's names. A group passed to
/// ``Optimizer/addParamGroup(_:)`` is completed from the optimizer's defaults, so it only
/// needs the values that differ:
///
/// ```swift
/// try optimizer.addParamGroup(ParamGroup([bias], ["lr": 0.05]))
/// optimizer.paramGroups[1].lr = 0.01   // schedulers and users change it between steps
/// ```
///
/// The typed accessors (``lr``, ``weightDecay``, ``betas``, ...) read and write the same
/// dictionary. Reading one that the group does not have stops with a message naming it:
/// an SGD group has no `betas`.
public struct ParamGroup {
  /// The parameters, in order. Their positions across all groups are the indices that
  /// ``OptimizerStateDict`` uses.
  public internal(set) var params: [Tensor]
  /// Every hyperparameter of the group, keyed by PyTorch's name.
  public var hyperparameters: [String: HyperValue]

  /// A group of `params` with the given hyperparameters; the optimizer fills in the rest
  /// from its defaults when the group is added.
  public init(_ params: [Tensor], _ hyperparameters: [String: HyperValue] = [:]) {
    self.params = params
    self.hyperparameters = hyperparameters
  }

  /// The hyperparameter named `key` (PyTorch's name), or `nil`.
  public subscript(key: String) -> HyperValue? {
    get { hyperparameters[key] }
    set { hyperparameters[key] = newValue }
  }

  func number(_ key: String) -> Double {
    guard let value = hyperparameters[key] else {
      requirementFailure("param group has no hyperparameter '\(key)'")
    }
    guard let number = value.number else {
      requirementFailure("hyperparameter '\(key)' is \(value.kindName), expected a number")
    }
    return number
  }

  func flag(_ key: String) -> Bool {
    guard let value = hyperparameters[key] else {
      requirementFailure("param group has no hyperparameter '\(key)'")
    }
    guard let flag = value.bool else {
      requirementFailure("hyperparameter '\(key)' is \(value.kindName), expected a flag")
    }
    return flag
  }

  /// Learning rate (`lr`).
  public var lr: Double {
    get { number("lr") }
    set { hyperparameters["lr"] = .number(newValue) }
  }
  /// Momentum factor (`momentum`): SGD, RMSprop.
  public var momentum: Double {
    get { number("momentum") }
    set { hyperparameters["momentum"] = .number(newValue) }
  }
  /// Dampening for momentum (`dampening`): SGD.
  public var dampening: Double {
    get { number("dampening") }
    set { hyperparameters["dampening"] = .number(newValue) }
  }
  /// Weight decay (`weight_decay`).
  public var weightDecay: Double {
    get { number("weight_decay") }
    set { hyperparameters["weight_decay"] = .number(newValue) }
  }
  /// Nesterov momentum (`nesterov`): SGD.
  public var nesterov: Bool {
    get { flag("nesterov") }
    set { hyperparameters["nesterov"] = .bool(newValue) }
  }
  /// Maximize the objective instead of minimizing it (`maximize`).
  public var maximize: Bool {
    get { flag("maximize") }
    set { hyperparameters["maximize"] = .bool(newValue) }
  }
  /// Smoothing constant (`alpha`): RMSprop.
  public var alpha: Double {
    get { number("alpha") }
    set { hyperparameters["alpha"] = .number(newValue) }
  }
  /// Term added to the denominator (`eps`): RMSprop, Adam.
  public var eps: Double {
    get { number("eps") }
    set { hyperparameters["eps"] = .number(newValue) }
  }
  /// Centered RMSprop (`centered`).
  public var centered: Bool {
    get { flag("centered") }
    set { hyperparameters["centered"] = .bool(newValue) }
  }
  /// Coefficients of the running averages (`betas`): Adam, AdamW.
  public var betas: (Double, Double) {
    get {
      guard let value = hyperparameters["betas"] else {
        requirementFailure("param group has no hyperparameter 'betas'")
      }
      guard let pair = value.numbers, pair.count == 2 else {
        requirementFailure("hyperparameter 'betas' is \(value.kindName), expected 2 numbers")
      }
      return (pair[0], pair[1])
    }
    set { hyperparameters["betas"] = .numbers([newValue.0, newValue.1]) }
  }
  /// AMSGrad variant (`amsgrad`): Adam, AdamW.
  public var amsgrad: Bool {
    get { flag("amsgrad") }
    set { hyperparameters["amsgrad"] = .bool(newValue) }
  }
  /// Decoupled weight decay (`decoupled_weight_decay`): Adam, and always `true` in AdamW.
  public var decoupledWeightDecay: Bool {
    get { flag("decoupled_weight_decay") }
    set { hyperparameters["decoupled_weight_decay"] = .bool(newValue) }
  }
}
