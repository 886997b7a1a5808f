import ArgumentParser
import Descent
import DescentData
import DescentDistributed
import DescentNN
import DescentOptim
import DescentWorkbench
import Foundation

/// `mpirun -np N descent train --distributed`: the tutorial's loop on the bundled
/// breast-cancer set, data-parallel. Each rank loads its share of every epoch through a
/// `DistributedSampler`, the model is wrapped in `DistributedDataParallel` (gradients
/// averaged over the ranks), and with `--zero` the optimizer state is sharded.
struct DistributedTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "The torch.optim tutorial's training loop, data-parallel over MPI ranks."
  )

  @Flag(help: "Train data-parallel over the ranks of mpirun (always on in this program).")
  var distributed = false

  @Flag(help: "Shard the optimizer state over the ranks (ZeroRedundancyOptimizer).")
  var zero = false

  @Option(
    help: ArgumentHelp(
      "Optimizer, NAME or NAME:key=value,...: \(OptimizerKind.allCases.map { $0.name.lowercased() }.joined(separator: ", ")).",
      valueName: "optimizer"))
  var optimizer = OptimizerSpec(.sgd)

  @Option(help: "Learning rate.")
  var lr: Double = 0.01

  @Option(help: "Momentum, for optimizers that have one (SGD, RMSprop).")
  var momentum: Double?

  @Option(name: .customLong("batch-size"), help: "Batch size per rank, as PyTorch's DataLoader under DDP.")
  var batchSize: Int = 1

  @Option(help: "Epochs over the training split.")
  var epochs: Int = 5

  @Flag(help: "Shuffle each epoch (DistributedSampler's seeded shuffle, the same on all ranks).")
  var shuffle = false

  @Option(help: "Seed for the split, the model's initial weights and shuffling.")
  var seed: UInt64 = 0

  func run() throws {
    try runRanked { group in
      manualSeed(seed)
      let data = try loadBreastCancer()
      let (train, test) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: seed))
      let scaler = try StandardScaler(fitting: train.features)
      let trainSet = try train.standardized(by: scaler).dataset(target: .binaryFloat)
      let testData = try test.standardized(by: scaler)
      let sampler = try DistributedSampler(
        count: trainSet.count, group: group, shuffle: shuffle, seed: Int(seed))
      let dataloader = try DataLoader(trainSet, batchSize: batchSize, sampler: sampler)

      let model = try DistributedDataParallel(Linear(30, 1), group: group)
      let criterion = BCEWithLogitsLoss(reduction: .sum)
      var options = optimizer.options
      options["lr"] = .number(lr)
      if let momentum { options["momentum"] = .number(momentum) }
      let plain = try optimizer.kind.make(model.parameters(), options)
      let sharded = zero ? try ZeroRedundancyOptimizer(plain, group: group) : nil

      say(
        group,
        "optimizer: \(optimizer.label)\(zero ? " (ZeRO-1)" : ""), lr \(lr), \(group.worldSize) ranks × batch \(batchSize) = global batch \(group.worldSize * batchSize), \(train.count) training rows, \(sampler.count) per rank"
      )
      for epoch in 1...epochs {
        sampler.setEpoch(epoch - 1)
        let total = Tensor.zeros([1], dtype: .float64)
        for batch in dataloader {
          model.train()
          plain.zeroGrad()
          let loss = criterion(model(batch["x"]!), batch["y"]!)
          loss.backward()
          if let sharded { try sharded.step() } else { try plain.step() }
          total.addInPlace(loss.item())
        }
        try group.allReduce(total)
        model.eval()
        let accuracy = withNoGrad { () -> Double in
          let logits = model(testData.features)
          let predicted = (logits .> 0).to(dtype: .int64).reshape([-1]).asArray(Int.self)
          let truth = testData.targets.asArray(Int.self)
          return Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
        }
        say(
          group,
          "epoch \(epoch): summed loss over ranks \(String(format: "%.4f", total.item())), test accuracy \(String(format: "%.4f", accuracy))"
        )
      }
    }
  }
}
