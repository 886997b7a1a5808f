import Descent
import DescentData
import DescentNN

/// Recomputes the running statistics of every BatchNorm layer of `model` with one pass over
/// `loader` (`torch.optim.swa_utils.update_bn`): the statistics of averaged weights are
/// not the average of the statistics.
///
/// Each BatchNorm's running statistics are reset and its momentum set to `nil` (a
/// cumulative average over the batches), the model runs in training mode on every batch's
/// first tensor, then the momenta and the model's mode are restored. A model without
/// BatchNorm layers is left alone.
///
/// ```swift
/// let loader = try DataLoader(TensorDataset(x, y), batchSize: 32)
/// try updateBN(loader, swaModel)
/// ```
///
/// - Parameters:
///   - loader: batches whose first tensor is the model's input (a `TensorDataset`'s).
///   - model: the model whose statistics are recomputed.
/// - Throws: what the loader throws.
public func updateBN<Element>(_ loader: DataLoader<Element, [Tensor]>, _ model: Module) throws {
  try updateBN(loader, model) { batch in batch[0] }
}

/// ``updateBN(_:_:)-(DataLoader<Element,[Tensor]>,_)`` for a loader whose batches are the
/// inputs themselves.
public func updateBN<Element>(_ loader: DataLoader<Element, Tensor>, _ model: Module) throws {
  try updateBN(loader, model) { $0 }
}

/// ``updateBN(_:_:)-(DataLoader<Element,[Tensor]>,_)`` for any loader: `input` picks the
/// model's input from a batch (for example `{ $0["x"]! }` for dictionary batches).
public func updateBN<Element, Batch>(
  _ loader: DataLoader<Element, Batch>, _ model: Module, input: (Batch) throws -> Tensor
) throws {
  try BatchNormRecalibration(model)?.run { forward in
    try loader.forEachBatch { batch in forward(try input(batch)) }
  }
}

/// ``updateBN(_:_:)-(DataLoader<Element,[Tensor]>,_)`` over inputs given as a sequence
/// (an array of batches).
public func updateBN<S: Sequence>(inputs: S, _ model: Module) where S.Element == Tensor {
  BatchNormRecalibration(model)?.run { forward in
    for input in inputs { forward(input) }
  }
}

/// The set-up and tear-down around `update_bn`'s pass.
private struct BatchNormRecalibration {
  let model: Module
  let layers: [BatchNorm1d]

  /// `nil` when `model` has no BatchNorm layer.
  init?(_ model: Module) {
    let layers = model.modules().compactMap { $0 as? BatchNorm1d }
    guard !layers.isEmpty else { return nil }
    self.model = model
    self.layers = layers
  }

  func run(_ pass: ((Tensor) -> Void) throws -> Void) rethrows {
    let momenta = layers.map(\.momentum)
    for layer in layers { layer.resetRunningStats() }
    let wasTraining = model.isTraining
    model.train()
    for layer in layers { layer.momentum = nil }
    defer {
      for (layer, momentum) in zip(layers, momenta) { layer.momentum = momentum }
      model.train(wasTraining)
    }
    try withNoGrad {
      try pass { input in _ = model(input) }
    }
  }
}
