import Descent

/// A sample type that ``defaultCollate(_:)`` knows how to merge into a batch
/// (the cases of PyTorch's `default_collate`).
///
/// | Sample | Batch | PyTorch |
/// |--------|-------|---------|
/// | `Tensor` of shape `s` | `Tensor` of shape `[B] + s` (`Tensor.stack`) | `torch.stack(batch, 0)` |
/// | `Double` | `float64` tensor `[B]` | `torch.tensor(batch, dtype=torch.float64)` |
/// | `Float` | `float32` tensor `[B]` | NumPy `float32` scalars |
/// | `Int` | `int64` tensor `[B]` | `torch.tensor(batch)` |
/// | `Bool` | `bool` tensor `[B]` | `torch.tensor(batch)` |
/// | `String` | `[String]` | kept as a list |
/// | `[K: V]` | `[K: V.Collated]`, key by key | mappings |
/// | `[V]` | `[V.Collated]`, position by position | sequences (transposed) |
///
/// Conform your own sample types to use the default collate with them.
public protocol Collatable {
  /// The type of a batch of these samples.
  associatedtype Collated
  /// Merges `batch` (never empty) into one value.
  static func collate(_ batch: [Self]) throws -> Collated
}

/// Merges a list of samples into a batch (`torch.utils.data.default_collate`).
///
/// Throws PyTorch's errors for an empty batch, tensors of different shapes, sequences of
/// different lengths and dictionaries missing a key of the first sample.
public func defaultCollate<T: Collatable>(_ batch: [T]) throws -> T.Collated {
  guard !batch.isEmpty else { throw DataError.indexOutOfRange("list index out of range") }
  return try T.collate(batch)
}

extension Tensor: Collatable {
  /// Stacks the tensors along a new first dimension; throws PyTorch's `torch.stack` error if
  /// their shapes differ.
  public static func collate(_ batch: [Tensor]) throws -> Tensor {
    let shape = batch[0].shape
    if let bad = batch.firstIndex(where: { $0.shape != shape }) {
      throw DataError.runtime(
        "stack expects each tensor to be equal size, but got \(shape) at entry 0 and \(batch[bad].shape) at entry \(bad)"
      )
    }
    return Tensor.stack(batch, dim: 0)
  }
}

extension Double: Collatable {
  public static func collate(_ batch: [Double]) -> Tensor { Tensor(batch, dtype: .float64) }
}

extension Float: Collatable {
  public static func collate(_ batch: [Float]) -> Tensor { Tensor(batch, dtype: .float32) }
}

extension Int: Collatable {
  public static func collate(_ batch: [Int]) -> Tensor { Tensor(batch) }
}

extension Bool: Collatable {
  public static func collate(_ batch: [Bool]) -> Tensor { Tensor(batch) }
}

extension String: Collatable {
  public static func collate(_ batch: [String]) -> [String] { batch }
}

extension Dictionary: Collatable where Value: Collatable {
  /// Collates each key of the first sample across the batch. A later sample without that
  /// key throws (PyTorch's `KeyError`); extra keys in later samples are ignored, as in
  /// PyTorch.
  public static func collate(_ batch: [[Key: Value]]) throws -> [Key: Value.Collated] {
    var out: [Key: Value.Collated] = [:]
    for key in batch[0].keys {
      var column: [Value] = []
      column.reserveCapacity(batch.count)
      for (i, sample) in batch.enumerated() {
        guard let v = sample[key] else {
          throw DataError.missingKey("'\(key)' (missing from sample \(i) of the batch)")
        }
        column.append(v)
      }
      out[key] = try Value.collate(column)
    }
    return out
  }
}

extension Array: Collatable where Element: Collatable {
  /// Collates position by position (`zip(*batch)`); throws PyTorch's error if the samples
  /// differ in length.
  public static func collate(_ batch: [[Element]]) throws -> [Element.Collated] {
    let size = batch[0].count
    guard batch.allSatisfy({ $0.count == size }) else {
      throw DataError.runtime("each element in list of batch should be of equal size")
    }
    return try (0..<size).map { position in try Element.collate(batch.map { $0[position] }) }
  }
}
