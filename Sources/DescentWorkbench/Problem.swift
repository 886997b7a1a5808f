import ArgumentParser
import Descent
import DescentData
import DescentNN

/// A bundled data set that `descent compare` and `descent lr-find` train on.
public enum DataSetChoice: String, ExpressibleByArgument, CaseIterable, Codable, Sendable {
  /// Wisconsin breast cancer: 569 rows, 30 features, 2 classes; `BCEWithLogitsLoss`.
  case breastCancer = "breast-cancer"
  /// Optical digits: 1797 rows, 64 features (8 × 8 pixels), 10 classes; `CrossEntropyLoss`.
  case digits

  /// In prose: `breast cancer`, `digits`.
  public var title: String { self == .breastCancer ? "breast cancer" : "digits" }
}

/// The model trained on a ``DataSetChoice``.
public enum ModelChoice: String, ExpressibleByArgument, CaseIterable, Codable, Sendable {
  /// `Linear(d, hidden)`, `ReLU`, `Linear(hidden, outputs)`.
  case mlp
  /// `Linear(d, outputs)`: logistic regression (multinomial on digits).
  case linear
}

/// A data set split into standardised training and test rows, a model shape and its loss:
/// what every optimizer of a comparison trains on, from the same initial weights.
///
/// Binary data (breast cancer) uses one logit and `BCEWithLogitsLoss`; multi-class data
/// (digits) one logit per class and `CrossEntropyLoss`. Both losses are means over the
/// batch. The scaler is fitted on the training rows only.
public struct Problem {
  /// The data set.
  public let data: DataSetChoice
  /// The model shape.
  public let model: ModelChoice
  /// Hidden units of the MLP (unused by the linear model).
  public let hidden: Int
  /// The standardised training rows.
  public let train: TabularData
  /// The standardised test rows.
  public let test: TabularData
  /// Model outputs: 1 for binary data, the class count otherwise.
  public let outputs: Int
  /// The training rows as a dataset of `["x": features, "y": target]` for a `DataLoader`.
  public let trainSet: TensorDictDataset
  let trainTargets: Tensor
  let testTargets: Tensor
  /// The loss, a mean over the rows it is given.
  public let criterion: Loss

  /// Loads `data`, splits it with `Generator(seed: seed)` and standardises both parts with
  /// the training rows' statistics.
  ///
  /// - Parameters:
  ///   - data: the bundled data set.
  ///   - model: the model shape.
  ///   - hidden: hidden units of the MLP; positive.
  ///   - testFraction: the share of rows held out, in (0, 1) (default 0.25).
  ///   - seed: seeds the split.
  public init(
    data: DataSetChoice, model: ModelChoice, hidden: Int, testFraction: Double = 0.25, seed: UInt64
  ) throws {
    guard hidden > 0 else { throw ValidationError("--hidden must be positive, got \(hidden)") }
    let table = try data == .breastCancer ? loadBreastCancer() : loadDigits()
    let (train, test) = try table.trainTestSplit(testFraction: testFraction, generator: Generator(seed: seed))
    let scaler = try StandardScaler(fitting: train.features)
    self.data = data
    self.model = model
    self.hidden = hidden
    self.train = try train.standardized(by: scaler)
    self.test = try test.standardized(by: scaler)
    let binary = table.targetNames.count == 2
    outputs = binary ? 1 : table.targetNames.count
    trainSet = try self.train.dataset(target: binary ? .binaryFloat : .classIndex)
    trainTargets = binary ? self.train.targets.to(dtype: .float32).reshape([-1, 1]) : self.train.targets
    testTargets = binary ? self.test.targets.to(dtype: .float32).reshape([-1, 1]) : self.test.targets
    criterion = binary ? BCEWithLogitsLoss() : CrossEntropyLoss()
  }

  /// Input features per row.
  public var features: Int { train.features.shape[1] }

  /// A fresh model with its initial weights drawn from `Generator(seed: seed)`: the same
  /// seed gives the same weights.
  public func makeModel(seed: UInt64) -> Module {
    let generator = Generator(seed: seed)
    switch model {
    case .mlp:
      return Sequential(
        Linear(features, hidden, generator: generator), ReLU(),
        Linear(hidden, outputs, generator: generator))
    case .linear:
      return Sequential(Linear(features, outputs, generator: generator))
    }
  }

  /// `MLP 30-32-1`, `linear 64-10`.
  public var modelTitle: String {
    model == .mlp ? "MLP \(features)-\(hidden)-\(outputs)" : "linear \(features)-\(outputs)"
  }

  /// `BCEWithLogitsLoss` or `CrossEntropyLoss`.
  public var lossName: String { outputs == 1 ? "BCEWithLogitsLoss" : "CrossEntropyLoss" }

  /// The model's mean loss on the training rows, its mean loss and accuracy on the test
  /// rows: one full-batch forward pass each, in evaluation mode, without recording
  /// gradients. The model is left in training mode.
  public func evaluate(_ network: Module) -> (trainLoss: Double, testLoss: Double, testAccuracy: Double) {
    network.eval()
    defer { network.train() }
    return withNoGrad {
      let trainLoss = criterion(network(train.features), trainTargets).item()
      let logits = network(test.features)
      let testLoss = criterion(logits, testTargets).item()
      let predicted: [Int]
      if outputs == 1 {
        predicted = (logits .> 0).to(dtype: .int64).reshape([-1]).asArray(Int.self)
      } else {
        predicted = logits.argmax(dim: 1).asArray(Int.self)
      }
      let truth = test.targets.asArray(Int.self)
      let correct = zip(predicted, truth).filter { $0 == $1 }.count
      return (trainLoss, testLoss, Double(correct) / Double(max(1, truth.count)))
    }
  }
}
