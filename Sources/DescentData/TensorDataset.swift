import Descent

/// Samples taken from tensors along their first dimension (`torch.utils.data.TensorDataset`).
///
/// Sample `i` is `[t0[i], t1[i], ...]`, views into the given tensors; negative indices count
/// from the end, as in PyTorch. A ``DataLoader`` stacks each position into a batch with a
/// leading batch dimension.
///
/// `Batch` is the type of those batches. A dataset of two tensors, the usual features and
/// targets, is a `TensorDataset<(Tensor, Tensor)>`, and its loader yields pairs that
/// destructure, with no force unwraps:
///
/// ```swift
/// let ds = try TensorDataset(Tensor.randn([100, 3]), Tensor.randn([100, 1]))
/// let loader = try DataLoader(ds, batchSize: 32, shuffle: true)
/// for (x, y) in loader {   // x: [32, 3], y: [32, 1]
///   // zeroGrad, forward, loss, backward, step
/// }
/// let sample = try ds[0]   // [x (shape [3]), y (shape [1])]
/// ```
///
/// Any other number of tensors (or an array of them) gives a `TensorDataset<[Tensor]>`,
/// whose batches are arrays `[x, y, z, ...]`.
public struct TensorDataset<Batch>: Dataset {
  /// The tensors, all of the same size along dimension 0.
  public let tensors: [Tensor]

  /// Throws PyTorch's "Size mismatch between tensors" unless the tensors share their first
  /// dimension.
  init(checking tensors: [Tensor]) throws {
    guard let first = tensors.first else {
      throw DataError.invalidArgument("TensorDataset needs at least one tensor")
    }
    if tensors.contains(where: { $0.rank == 0 }) {
      throw DataError.indexOutOfRange("dimension specified as 0 but tensor has no dimensions")
    }
    guard tensors.allSatisfy({ $0.shape[0] == first.shape[0] }) else {
      throw DataError.invalidArgument("Size mismatch between tensors")
    }
    self.tensors = tensors
  }

  public var count: Int { tensors[0].shape[0] }

  public subscript(index: Int) -> [Tensor] {
    get throws {
      let i = try resolveIndex(index, count: count)
      return tensors.map { $0[i] }
    }
  }
}

extension TensorDataset where Batch == (Tensor, Tensor) {
  /// Wraps two tensors (`TensorDataset(x, y)`); batches are `(x, y)` pairs. Throws PyTorch's
  /// "Size mismatch between tensors" unless they share their first dimension.
  public init(_ first: Tensor, _ second: Tensor) throws {
    try self.init(checking: [first, second])
  }
}

extension TensorDataset where Batch == [Tensor] {
  /// Wraps `tensors`, which must share their first dimension; batches are arrays.
  public init(_ tensors: [Tensor]) throws {
    try self.init(checking: tensors)
  }

  /// Wraps one tensor (`TensorDataset(x)`); batches are one-element arrays.
  public init(_ tensor: Tensor) throws {
    try self.init(checking: [tensor])
  }

  /// Wraps three or more tensors (`TensorDataset(*tensors)`); batches are arrays.
  public init(_ first: Tensor, _ second: Tensor, _ third: Tensor, _ rest: Tensor...) throws {
    try self.init(checking: [first, second, third] + rest)
  }
}

/// Named samples taken from tensors along their first dimension: sample `i` is the
/// ``TensorDict`` `["x": x[i], "y": y[i]]`, and a ``DataLoader`` batch is a ``TensorDict``
/// of stacked tensors, whose `batch["x"]` stops with the list of valid keys when `"x"` is
/// not one of them.
///
/// This is the dataset that the `torch.optim` tutorial's loop reads with `batch["x"]` and
/// `batch["y"]`. PyTorch
/// has no class of this name (a Python user writes a small `Dataset` whose `__getitem__`
/// returns a dict); it is the dictionary form of ``TensorDataset``.
public struct TensorDictDataset: Dataset {
  /// The tensors by key, all of the same size along dimension 0.
  public let tensors: [String: Tensor]
  private let length: Int

  /// Wraps `tensors`, which must share their first dimension.
  public init(_ tensors: [String: Tensor]) throws {
    guard let first = tensors.values.first else {
      throw DataError.invalidArgument("TensorDictDataset needs at least one tensor")
    }
    for (key, t) in tensors where t.rank == 0 {
      throw DataError.indexOutOfRange(
        "tensor \"\(key)\": dimension specified as 0 but tensor has no dimensions")
    }
    guard tensors.values.allSatisfy({ $0.shape[0] == first.shape[0] }) else {
      let sizes = tensors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.shape[0])" }
      throw DataError.invalidArgument(
        "Size mismatch between tensors (\(sizes.joined(separator: ", ")))")
    }
    self.tensors = tensors
    self.length = first.shape[0]
  }

  public var count: Int { length }

  public subscript(index: Int) -> TensorDict {
    get throws {
      let i = try resolveIndex(index, count: length)
      return TensorDict(tensors.mapValues { $0[i] })
    }
  }
}

/// Datasets of equal length side by side, as a dictionary per sample
/// (`torch.utils.data.StackDataset(**kwargs)`).
///
/// PyTorch's tuple form (`StackDataset(*args)`) is not offered: Swift tuples cannot be
/// collated generically. Use ``AnyDataset`` to stack datasets of different types that share
/// an element type.
public struct StackDataset<Base: Dataset>: Dataset {
  /// The stacked datasets by key.
  public let datasets: [String: Base]
  private let length: Int

  /// Stacks `datasets`, which must all have the same count.
  public init(_ datasets: [String: Base]) throws {
    guard let first = datasets.values.first else {
      throw DataError.invalidArgument("At least one dataset should be passed")
    }
    guard datasets.values.allSatisfy({ $0.count == first.count }) else {
      throw DataError.invalidArgument("Size mismatch between datasets")
    }
    self.datasets = datasets
    self.length = first.count
  }

  public var count: Int { length }

  public subscript(index: Int) -> [String: Base.Element] {
    get throws {
      var sample: [String: Base.Element] = [:]
      for (key, dataset) in datasets { sample[key] = try dataset[index] }
      return sample
    }
  }
}
