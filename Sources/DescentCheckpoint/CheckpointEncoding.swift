import Descent
import DescentNN
import DescentOptim
import Foundation
import OrderedCollections

/// Param-group keys that PyTorch keeps and Descent's optimizers have no use for: its
/// implementation flags. A checkpoint keeps them so that a PyTorch checkpoint converted to
/// Descent and back is unchanged.
let torchOnlyGroupKeys: Set<String> = ["foreach", "capturable", "differentiable", "fused"]

/// What a checkpoint carries for PyTorch's sake beyond Descent's state dicts.
struct TorchDetails {
  struct Group {
    /// Keys Descent's optimizers do not take (``torchOnlyGroupKeys``, and values no
    /// hyperparameter can hold, such as `None`), in file order.
    var extras: [(String, JSONValue)] = []
    /// The JSON each hyperparameter was read from, so that an unchanged value is written
    /// back with its Python type (`0` stays an int, `(1e-06, 50)` keeps its int).
    var original: [String: JSONValue] = [:]
    /// Every key in file order, `params` included, so that the group is written back in it.
    var order: [String] = []
  }
  var groups: [Group] = []
  /// Per parameter index: state entries that are Python values rather than tensors.
  var pythonState: [Int: [(String, JSONValue)]] = [:]
  /// Metadata entries that Descent does not read (such as the converter's
  /// `torch.model._metadata`), by key.
  var otherMetadata: [String: String] = [:]
}

extension Checkpoint {
  /// The tensors and metadata of the file.
  func encoded() throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    var tensors: [String: Tensor] = [:]
    for (name, tensor) in model { tensors[CheckpointKeys.modelPrefix + name] = tensor }

    var stateJSON: [(String, JSONValue)] = []
    for index in Set(optimizer.state.keys).union(torch.pythonState.keys).sorted() {
      var entries: [(String, JSONValue)] = []
      for (key, tensor) in (optimizer.state[index] ?? [:]).sorted(by: { $0.key < $1.key }) {
        if tensor.rank == 0 && tensor.dtype == .float32 {
          entries.append((key, .double(tensor.item())))
        } else {
          tensors[CheckpointKeys.optimizerStatePrefix + "\(index).\(key)"] = tensor
        }
      }
      entries += torch.pythonState[index] ?? []
      stateJSON.append((String(index), .object(entries)))
    }
    var groupsJSON: [JSONValue] = []
    for (i, group) in optimizer.paramGroups.enumerated() {
      let details = i < torch.groups.count ? torch.groups[i] : TorchDetails.Group()
      var values: [String: JSONValue] = ["params": .array(group.params.map { .int($0) })]
      for (key, value) in details.extras where group.hyperparameters[key] == nil { values[key] = value }
      for (key, value) in group.hyperparameters {
        let json = Self.json(value)
        if let original = details.original[key], Self.sameNumbers(original, json) {
          values[key] = original
        } else {
          values[key] = json
        }
      }
      // The file's order, then new keys sorted, `params` last as PyTorch writes it.
      let known = details.order.filter { values[$0] != nil }
      let added = values.keys.filter { !details.order.contains($0) && $0 != "params" }.sorted()
      let order = known + added + (known.contains("params") ? [] : ["params"])
      groupsJSON.append(.object(order.map { ($0, values[$0]!) }))
    }

