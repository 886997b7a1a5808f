/// The value of one hyperparameter in a parameter group: a number, a flag, a list of
/// numbers (Adam's `betas`), text, or Python's `None` (alone, or in a list: Adafactor's
/// `eps = (None, 1e-3)`).
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
  /// Python's `None` (LBFGS's `line_search_fn` when there is no line search).
  case null
  /// A list of numbers of which at least one is Python's `None` (Adafactor's
  /// `eps = (None, 1e-3)`). A list without `None` is ``numbers(_:)``; the two kinds are
  /// interchangeable where a group is checked.
  case optionalNumbers([Double?])

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
  /// The list of numbers and `None`s (`nil`), for ``optionalNumbers(_:)`` and
  /// ``numbers(_:)``; `nil` for other kinds.
  public var optionalNumbers: [Double?]? {
    switch self {
    case .optionalNumbers(let v): v
    case .numbers(let v): v
    default: nil
    }
  }

  /// Whether `other` holds the same kind of value (both numbers, both flags, ...; lists must
  /// also have the same length).
  func hasSameKind(as other: HyperValue) -> Bool {
    switch (self, other) {
    case (.number, .number), (.bool, .bool), (.string, .string), (.null, .null): true
    case (.numbers(let a), .numbers(let b)): a.count == b.count
    case (.optionalNumbers(let a), .optionalNumbers(let b)): a.count == b.count
    case (.numbers(let a), .optionalNumbers(let b)), (.optionalNumbers(let b), .numbers(let a)):
      a.count == b.count
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
    case .null: "None"
    case .optionalNumbers(let v): "a list of \(v.count) numbers or None"
    }
  }
}

extension HyperValue: CustomStringConvertible {
  /// Python's spelling: `0.001`, `True`, `(0.9, 0.999)`, `'min'`, `None`, `(None, 0.001)`.
  public var description: String {
    switch self {
    case .number(let v): "\(v)"
    case .bool(let v): v ? "True" : "False"
    case .numbers(let v): "(" + v.map { "\($0)" }.joined(separator: ", ") + ")"
    case .string(let v): "'\(v)'"
    case .null: "None"
    case .optionalNumbers(let v): "(" + v.map { $0.map { "\($0)" } ?? "None" }.joined(separator: ", ") + ")"
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
