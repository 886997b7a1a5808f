import ArgumentParser
import Descent
import DescentData
import DescentNN
import DescentOptim
import DescentWorkbench
import Foundation

/// `descent train`: the torch.optim tutorial's training loop (the project's user story) on
/// the bundled breast-cancer data.
///
/// `DataLoader` → `zeroGrad()` → forward → `BCEWithLogitsLoss(reduction: .sum)` →
/// `backward()` → `step()`, with the optimizer of your choice, printing the summed loss
/// of each epoch and the held-out accuracy.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the torch.optim tutorial's training loop on the bundled breast-cancer set."
  )

  @Option(
    help: ArgumentHelp(
      "Optimizer, NAME or NAME:key=value,... with PyTorch's keyword arguments: \(OptimizerKind.allCases.map { $0.name.lowercased() }.joined(separator: ", ")).",
      valueName: "optimizer"))
  var optimizer = OptimizerSpec(.sgd)

  @Option(help: "Learning rate.")
  var lr: Double = 0.01

  @Option(help: "Momentum, for optimizers that have one (SGD, RMSprop).")
  var momentum: Double?

  @Option(name: .customLong("batch-size"), help: "Batch size (the tutorial uses 1).")
  var batchSize: Int = 1

  @Option(help: "Epochs over the training split.")
  var epochs: Int = 5

  @Flag(help: "Shuffle the training batches each epoch.")
  var shuffle = false

  @Option(name: .customLong("num-workers"), help: "Background loader threads.")
  var numWorkers: Int = 0

  @Option(help: "Seed for the split, the model's initial weights and shuffling.")
  var seed: UInt64 = 0

  @Flag(help: "Print the loss of every batch, as the tutorial does.")
  var verbose = false

  // Handled before parsing: `train --distributed` runs in descent-distributed.
  @Flag(help: "Train data-parallel over the ranks of mpirun (runs in descent-distributed).")
  var distributed = false

  @Flag(help: "With --distributed: shard the optimizer state over the ranks (ZeRO-1).")
  var zero = false

  func validate() throws {
    if zero && !distributed { throw ValidationError("--zero needs --distributed") }
  }

  func run() throws {
    manualSeed(seed)
    let data = try loadBreastCancer()
    let (train, test) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: seed))
    let scaler = try StandardScaler(fitting: train.features)
    let trainSet = try train.standardized(by: scaler).dataset(target: .binaryFloat)
    let testData = try test.standardized(by: scaler)

    let dataloader = try DataLoader(
      trainSet, batchSize: batchSize, shuffle: shuffle, sampler: nil, batchSampler: nil,
      numWorkers: numWorkers, collate: nil, pinMemory: false, dropLast: false, timeout: 0,
      workerInit: nil, generator: Generator(seed: seed))
    let model = Linear(30, 1)
    let criterion = BCEWithLogitsLoss(reduction: .sum)
    // Made once: the tutorial builds a new SGD inside its loop, which is harmless only
    // because plain SGD keeps no state.
    let optimizer = try makeOptimizer(model.parameters())

    print(
      "optimizer: \(self.optimizer.label), lr \(lr), batch size \(batchSize), \(train.count) training rows"
    )
    for epoch in 1...epochs {
      var total = 0.0
      for batch in dataloader {
        model.train()
        let x = batch["x"]!
        let y = batch["y"]!

        optimizer.zeroGrad()
        let pred = model(x)
        let loss = criterion(pred, y)

        loss.backward()
        try optimizer.step()

        if verbose { print(loss) }
        total += loss.item()
      }
      model.eval()
      let accuracy = withNoGrad { () -> Double in
        let logits = model(testData.features)
        let predicted = (logits .> 0).to(dtype: .int64).reshape([-1]).asArray(Int.self)
        let truth = testData.targets.asArray(Int.self)
        let correct = zip(predicted, truth).filter { $0 == $1 }.count
        return Double(correct) / Double(truth.count)
      }
      print(
        "epoch \(epoch): summed loss \(String(format: "%.4f", total)), test accuracy \(String(format: "%.4f", accuracy))"
      )
    }
  }

  private func makeOptimizer(_ params: [Tensor]) throws -> Optimizer {
    var options = optimizer.options
    options["lr"] = .number(lr)
    if let momentum { options["momentum"] = .number(momentum) }
    return try optimizer.kind.make(params, options)
  }
}
