import Descent
import Foundation
import SwiftCSV

/// A table of numeric features with one integer class label per row, like the `Bunch` that
/// scikit-learn's `load_*` functions return.
///
/// ```swift
/// let data = try loadBreastCancer()                       // 569 x 30, labels 0/1
/// let (train, test) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: 0))
/// let scaler = try StandardScaler(fitting: train.features) // fit on the training rows only
/// let trainSet = try train.standardized(by: scaler).dataset(target: .binaryFloat)
/// let loader = try DataLoader(trainSet, batchSize: 32, shuffle: true)
/// for batch in loader { let x = batch["x"]!, y = batch["y"]! }   // [32, 30], [32, 1]
/// ```
public struct TabularData {
  /// The features, `[count, featureNames.count]`, `float32` unless loaded otherwise.
  public let features: Tensor
  /// The class labels, `int64` `[count]`, in `0..<targetNames.count`.
  public let targets: Tensor
  /// One name per feature column.
  public let featureNames: [String]
  /// One name per class; label `k` means `targetNames[k]`.
  public let targetNames: [String]

  /// A table from tensors; throws unless `features` is `[n, d]`, `targets` is `[n]` and the
  /// names match.
  public init(features: Tensor, targets: Tensor, featureNames: [String], targetNames: [String])
    throws
  {
    guard features.rank == 2, targets.rank == 1, targets.shape[0] == features.shape[0] else {
      throw DataError.invalidArgument(
        "TabularData: features must be [n, d] and targets [n], got \(features.shape) and \(targets.shape)")
    }
    guard featureNames.count == features.shape[1] else {
      throw DataError.invalidArgument(
        "TabularData: \(featureNames.count) feature names for \(features.shape[1]) columns")
    }
    self.features = features
    self.targets = targets.dtype == .int64 ? targets : targets.to(dtype: .int64)
    self.featureNames = featureNames
    self.targetNames = targetNames
  }

  /// The number of rows.
  public var count: Int { features.shape[0] }

  /// How ``dataset(target:featureKey:targetKey:)`` presents each label.
  public enum TargetFormat: Sendable {
    /// `int64`, shape `[]`: batches of `[B]` class indices, as `CrossEntropyLoss` and
    /// `NLLLoss` take them.
    case classIndex
    /// `float32`, shape `[1]`: batches of `[B, 1]` zeros and ones, the shape of the logits of
    /// a `Linear(d, 1)` model, which `BCEWithLogitsLoss` requires its target to match.
    /// Only for two classes.
    case binaryFloat
  }

  /// The rows as a map-style dataset of `["x": features[i], "y": label]`.
  ///
  /// With `.binaryFloat`, `y` has shape `[1]` so that a batch's `y` is `[B, 1]`: the
  /// seed's `BCEWithLogitsLoss(pred, y)` needs `y` to have the shape of `pred = model(x)`,
  /// which is `[B, 1]` for a `Linear(30, 1)`; a `[B]` target would fail PyTorch's check
  /// "Target size must be the same as input size".
  public func dataset(
    target: TargetFormat = .classIndex, featureKey: String = "x", targetKey: String = "y"
  ) throws -> TensorDictDataset {
    let y: Tensor
    switch target {
    case .classIndex:
      y = targets
    case .binaryFloat:
      guard targetNames.count == 2 else {
        throw DataError.invalidArgument(
          "TargetFormat.binaryFloat needs two classes, this table has \(targetNames.count)")
      }
      y = targets.to(dtype: .float32).reshape([count, 1])
    }
    return try TensorDictDataset([featureKey: features, targetKey: y])
  }

  /// The rows at `indices`, in that order.
  public func rows(_ indices: [Int]) -> TabularData {
    let index = Tensor(indices)
    return try! TabularData(
      features: features.indexSelect(dim: 0, index: index),
      targets: targets.indexSelect(dim: 0, index: index), featureNames: featureNames,
      targetNames: targetNames)
  }

  /// A seeded random split into training and test rows
  /// (`sklearn.model_selection.train_test_split(X, y, test_size=testFraction)`): the rows at
  /// ``trainTestIndices(testFraction:generator:)``, which returns the row indices themselves.
  ///
  /// ```swift
  /// let (train, test) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: 0))
  /// // the same rows, as indices into `data`:
  /// let (trainRows, testRows) = try data.trainTestIndices(testFraction: 0.25, generator: Generator(seed: 0))
  /// ```
  public func trainTestSplit(testFraction: Double = 0.25, generator: Generator? = nil) throws
    -> (train: TabularData, test: TabularData)
  {
    let (train, test) = try trainTestIndices(testFraction: testFraction, generator: generator)
    return (train: rows(train), test: rows(test))
  }

  /// The row indices of a seeded random split into training and test rows, in the order
  /// ``trainTestSplit(testFraction:generator:)`` takes them.
  ///
  /// The test part has `ceil(testFraction * count)` rows and the training part the rest,
  /// scikit-learn's rule. One permutation is drawn from `generator` (the default generator
  /// when `nil`); its first rows are the test set, as in scikit-learn's `ShuffleSplit`. The
  /// permutation comes from Descent's `Generator`, so a seed does not select the rows
  /// that scikit-learn's `random_state` would.
  ///
  /// - Throws: ``DataError/invalidArgument(_:)`` with scikit-learn's message for a
  ///   fraction outside `(0, 1)` or an empty training part.
  public func trainTestIndices(testFraction: Double = 0.25, generator: Generator? = nil) throws
    -> (train: [Int], test: [Int])
  {
    guard testFraction > 0 && testFraction < 1 else {
      throw DataError.invalidArgument(
        "The 'test_size' parameter of train_test_split must be a float in the range (0.0, 1.0), an int in the range [1, inf) or None. Got \(testFraction) instead."
      )
    }
    let testCount = Int((testFraction * Double(count)).rounded(.up))
    let trainCount = count - testCount
    guard trainCount > 0 else {
      throw DataError.invalidArgument(
        "With n_samples=\(count), test_size=\(testFraction) and train_size=None, the resulting train set will be empty. Adjust any of the aforementioned parameters."
      )
    }
    let permutation = Tensor.randperm(count, generator: generator).asArray(Int.self)
    return (train: Array(permutation[testCount...]), test: Array(permutation[..<testCount]))
  }

  /// The same table with features standardised by `scaler`.
  public func standardized(by scaler: StandardScaler) throws -> TabularData {
    try TabularData(
      features: try scaler.transform(features), targets: targets, featureNames: featureNames,
      targetNames: targetNames)
  }
}
