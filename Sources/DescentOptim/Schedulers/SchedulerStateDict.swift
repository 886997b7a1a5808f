import Foundation

/// One value of a scheduler's state dict: what a Python attribute of a scheduler holds.
public enum SchedulerStateValue: Hashable, Sendable {
  /// A Python `int` (`last_epoch`, `_step_count`, `step_size`).
  case int(Int)
  /// A Python `float` (`gamma`, `eta_min`, `best`, which may be infinite).
  case double(Double)
  /// A Python `bool` (`cycle_momentum`).
  case bool(Bool)
  /// A Python `str` (`mode`).
  case string(String)
  /// Python's `None`: `default_min_lr` when per-group minimums were given, and the entries
  /// that stand for closures, which are not saved (`lr_lambdas`, `_scale_fn_custom`).
  case null
  /// A Python list or tuple (`base_lrs`, `_last_lr`, `_schedulers`).
  indirect case list([SchedulerStateValue])
  /// A Python dict (a composite's sub-states; `MultiStepLR`'s milestone counts, keyed by
  /// the milestone written in decimal).
  indirect case dict([String: SchedulerStateValue])

  /// The value as a `Double`: an int or a float.
  public var number: Double? {
    switch self {
    case .int(let v): Double(v)
    case .double(let v): v
    default: nil
    }
  }
}

/// A scheduler's state, keyed by the names of PyTorch's attributes, as
/// `scheduler.state_dict()` returns it: `last_epoch`, `base_lrs`, `_last_lr`,
/// `_step_count` and each scheduler's own (`step_size`, `gamma`, `T_cur`, ...).
///
/// Like PyTorch's, it holds no closures: ``LambdaLR``'s and ``MultiplicativeLR``'s
/// functions and ``CyclicLR``'s `scaleFn` are saved as `None` (`.null`) and must be given
/// again to the new scheduler's initialiser before loading.
///
/// It is `Codable` as plain JSON: numbers, strings, booleans, `null`, arrays and objects,
/// with infinities and NaN written as the strings `"inf"`, `"-inf"` and `"nan"`.
public struct SchedulerStateDict: Hashable, Sendable {
  /// The entries, keyed by PyTorch's attribute names.
  public var values: [String: SchedulerStateValue]

  /// A state dict with `values` (empty by default).
  public init(_ values: [String: SchedulerStateValue] = [:]) { self.values = values }

  /// The entry named `key`, or `nil`.
  public subscript(key: String) -> SchedulerStateValue? {
    get { values[key] }
    set { values[key] = newValue }
  }

  /// The keys, sorted.
  public var keys: [String] { values.keys.sorted() }
}

extension SchedulerStateValue: Codable {
  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? c.decode(Int.self) {
      self = .int(i)
    } else if let d = try? c.decode(Double.self) {
      self = .double(d)
    } else if let s = try? c.decode(String.self) {
      switch s {
      case "inf": self = .double(.infinity)
      case "-inf": self = .double(-.infinity)
      case "nan": self = .double(.nan)
      default: self = .string(s)
      }
    } else if let a = try? c.decode([SchedulerStateValue].self) {
      self = .list(a)
    } else {
      self = .dict(try c.decode([String: SchedulerStateValue].self))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .int(let v): try c.encode(v)
    case .double(let v):
      if v.isFinite {
        try c.encode(v)
      } else {
        try c.encode(Py.repr(v))
      }
    case .bool(let v): try c.encode(v)
    case .string(let v): try c.encode(v)
    case .null: try c.encodeNil()
    case .list(let v): try c.encode(v)
    case .dict(let v): try c.encode(v)
    }
  }
}

extension SchedulerStateDict: Codable {
  public init(from decoder: Decoder) throws {
    values = try decoder.singleValueContainer().decode([String: SchedulerStateValue].self)
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(values)
  }
}

/// Reads a state dict for `loadStateDict(_:)`: each reader returns the saved value or, when
/// the key is absent, the current one (PyTorch's `__dict__.update`), and remembers the key,
/// so that keys no reader asked for are reported. A value of the wrong kind throws before
/// the scheduler changes.
final class StateReader {
  let dict: SchedulerStateDict
  let scheduler: String
  private var known: Set<String> = []

