/// The value of one hyperparameter in a parameter group: a number, a flag, or a list of
/// numbers (Adam's `betas`).
///
/// Hyperparameters are keyed by PyTorch's names (`"lr"`, `"weight_decay"`, `"betas"`), the
/// keys that `state_dict()["param_groups"]` uses. Literals make group options read like
/// Python dictionaries:
///
/// ```swift
/// let group = ParamGroup([bias], ["lr": 0.05, "betas": [0.9, 0.99], "amsgrad": true])
/// ```
public enum HyperValue: Hashable, Sendable {
  /// A real number (`lr`, `momentum`, `eps`, ...). PyTorch's integer defaults such as
  /// `momentum=0` are numbers too.
  case number(Double)
  /// A flag (`nesterov`, `amsgrad`, `maximize`, ...).
  case bool(Bool)
  /// A list of numbers (`betas`, a Python tuple).
  case numbers([Double])
  /// Text, for options such as a scheduler's mode.
  case string(String)

  /// The number, or `nil` for other kinds.
  public var number: Double? {
    if case .number(let v) = self { return v }
    return nil
  }
  /// The flag, or `nil` for other kinds.
  public var bool: Bool? {
    if case .bool(let v) = self { return v }
    return nil
  }
  /// The list of numbers, or `nil` for other kinds.
  public var numbers: [Double]? {
    if case .numbers(let v) = self { return v }
    return nil
  }
  /// The text, or `nil` for other kinds.
  public var string: String? {
    if case .string(let v) = self { return v }
    return nil
  }

  /// Whether `other` holds the same kind of value (both numbers, both flags, ...; lists must
  /// also have the same length).
  func hasSameKind(as other: HyperValue) -> Bool {
    switch (self, other) {
    case (.number, .number), (.bool, .bool), (.string, .string): true
    case (.numbers(let a), .numbers(let b)): a.count == b.count
    default: false
    }
  }

  /// A short name of the kind, for error messages.
  var kindName: String {
    switch self {
    case .number: "a number"
    case .bool: "a flag"
    case .numbers(let v): "a list of \(v.count) numbers"
    case .string: "text"
    }
  }
}

extension HyperValue: CustomStringConvertible {
  /// Python's spelling: `0.001`, `True`, `(0.9, 0.999)`, `'min'`.
  public var description: String {
    switch self {
    case .number(let v): "\(v)"
    case .bool(let v): v ? "True" : "False"
    case .numbers(let v): "(" + v.map { "\($0)" }.joined(separator: ", ") + ")"
    case .string(let v): "'\(v)'"
    }
  }
}

extension HyperValue: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByStringLiteral
{
  public init(floatLiteral value: Double) { self = .number(value) }
  public init(integerLiteral value: Int) { self = .number(Double(value)) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(arrayLiteral elements: Double...) { self = .numbers(elements) }
  public init(stringLiteral value: String) { self = .string(value) }
}
