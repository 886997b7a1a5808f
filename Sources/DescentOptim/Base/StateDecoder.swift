import Descent

/// Reads one parameter's state from PyTorch's `[String: Tensor]` layout into a typed
/// ``OptimizerState``, checking each entry; used by ``OptimizerRule/decodeState(_:)``.
///
/// Tensors are copied and cast to the parameter's dtype; scalars such as `step` are rounded
/// to float32, as PyTorch keeps them. Keys that the rule does not read are kept as they
/// are and written back by ``Optimizer/stateDict()``, as PyTorch keeps whatever its state
/// holds.
public struct StateDecoder {
  /// The entries being read.
  public let values: [String: Tensor]
  /// The parameter the state belongs to.
  public let param: Tensor
  /// The parameter's index across all groups, for messages.
  public let index: Int
  let optimizerName: String
  /// How a missing key is reported: loading a state dict and `setState` say so differently.
  let missingKeyMessage: (String) -> String
  private(set) var readKeys: Set<String> = []

  init(
    _ values: [String: Tensor], param: Tensor, index: Int, optimizerName: String,
    missingKeyMessage: @escaping (String) -> String
  ) {
    self.values = values
    self.param = param
    self.index = index
    self.optimizerName = optimizerName
    self.missingKeyMessage = missingKeyMessage
  }

  /// The entry `key`, shaped like the parameter, as a copy in its dtype. Throws when it
  /// is missing or has another shape.
  public mutating func tensor(_ key: String) throws -> Tensor {
    guard let tensor = try optionalTensor(key) else {
      throw OptimizerError(missingKeyMessage(key))
    }
    return tensor
  }

  /// The entry `key`, shaped like the parameter, as a copy in its dtype, or `nil` when the
  /// dict has none.
  public mutating func optionalTensor(_ key: String) throws -> Tensor? {
    readKeys.insert(key)
    guard let value = values[key] else { return nil }
    return try Self.parameterShaped(value, key: key, param: param, index: index)
  }

  /// The entry `key` with the shape `shape`, for state that is not shaped like its
  /// parameter (Adafactor's factored `row_var` `[..., R, 1]` and `col_var` `[..., 1, C]`),
  /// as a copy in the parameter's dtype. Throws when it is missing or has another shape.
  public mutating func tensor(_ key: String, shape: [Int]) throws -> Tensor {
    readKeys.insert(key)
    guard let value = values[key] else { throw OptimizerError(missingKeyMessage(key)) }
    guard value.shape == shape else {
      throw OptimizerError(
        "state '\(key)' of parameter \(index) has shape \(value.shape), but \(optimizerName) keeps it in shape \(shape) for a parameter of shape \(param.shape)"
      )
    }
    guard value.dtype != .bool else {
      throw OptimizerError("state '\(key)' of parameter \(index) is a torch.bool tensor")
    }
    return withNoGrad { value.to(dtype: param.dtype).detach().clone() }
  }

  /// The entry `key` as it was loaded, in its own dtype and shape, or `nil` when the dict
  /// has none: for state that is neither shaped like its parameter nor in its dtype (the
  /// uint8 codes and per-block scales of ``Adam8bit``), which the rule then checks itself.
  public mutating func storedTensor(_ key: String) -> Tensor? {
    readKeys.insert(key)
    return values[key]
  }

  /// The number `key` (a 0-d or one-element tensor, as PyTorch's `step`), rounded to
  /// float32. Throws when it is missing or holds more than one number.
  public mutating func scalar(_ key: String) throws -> Float {
    guard let scalar = try optionalScalar(key) else {
      throw OptimizerError(missingKeyMessage(key))
    }
    return scalar
  }

  /// The number `key` rounded to float32, or `nil` when the dict has none.
  public mutating func optionalScalar(_ key: String) throws -> Float? {
    readKeys.insert(key)
    guard let value = values[key] else { return nil }
    return try Self.scalar(value, key: key, index: index)
  }

  /// The entries the rule did not read, checked as PyTorch's usual state is: `step` a
  /// number, everything else shaped like the parameter.
  func unreadEntries() throws -> [String: Tensor] {
    var extras: [String: Tensor] = [:]
    for (key, value) in values where !readKeys.contains(key) {
      extras[key] =
        key == "step"
        ? Tensor(scalar: Double(try Self.scalar(value, key: key, index: index)), dtype: .float32)
        : try Self.parameterShaped(value, key: key, param: param, index: index)
    }
    return extras
  }

  private static func scalar(_ value: Tensor, key: String, index: Int) throws -> Float {
    guard value.count == 1, value.dtype.isFloatingPoint || value.dtype == .int64 else {
      throw OptimizerError(
        "state '\(key)' of parameter \(index) must be a single number, got a \(value.dtype) tensor of shape \(value.shape)"
      )
    }
    return Float(value.item())
  }

  private static func parameterShaped(_ value: Tensor, key: String, param: Tensor, index: Int)
    throws -> Tensor
  {
    guard value.shape == param.shape else {
      throw OptimizerError(
        "state '\(key)' of parameter \(index) has shape \(value.shape), but the parameter has shape \(param.shape)"
      )
    }
    guard value.dtype != .bool else {
      throw OptimizerError("state '\(key)' of parameter \(index) is a torch.bool tensor")
    }
    return withNoGrad { value.to(dtype: param.dtype).detach().clone() }
  }
}
