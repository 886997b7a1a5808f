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
/// The typed accessors (``lr``, ``momentum``, ``weightDecay``, ``betas``) read and write the
/// same dictionary; other hyperparameters are read by name (`group["amsgrad"]`,
/// ``flag(_:)``). Reading one that the group does not have stops with a message naming it:
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

  /// The number `key`, for rules that read their group. Stops with a message naming the key
  /// when the group has no such number.
  public func number(_ key: String) -> Double {
    guard let value = hyperparameters[key] else {
      requirementFailure("param group has no hyperparameter '\(key)'")
    }
    guard let number = value.number else {
      requirementFailure("hyperparameter '\(key)' is \(value.kindName), expected a number")
    }
    return number
  }

  /// The flag `key`, for rules that read their group. Stops with a message naming the key
  /// when the group has no such flag.
  public func flag(_ key: String) -> Bool {
    guard let value = hyperparameters[key] else {
      requirementFailure("param group has no hyperparameter '\(key)'")
    }
    guard let flag = value.bool else {
      requirementFailure("hyperparameter '\(key)' is \(value.kindName), expected a flag")
    }
    return flag
  }

  /// The pair of numbers `key` (`betas`, `etas`, ...). Stops with a message naming the key
  /// when the group has no such pair.
  public func pair(_ key: String) -> (Double, Double) {
    guard let value = hyperparameters[key] else {
      requirementFailure("param group has no hyperparameter '\(key)'")
    }
    guard let pair = value.numbers, pair.count == 2 else {
      requirementFailure("hyperparameter '\(key)' is \(value.kindName), expected 2 numbers")
    }
    return (pair[0], pair[1])
  }

  /// Learning rate (`lr`), which every optimizer has and schedulers change.
  public var lr: Double {
    get { number("lr") }
    set { hyperparameters["lr"] = .number(newValue) }
  }
  /// Momentum factor (`momentum`): SGD, RMSprop; cycled by `CyclicLR` and `OneCycleLR`.
  public var momentum: Double {
    get { number("momentum") }
    set { hyperparameters["momentum"] = .number(newValue) }
  }
  /// Weight decay (`weight_decay`), which almost every optimizer has.
  public var weightDecay: Double {
    get { number("weight_decay") }
    set { hyperparameters["weight_decay"] = .number(newValue) }
  }
  /// Coefficients of the running averages (`betas`): Adam and its relatives; `betas.0` is
  /// cycled by `CyclicLR` and `OneCycleLR`.
  public var betas: (Double, Double) {
    get { pair("betas") }
    set { hyperparameters["betas"] = .numbers([newValue.0, newValue.1]) }
  }
}