  init(_ dict: SchedulerStateDict, scheduler: String) {
    self.dict = dict
    self.scheduler = scheduler
  }

  private func value(_ key: String) -> SchedulerStateValue? {
    known.insert(key)
    return dict[key]
  }

  private func mismatch(_ key: String, _ expected: String, _ value: SchedulerStateValue) -> SchedulerError {
    SchedulerError("\(scheduler) state dict: '\(key)' must be \(expected), got \(value)")
  }

  /// Marks `key` as known without reading it.
  func ignore(_ key: String) { known.insert(key) }

  func int(_ key: String, or current: Int) throws -> Int {
    guard let v = value(key) else { return current }
    switch v {
    case .int(let i): return i
    case .double(let d) where d.rounded() == d && Swift.abs(d) < 1e15: return Int(d)
    default: throw mismatch(key, "an integer", v)
    }
  }

  func double(_ key: String, or current: Double) throws -> Double {
    guard let v = value(key) else { return current }
    guard let d = v.number else { throw mismatch(key, "a number", v) }
    return d
  }

  func optionalDouble(_ key: String, or current: Double?) throws -> Double? {
    guard let v = value(key) else { return current }
    if case .null = v { return nil }
    guard let d = v.number else { throw mismatch(key, "a number or None", v) }
    return d
  }

  func bool(_ key: String, or current: Bool) throws -> Bool {
    guard let v = value(key) else { return current }
    guard case .bool(let b) = v else { throw mismatch(key, "a bool", v) }
    return b
  }

  func string(_ key: String, or current: String) throws -> String {
    guard let v = value(key) else { return current }
    guard case .string(let s) = v else { throw mismatch(key, "a string", v) }
    return s
  }

  func doubles(_ key: String, or current: [Double]) throws -> [Double] {
    guard let v = value(key) else { return current }
    guard case .list(let items) = v else { throw mismatch(key, "a list of numbers", v) }
    return try items.map { item in
      guard let d = item.number else { throw mismatch(key, "a list of numbers", v) }
      return d
    }
  }

  func ints(_ key: String, or current: [Int]) throws -> [Int] {
    guard let v = value(key) else { return current }
    guard case .list(let items) = v else { throw mismatch(key, "a list of integers", v) }
    return try items.map { item in
      guard case .int(let i) = item else { throw mismatch(key, "a list of integers", v) }
      return i
    }
  }

  /// A list of `count` entries that stand for closures: each must be `None` (Descent saves
  /// no closure state).
  func closures(_ key: String, count: Int) throws {
    guard let v = value(key) else { return }
    let items: [SchedulerStateValue]
    switch v {
    case .list(let list): items = list
    case .null: items = [.null]
    default: throw mismatch(key, "None entries (closures are not saved)", v)
    }
    for item in items where item != .null {
      throw mismatch(key, "None entries (closures are not saved)", v)
    }
    if case .list = v, items.count != count {
      throw SchedulerError(
        "\(scheduler) state dict: '\(key)' has \(items.count) entries, but the scheduler has \(count)")
    }
  }

  /// The sub-state dicts of a composite's `_schedulers`.
  func subStates(_ key: String, count: Int) throws -> [SchedulerStateDict]? {
    guard let v = value(key) else { return nil }
    guard case .list(let items) = v else { throw mismatch(key, "a list of state dicts", v) }
    guard items.count == count else {
      throw SchedulerError(
        "\(scheduler) state dict: '\(key)' has \(items.count) state dicts, but the scheduler chains \(count)"
      )
    }
    return try items.map { item in
      guard case .dict(let d) = item else { throw mismatch(key, "a list of state dicts", v) }
      return SchedulerStateDict(d)
    }
  }

  /// Throws for keys that no reader asked for: a state dict of another scheduler.
  func checkNoUnknownKeys() throws {
    let unknown = dict.keys.filter { !known.contains($0) }
    guard unknown.isEmpty else {
      throw SchedulerError(
        "\(scheduler) state dict has unknown keys: \(unknown.joined(separator: ", ")) (it has: \(known.sorted().joined(separator: ", ")))"
      )
    }
  }
}

extension Array where Element == Double {
  /// As a state-dict list of floats.
  var stateValue: SchedulerStateValue { .list(map { .double($0) }) }
}
