import Descent

/// Tensors by name: the sample and batch type of ``TensorDictDataset``, and of any dataset
/// whose samples are dictionaries of tensors that you want to read by key.
///
/// `dict["x"]` returns the tensor; a key that is not there stops the program with the keys
/// that are, instead of returning `nil` as a Swift dictionary does (PyTorch raises
/// `KeyError`):
///
/// ```swift
/// for batch in loader {
///   let x = batch["x"]          // a Tensor
///   let y: Tensor = batch["y"]
///   _ = batch["label"]          // stops: KeyError: 'label'; valid keys: 'x', 'y'
/// }
/// ```
///
/// The subscript's type is `Tensor!`, so the spelling of a Swift dictionary,
/// `batch["x"]!`, keeps compiling. Use ``tensors`` for an optional lookup.
public struct TensorDict: Collatable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
  /// The tensors by key.
  public var tensors: [String: Tensor]

  /// Wraps `tensors`.
  public init(_ tensors: [String: Tensor]) { self.tensors = tensors }

  public init(dictionaryLiteral elements: (String, Tensor)...) {
    tensors = Dictionary(elements, uniquingKeysWith: { _, last in last })
  }

  /// The tensor named `key`; a missing key stops with the valid keys.
  public subscript(key: String) -> Tensor! {
    get {
      guard let tensor = tensors[key] else {
        requirementFailure(
          "KeyError: '\(key)'; valid keys: \(keys.map { "'\($0)'" }.joined(separator: ", "))")
      }
      return tensor
    }
    set { tensors[key] = newValue }
  }

  /// The keys, sorted.
  public var keys: [String] { tensors.keys.sorted() }

  /// The number of tensors.
  public var count: Int { tensors.count }

  public func makeIterator() -> Dictionary<String, Tensor>.Iterator { tensors.makeIterator() }

  public var description: String {
    "TensorDict(\(keys.map { "\($0): \(tensors[$0]!.shape)" }.joined(separator: ", ")))"
  }

  /// Stacks each key of the first sample across the batch (`default_collate` of dicts).
  /// Throws PyTorch's `KeyError` when a later sample lacks one.
  public static func collate(_ batch: [TensorDict]) throws -> TensorDict {
    TensorDict(try [String: Tensor].collate(batch.map(\.tensors)))
  }
}
