/// The samples of a dataset at the given indices (`torch.utils.data.Subset`).
///
/// `subset[i]` is `dataset[indices[i]]`. Negative `i` counts from the end, as Python list
/// indexing does.
public struct Subset<Base: Dataset>: Dataset {
  /// The whole dataset.
  public let dataset: Base
  /// Indices into ``dataset``.
  public let indices: [Int]

  public init(_ dataset: Base, indices: [Int]) {
    self.dataset = dataset
    self.indices = indices
  }

  public var count: Int { indices.count }

  public subscript(index: Int) -> Base.Element {
    get throws {
      guard index >= -indices.count && index < indices.count else {
        throw DataError.indexOutOfRange("list index out of range")
      }
      return try dataset[indices[index < 0 ? index + indices.count : index]]
    }
  }
}

/// Datasets one after another (`torch.utils.data.ConcatDataset`).
///
/// Wrap datasets of different types in ``AnyDataset`` to concatenate them.
public struct ConcatDataset<Base: Dataset>: Dataset {
  /// The concatenated datasets.
  public let datasets: [Base]
  /// Running totals of the dataset sizes (`cumulative_sizes`).
  public let cumulativeSizes: [Int]

  /// Concatenates `datasets`; throws PyTorch's error if there are none.
  public init(_ datasets: [Base]) throws {
    guard !datasets.isEmpty else {
      throw DataError.invalidArgument("datasets should not be an empty iterable")
    }
    self.datasets = datasets
    var total = 0
    cumulativeSizes = datasets.map {
      total += $0.count
      return total
    }
  }

  public var count: Int { cumulativeSizes.last! }

  public subscript(index: Int) -> Base.Element {
    get throws {
      var idx = index
      if idx < 0 {
        guard -idx <= count else {
          throw DataError.invalidArgument("absolute value of index should not exceed dataset length")
        }
        idx += count
      }
      // bisect_right: the first dataset whose cumulative size exceeds idx.
      var lo = 0
      var hi = cumulativeSizes.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if idx < cumulativeSizes[mid] { hi = mid } else { lo = mid + 1 }
      }
      guard lo < datasets.count else {
        throw DataError.indexOutOfRange("list index out of range")
      }
      let sampleIndex = lo == 0 ? idx : idx - cumulativeSizes[lo - 1]
      return try datasets[lo][sampleIndex]
    }
  }
}