    var metadata = torch.otherMetadata
    for (key, value) in self.metadata { metadata[CheckpointKeys.userPrefix + key] = value }
    metadata[CheckpointKeys.format] = "1"
    metadata[CheckpointKeys.step] = String(step)
    metadata[CheckpointKeys.model] = JSONValue.array(model.keys.map { .string($0) }).text
    metadata[CheckpointKeys.optimizer] =
      JSONValue.object([("state", .object(stateJSON)), ("param_groups", .array(groupsJSON))]).text
    metadata[CheckpointKeys.optimizerClass] = optimizerName
    if let scheduler {
      metadata[CheckpointKeys.scheduler] = Self.json(scheduler).text
      metadata[CheckpointKeys.schedulerClass] = schedulerName
    }
    return (tensors, metadata)
  }

  /// A checkpoint from a loaded file whose metadata marks it as one.
  init(decoding file: SafetensorsFile) throws {
    let metadata = file.metadata
    guard metadata[CheckpointKeys.format] == "1" else {
      throw CheckpointError.invalidMetadata(
        CheckpointKeys.format,
        "version \(metadata[CheckpointKeys.format] ?? "") is not 1, the version Descent reads")
    }
    guard let stepText = metadata[CheckpointKeys.step], let step = Int(stepText) else {
      throw CheckpointError.invalidMetadata(
        CheckpointKeys.step, "expected an integer, got \(metadata[CheckpointKeys.step] ?? "nothing")")
    }

    // Tensors by section.
    var modelTensors: [String: Tensor] = [:]
    var state: [Int: [String: Tensor]] = [:]
    for (name, tensor) in file.tensors {
      if name.hasPrefix(CheckpointKeys.modelPrefix) {
        modelTensors[String(name.dropFirst(CheckpointKeys.modelPrefix.count))] = tensor
      } else if name.hasPrefix(CheckpointKeys.optimizerStatePrefix) {
        let rest = name.dropFirst(CheckpointKeys.optimizerStatePrefix.count)
        guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]), index >= 0 else {
          throw CheckpointError("checkpoint tensor '\(name)' is not named optimizer.state.<index>.<key>")
        }
        state[index, default: [:]][String(rest[rest.index(after: dot)...])] = tensor
      } else {
        throw CheckpointError(
          "checkpoint tensor '\(name)' belongs to neither the model ('model.') nor the optimizer ('optimizer.state.')"
        )
      }
    }

    // The model, in its recorded order.
    var model = ModuleStateDict()
    if let orderText = metadata[CheckpointKeys.model] {
      guard case .array(let names) = try Self.parse(orderText, key: CheckpointKeys.model) else {
        throw CheckpointError.invalidMetadata(CheckpointKeys.model, "expected a list of names")
      }
      for name in names {
        guard case .string(let name) = name, let tensor = modelTensors.removeValue(forKey: name) else {
          throw CheckpointError.invalidMetadata(
            CheckpointKeys.model, "it lists \(name.text), which is not a tensor of the file")
        }
        model[name] = tensor
      }
    }
    for name in modelTensors.keys.sorted() { model[name] = modelTensors[name] }

    // The optimizer: scalars and groups from JSON, tensors from the file.
    var torch = TorchDetails()
    guard let optimizerText = metadata[CheckpointKeys.optimizer] else {
      throw CheckpointError.invalidMetadata(CheckpointKeys.optimizer, "missing")
    }
    let optimizerJSON = try Self.parse(optimizerText, key: CheckpointKeys.optimizer)
    guard case .object(let stateEntries)? = optimizerJSON["state"],
      case .array(let groupEntries)? = optimizerJSON["param_groups"]
    else {
      throw CheckpointError.invalidMetadata(
        CheckpointKeys.optimizer, "expected an object with 'state' and 'param_groups'")
    }
    for (indexText, value) in stateEntries {
      guard let index = Int(indexText), index >= 0, case .object(let entries) = value else {
        throw CheckpointError.invalidMetadata(
          CheckpointKeys.optimizer, "state '\(indexText)' is not an index with an object")
      }
      state[index, default: [:]] = state[index, default: [:]]
      for (key, entry) in entries {
        if let number = entry.number {
          state[index, default: [:]][key] = Tensor(scalar: number, dtype: .float32)
        } else {
          torch.pythonState[index, default: []].append((key, entry))
        }
      }
    }
    var groups: [OptimizerStateDict.Group] = []
    for (i, entry) in groupEntries.enumerated() {
      guard case .object(let entries) = entry else {
        throw CheckpointError.invalidMetadata(CheckpointKeys.optimizer, "param_groups[\(i)] is not an object")
      }
      var params: [Int]?
      var hyperparameters: [String: HyperValue] = [:]
      var details = TorchDetails.Group()
      for (key, value) in entries {
        details.order.append(key)
        if key == "params" {
          guard case .array(let items) = value else { break }
          params = items.compactMap { if case .int(let v) = $0 { v } else { nil } }
          if params?.count != items.count { params = nil }
        } else if !torchOnlyGroupKeys.contains(key), let hyper = Self.hyperValue(value) {
          hyperparameters[key] = hyper
          details.original[key] = value
        } else {
          details.extras.append((key, value))
        }
      }
      guard let params else {
        throw CheckpointError.invalidMetadata(
          CheckpointKeys.optimizer, "param_groups[\(i)] has no list of integer 'params'")
      }
      groups.append(OptimizerStateDict.Group(params: params, hyperparameters: hyperparameters))
      torch.groups.append(details)
    }

    var scheduler: SchedulerStateDict?
    if let text = metadata[CheckpointKeys.scheduler] {
      guard case .dict(let values) = Self.schedulerValue(try Self.parse(text, key: CheckpointKeys.scheduler))
      else { throw CheckpointError.invalidMetadata(CheckpointKeys.scheduler, "expected an object") }
      scheduler = SchedulerStateDict(values)
    }

    var user: [String: String] = [:]
    var other: [String: String] = [:]
    let known: Set<String> = [
      CheckpointKeys.format, CheckpointKeys.step, CheckpointKeys.model, CheckpointKeys.optimizer,
      CheckpointKeys.optimizerClass, CheckpointKeys.scheduler, CheckpointKeys.schedulerClass,
    ]
    for (key, value) in metadata where !known.contains(key) {
      if key.hasPrefix(CheckpointKeys.userPrefix) {
        user[String(key.dropFirst(CheckpointKeys.userPrefix.count))] = value
      } else {
        other[key] = value
      }
    }

    self.init(
      model: model, optimizer: OptimizerStateDict(state: state, paramGroups: groups), scheduler: scheduler,
      step: step, metadata: user)
    self.optimizerName = metadata[CheckpointKeys.optimizerClass]
    self.schedulerName = metadata[CheckpointKeys.schedulerClass]
    self.torch = torch
    self.torch.otherMetadata = other
  }

  static func parse(_ text: String, key: String) throws -> JSONValue {
    do {
      return try JSONValue(parsing: text)
    } catch {
      throw CheckpointError.invalidMetadata(key, "not JSON (\(error))")
    }
  }

  // MARK: Hyperparameters

  /// A hyperparameter as JSON: numbers as floats, lists as lists.
  static func json(_ value: HyperValue) -> JSONValue {
    switch value {
    case .number(let v): .double(v)
    case .bool(let v): .bool(v)
    case .numbers(let v): .array(v.map { .double($0) })
    case .string(let v): .string(v)
    case .null: .null
    case .optionalNumbers(let v): .array(v.map { $0.map { .double($0) } ?? .null })
    }
  }

  /// The hyperparameter a JSON value stands for, or `nil` when none can hold it (an
  /// object, a list of other things than numbers and `None`).
  static func hyperValue(_ json: JSONValue) -> HyperValue? {
    switch json {
    case .int(let v): .number(Double(v))
    case .double(let v): .number(v)
    case .bool(let v): .bool(v)
    case .string(let v): .string(v)
    case .null: .null
    case .array(let items):
      if items.allSatisfy({ $0.number != nil }) {
        .numbers(items.map { $0.number! })
      } else if items.allSatisfy({ $0.number != nil || $0 == .null }) {
        .optionalNumbers(items.map { $0.number })
      } else {
        nil
      }
    default: nil
    }
  }

  /// Whether two JSON values hold the same numbers (ints and floats alike), flags and text.
  static func sameNumbers(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy(sameNumbers)
    default:
      if let x = a.number, let y = b.number { x == y || (x.isNaN && y.isNaN) } else { a == b }
    }
  }

  // MARK: Scheduler state

  static func json(_ state: SchedulerStateDict) -> JSONValue {
    json(SchedulerStateValue.dict(state.values))
  }

  static func json(_ value: SchedulerStateValue) -> JSONValue {
    switch value {
    case .int(let v): .int(v)
    case .double(let v): .double(v)
    case .bool(let v): .bool(v)
    case .string(let v): .string(v)
    case .null: .null
    case .list(let items): .array(items.map(json))
    case .dict(let entries): .object(entries.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) })
    }
  }

  static func schedulerValue(_ json: JSONValue) -> SchedulerStateValue {
    switch json {
    case .null: .null
    case .bool(let v): .bool(v)
    case .int(let v): .int(v)
    case .double(let v): .double(v)
    case .string(let v): .string(v)
    case .array(let items): .list(items.map(schedulerValue))
    case .object(let entries):
      .dict(Dictionary(entries.map { ($0.0, schedulerValue($0.1)) }, uniquingKeysWith: { $1 }))
    }
  }
}
