import Descent
import DescentOptim
import Foundation

/// JSON for the test workers. Numbers travel as strings in Swift's shortest round-trip
/// spelling, so float64 values arrive bit for bit.
enum WorkerJSON {
  static func values(_ tensor: Tensor) -> [String] {
    tensor.to(dtype: .float64).contiguous().asArray(Double.self).map { "\($0)" }
  }

  static func tensor(_ object: Any, dtype: DType) throws -> Tensor {
    guard let dict = object as? [String: Any], let shape = dict["shape"] as? [Int],
      let strings = dict["values"] as? [String]
    else { throw WorkerError("malformed tensor record") }
    let values = try strings.map { s -> Double in
      guard let v = Double(s) else { throw WorkerError("malformed number \(s)") }
      return v
    }
    let kind = (dict["dtype"] as? String).flatMap(DType.init(rawValue:)) ?? dtype
    return Tensor(values, shape: shape, dtype: kind)
  }

  static func record(_ tensor: Tensor) -> [String: Any] {
    ["shape": tensor.shape, "dtype": tensor.dtype.rawValue, "values": values(tensor)]
  }

  static func hyper(_ value: HyperValue) -> Any {
    switch value {
    case .number(let v): return ["number": "\(v)"]
    case .bool(let b): return ["bool": b]
    case .numbers(let v): return ["numbers": v.map { "\($0)" }]
    case .string(let s): return ["string": s]
    case .null: return ["null": true]
    case .optionalNumbers(let v): return ["optionalNumbers": v.map { $0.map { "\($0)" } ?? "None" }]
    }
  }

  static func hyper(_ object: Any) throws -> HyperValue {
    guard let dict = object as? [String: Any] else { throw WorkerError("malformed hyperparameter") }
    if let s = dict["number"] as? String, let v = Double(s) { return .number(v) }
    if let b = dict["bool"] as? Bool { return .bool(b) }
    if let v = dict["numbers"] as? [String] { return .numbers(v.compactMap(Double.init)) }
    if let s = dict["string"] as? String { return .string(s) }
    if dict["null"] != nil { return .null }
    if let v = dict["optionalNumbers"] as? [String] { return .optionalNumbers(v.map(Double.init)) }
    throw WorkerError("malformed hyperparameter \(dict)")
  }

  static func stateDict(_ dict: OptimizerStateDict) -> [String: Any] {
    var state: [String: Any] = [:]
    for (index, entries) in dict.state {
      state["\(index)"] = entries.mapValues { record($0) }
    }
    let groups = dict.paramGroups.map { group -> [String: Any] in
      ["params": group.params, "hyperparameters": group.hyperparameters.mapValues { hyper($0) }]
    }
    return ["state": state, "param_groups": groups]
  }

  static func stateDict(_ object: Any, dtype: DType) throws -> OptimizerStateDict {
    guard let dict = object as? [String: Any], let state = dict["state"] as? [String: Any],
      let groups = dict["param_groups"] as? [[String: Any]]
    else { throw WorkerError("malformed state dict") }
    var decoded: [Int: [String: Tensor]] = [:]
    for (key, value) in state {
      guard let index = Int(key), let entries = value as? [String: Any] else {
        throw WorkerError("malformed state entry \(key)")
      }
      decoded[index] = try entries.mapValues { try tensor($0, dtype: dtype) }
    }
    let decodedGroups = try groups.map { group -> OptimizerStateDict.Group in
      guard let params = group["params"] as? [Int],
        let hyper = group["hyperparameters"] as? [String: Any]
      else { throw WorkerError("malformed param group") }
      return .init(params: params, hyperparameters: try hyper.mapValues { try self.hyper($0) })
    }
    return OptimizerStateDict(state: decoded, paramGroups: decodedGroups)
  }

  static func write(_ object: Any, to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  }

  static func read(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw WorkerError("\(path) is not a JSON object")
    }
    return object
  }
}

struct WorkerError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
