import Descent
import DescentData
import DescentNN
import DescentOptim
import Foundation
import Testing

/// An optimizer for the tutorial's loop, by name; add new optimizers to ``all``.
struct LoopOptimizer: Sendable, CustomTestStringConvertible {
  let name: String
  let lr: Double
  let make: @Sendable ([Tensor], Double) throws -> Optimizer

  var testDescription: String { name }

  static let all: [LoopOptimizer] = [
    LoopOptimizer(name: "SGD", lr: 0.01) { try SGD($0, lr: $1, momentum: 0.9) },
    LoopOptimizer(name: "RMSprop", lr: 0.01) { try RMSprop($0, lr: $1) },
    LoopOptimizer(name: "Adam", lr: 0.05) { try Adam($0, lr: $1) },
    LoopOptimizer(name: "AdamW", lr: 0.05) { try AdamW($0, lr: $1) },
  ]
}

/// The tutorial's loop on the bundled breast-cancer set with `StepLR` stepped after each
/// epoch, as the tutorial describes: every optimizer trains, the rate halves every 2 epochs,
/// and nothing warns about the order of the steps.
@Test("the tutorial's loop with StepLR", arguments: LoopOptimizer.all)
func seedLoopWithStepLR(_ optimizer: LoopOptimizer) throws {
  var scheduler: StepLR?
  var rates: [Double] = []
  var losses: [Double] = []
  let warnings = try SchedulerDiagnostics.warnings {
    losses = try seedLoop(
      epochs: 6, batchSize: 16, numWorkers: 0, shuffle: true,
      makeOptimizer: { params in
        let opt = try optimizer.make(params, optimizer.lr)
        scheduler = try StepLR(opt, stepSize: 2, gamma: 0.5)
        return opt
      },
      epochEnd: {
        try scheduler!.step()
        rates.append(scheduler!.optimizer.paramGroups[0].lr)
      })
  }
  #expect(warnings.isEmpty, "\(warnings)")
  // lr = lr₀ · 0.5^⌊epoch / 2⌋ after each epoch's step (halving is exact).
  #expect(rates == (1...6).map { optimizer.lr * pow(0.5, Double($0 / 2)) })
  #expect(scheduler!.lastLR == [rates.last!])
  #expect(losses.last! < 0.6 * losses.first!, "\(losses)")

  // The schedule changes the training: the same loop at a constant rate ends elsewhere.
  let constant = try seedLoop(epochs: 6, batchSize: 16, numWorkers: 0, shuffle: true) { params in
    try optimizer.make(params, optimizer.lr)
  }
  #expect(constant != losses)
}
