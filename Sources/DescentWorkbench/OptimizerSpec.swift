import ArgumentParser
import Descent
import DescentOptim
import Foundation

/// An optimizer named on the command line with its options:
/// `adam`, `adam:lr=3e-3`, `sgd:lr=0.1,momentum=0.9,nesterov=true`,
/// `adamw:betas=(0.9,0.99)`. Names are the registry's (``OptimizerKind``, any case);
/// options are PyTorch's keyword arguments.
public struct OptimizerSpec: ExpressibleByArgument, CustomStringConvertible, Hashable {
  /// The optimizer.
  public let kind: OptimizerKind
  /// Its keyword arguments that differ from the defaults, under PyTorch's names.
  public let options: [String: HyperValue]

  /// An optimizer with `options` (default none: PyTorch's defaults).
  public init(_ kind: OptimizerKind, _ options: [String: HyperValue] = [:]) {
    self.kind = kind
    self.options = options
  }

  /// Parses `NAME[:key=value,...]`; `nil` when it does not parse (ArgumentParser's hook).
  public init?(argument: String) {
    try? self.init(parsing: argument)
  }

  /// Parses `NAME[:key=value,...]`, throwing a message that names what is wrong.
  public init(parsing text: String) throws {
    let (name, rest) =
      text.firstIndex(of: ":").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) }
      ?? (text, "")
    guard let kind = OptimizerKind(name: name) else {
      throw ValidationError(
        "unknown optimizer '\(name)'; expected one of \(OptimizerKind.allCases.map { $0.name.lowercased() }.joined(separator: ", "))"
      )
    }
    var options: [String: HyperValue] = [:]
    for item in Self.splitTopLevel(rest) where !item.isEmpty {
      guard let eq = item.firstIndex(of: "=") else {
        throw ValidationError("option '\(item)' of \(name) must read key=value")
      }
      let key = String(item[..<eq])
      let value = String(item[item.index(after: eq)...])
      guard let parsed = Self.parseValue(value) else {
        throw ValidationError(
          "value '\(value)' of option '\(key)' of \(name) is not a number, a flag or a (tuple)")
      }
      options[key] = parsed
    }
    self.init(kind, options)
  }

  /// `Adam(lr=0.003)`: the optimizer and the options that differ from its defaults.
  public var description: String {
    let args = options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    return "\(kind.name)(\(args.joined(separator: ", ")))"
  }

  /// A short label for tables: the registry name, with its options when it has any.
  public var label: String {
    options.isEmpty
      ? kind.name.lowercased()
      : kind.name.lowercased() + ":"
        + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
  }

  /// The keyword arguments as JSON values, for scripts/bench_torch.py.
  public var jsonOptions: [String: Any] {
    options.mapValues { value -> Any in
      switch value {
      case .number(let v): v
      case .bool(let b): b
      case .numbers(let v): v
      case .string(let s): s
      case .null: NSNull()
      case .optionalNumbers(let v): v.map { $0.map { $0 as Any } ?? NSNull() }
      }
    }
  }

  /// Throws a ValidationError with the registry's message when ``options`` name a
  /// hyperparameter the optimizer does not have, or a value it refuses: what building it
  /// would throw, found before any work starts.
  public func validate() throws {
    do {
      _ = try make([Tensor.zeros([1], requiresGrad: true)])
    } catch let error as OptimizerError {
      throw ValidationError("--opt \(label): \(error.message)")
    }
  }

  /// Builds the optimizer over `params` with ``options``.
  public func make(_ params: [Tensor], implementation: OptimizerImplementation = .default) throws
    -> Optimizer
  {
    try kind.make(params, options, implementation: implementation)
  }

  private static func splitTopLevel(_ text: String) -> [String] {
    var parts: [String] = []
    var depth = 0
    var current = ""
    for c in text {
      if c == "(" || c == "[" { depth += 1 }
      if c == ")" || c == "]" { depth -= 1 }
      if c == "," && depth == 0 {
        parts.append(current)
        current = ""
      } else {
        current.append(c)
      }
    }
    parts.append(current)
    return parts.map { $0.trimmingCharacters(in: .whitespaces) }
  }

  private static func parseValue(_ text: String) -> HyperValue? {
    switch text.lowercased() {
    case "true": return .bool(true)
    case "false": return .bool(false)
    case "none": return .null
    default: break
    }
    if let number = Double(text) { return .number(number) }
    if let first = text.first, let last = text.last, "([".contains(first), ")]".contains(last) {
      // `None` inside a tuple is Python's (Adafactor's `eps=(None,1e-3)`).
      let items = text.dropFirst().dropLast().split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      let inner = items.map { $0 == "None" ? Double?.none : Double($0) }
      guard !inner.isEmpty,
        zip(items, inner).allSatisfy({ item, value in value != nil || item == "None" })
      else { return nil }
      return inner.contains(nil) ? .optionalNumbers(inner) : .numbers(inner.map { $0! })
    }
    return nil
  }
}
