import Descent
import DescentData
import DescentNN
import DescentOptim
import DescentWorkbench
import Testing

/// Adam and AdamW with bfloat16 moments (`stateDType: .bfloat16`) train the bundled data
/// sets as well as with float32 moments: same data split, initial weights and batch order
/// (`descent compare`'s defaults: MLP with 32 hidden units, batch 32, 40 epochs, seed 0),
/// final training loss within 2 % and test accuracy within 0.5 points.
///
/// With stochastic rounding they do on both data sets. Rounding to nearest does on breast
/// cancer but not on digits (final loss about 30 % higher there, accuracy within 0.5
/// points): with β₂ = 0.999, `0.999·v` rounds back to `v` in bfloat16's 8 bits, so
/// `exp_avg_sq` stops decaying; that case is recorded as a known issue.
@Suite("bfloat16 optimizer state converges like float32 state")
struct HalfStateConvergenceTests {
  enum Variant: String, CaseIterable, Sendable {
    case adamNearest, adamStochastic, adamWNearest, adamWStochastic

    var stochastic: Bool { self == .adamStochastic || self == .adamWStochastic }
  }

  static func train(
    _ data: DataSetChoice, _ variant: Variant, stateDType: DType?
  ) throws -> (loss: Double, accuracy: Double) {
    let options = try CompareOptions.parse(["--data", data.rawValue, "--params", "0"])
    let problem = try options.problem.makeProblem()
    // descent compare's seeds: weights from seed + 1, batch order from seed + 2.
    let model = problem.makeModel(seed: options.problem.seed &+ 1)
    let loader = try DataLoader(
      problem.trainSet, batchSize: options.problem.batchSize, shuffle: true,
      generator: Generator(seed: options.problem.seed &+ 2))
    let params = model.parameters()
    let optimizer: Optimizer
    switch variant {
    case .adamNearest: optimizer = try Adam(params, lr: 1e-3, stateDType: stateDType)
    case .adamStochastic:
      optimizer = try Adam(
        params, lr: 1e-3, stateDType: stateDType,
        stateRounding: stateDType == nil ? .nearest : .stochastic(seed: 16))
    case .adamWNearest: optimizer = try AdamW(params, lr: 1e-3, stateDType: stateDType)
    case .adamWStochastic:
      optimizer = try AdamW(
        params, lr: 1e-3, stateDType: stateDType,
        stateRounding: stateDType == nil ? .nearest : .stochastic(seed: 16))
    }
    model.train()
    for _ in 1...options.epochs {
      for batch in loader {
        optimizer.zeroGrad()
        problem.criterion(model(batch["x"]!), batch["y"]!).backward()
        try optimizer.step()
      }
    }
    if let stateDType {
      for p in params { #expect(optimizer.state(for: p)["exp_avg"]?.dtype == stateDType) }
    }
    let evaluation = problem.evaluate(model)
    return (evaluation.trainLoss, evaluation.testAccuracy)
  }

  @Test(arguments: DataSetChoice.allCases, Variant.allCases)
  func bfloat16StateMatchesFloat32State(_ data: DataSetChoice, _ variant: Variant) throws {
    let full = try Self.train(data, variant, stateDType: nil)
    let half = try Self.train(data, variant, stateDType: .bfloat16)
    let lossAgrees = {
      #expect(
        Swift.abs(half.loss - full.loss) <= 0.02 * full.loss,
        "final loss \(half.loss) with bfloat16 state, \(full.loss) with float32 state")
    }
    if data == .digits && !variant.stochastic {
      withKnownIssue("round-to-nearest bfloat16 exp_avg_sq stops decaying (β₂ = 0.999)") {
        lossAgrees()
      }
    } else {
      lossAgrees()
    }
    #expect(
      Swift.abs(half.accuracy - full.accuracy) <= 0.005,
      "test accuracy \(half.accuracy) with bfloat16 state, \(full.accuracy) with float32 state")
  }
}
