/// One value for every param group, or one value per group: the "float or list" arguments
/// of PyTorch's schedulers (`max_lr`, `base_lr`, `base_momentum`, `max_momentum`,
/// `min_lr`).
public enum GroupValues: Equatable, Sendable {
  /// The same value for every group (a Python float).
  case all(Double)
  /// One value per group, in group order (a Python list).
  case each([Double])
}

/// A type that can be passed where a scheduler takes a value for every group or a list
/// with one per group: `Double`, `Int`, `[Double]` and ``GroupValues`` itself, so that
/// `maxLR: 0.1`, `maxLR: peak` and `maxLR: [0.1, 0.01]` all read as in Python.
public protocol GroupValuesConvertible {
  /// The value or values.
  var groupValues: GroupValues { get }
}

extension GroupValues: GroupValuesConvertible {
  public var groupValues: GroupValues { self }
}

extension Double: GroupValuesConvertible {
  public var groupValues: GroupValues { .all(self) }
}

extension Int: GroupValuesConvertible {
  public var groupValues: GroupValues { .all(Double(self)) }
}

extension Array: GroupValuesConvertible where Element == Double {
  public var groupValues: GroupValues { .each(self) }
}

extension GroupValues {
  /// PyTorch's `_format_param`: the value repeated for each of `optimizer`'s groups, or
  /// the list, which must have one value per group.
  func perGroup(_ name: String, _ optimizer: Optimizer) throws -> [Double] {
    let count = optimizer.paramGroups.count
    switch self {
    case .all(let value):
      return Array(repeating: value, count: count)
    case .each(let values):
      guard values.count == count else {
        throw SchedulerError(
          "\(name) must have the same length as optimizer.param_groups. \(name) has \(values.count) values, param_groups has \(count)."
        )
      }
      return values
    }
  }
}
