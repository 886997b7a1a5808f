import DescentOptim
import DescentWorkbench
import Foundation
import Testing

@Suite("descent compare: runs")
struct CompareRunTests {
  static func run(_ arguments: [String]) throws -> CompareReport {
    try CompareRunner(options: try compareOptions(arguments), progress: .silent).run()
  }

  /// Every data set × model trains on a tiny budget and lowers the training loss.
  @Test(arguments: DataSetChoice.allCases, ModelChoice.allCases)
  func tinyRunLowersTheLoss(data: DataSetChoice, model: ModelChoice) throws {
    let report = try Self.run([
      "--data", data.rawValue, "--model", model.rawValue, "--hidden", "8", "--epochs", "2",
      "--opt", "adam:lr=0.01", "--params", "0",
    ])
    #expect(report.configuration.data == data.rawValue)
    #expect(report.configuration.loss == (data == .digits ? "CrossEntropyLoss" : "BCEWithLogitsLoss"))
    #expect(report.results.count == 1)
    let result = try #require(report.results.first)
    #expect(result.curve.map(\.epoch) == [0, 1, 2])
    #expect(result.steps == 2 * report.configuration.stepsPerEpoch)
    #expect(result.finalTrainLoss < result.curve[0].trainLoss)
    #expect(result.testAccuracy > 0.5)
    #expect(!result.diverged)
    #expect(report.speed == nil)
  }

  /// Any optimizer in the registry can be named.
  @Test(arguments: OptimizerKind.allCases)
  func everyRegistryOptimizerRuns(kind: OptimizerKind) throws {
    let report = try Self.run([
      "--opt", kind.name.lowercased(), "--epochs", "1", "--hidden", "4", "--params", "0",
    ])
    #expect(report.results.map(\.optimizer) == [kind.name.lowercased()])
    #expect(report.results[0].finalTrainLoss.isFinite)
  }

  /// The default run trains all six optimizers from the same initial weights: epoch 0 is
  /// the same model for all of them.
  @Test func everyOptimizerStartsFromTheSameWeights() throws {
    let report = try Self.run(["--epochs", "1", "--params", "0"])
    #expect(report.results.count == 6)
    let starts = Set(report.results.map { $0.curve[0].trainLoss })
    #expect(starts.count == 1)
    // ... and they then differ.
    #expect(Set(report.results.map(\.finalTrainLoss)).count == 6)
  }

  /// `--schedule` sets each epoch's learning rate: StepLR halves it every 2 epochs, cosine
  /// follows its closed form over the run's epochs.
  @Test func schedulesSetTheLearningRate() throws {
    let step = try Self.run([
      "--opt", "sgd:lr=0.1", "--epochs", "5", "--schedule", "step:2,0.5", "--params", "0", "--hidden", "4",
    ])
    #expect(step.results[0].curve.dropFirst().map(\.lr) == [0.1, 0.1, 0.05, 0.05, 0.025])
    let cosine = try Self.run([
      "--opt", "sgd:lr=0.1", "--epochs", "4", "--schedule", "cosine", "--params", "0", "--hidden", "4",
    ])
    let expected = (0..<4).map { 0.1 * (1 + cos(Double.pi * Double($0) / 4)) / 2 }
    for (lr, want) in zip(cosine.results[0].curve.dropFirst().map(\.lr), expected) {
      #expect(abs(lr - want) <= 1e-15)
    }
  }

  /// A learning rate far too large makes the loss non-finite: the run stops there and says so.
  @Test func divergenceIsReported() throws {
    let report = try Self.run(["--opt", "sgd:lr=1e30", "--epochs", "5", "--params", "0"])
    let result = report.results[0]
    #expect(result.diverged)
    #expect(!result.finalTrainLoss.isFinite)
    #expect(result.curve.count < 6)
    #expect(report.table().contains("(diverged)"))
  }

  @Test(
    arguments: [
      ([0.7, 0.5, 0.2, 0.1, 0.09, 0.1], 3),  // target 0.7 − 0.95·0.61 = 0.1205: epoch 3 (0.1)
      ([0.7, 0.1, 0.1, 0.1], 1), ([0.7, 0.8, 0.9], nil), ([0.7], nil), ([0.7, .nan, 0.3], 2),
    ] as [([Double], Int?)])
  func epochsToReach95Percent(curve: [Double], expected: Int?) {
    #expect(CompareReport.epochsToReach(fraction: 0.95, of: curve) == expected)
  }
}
