import Descent
import DescentData
import DescentNN
import DescentOptim
import Testing

/// The tutorial's loop end to end: bundled data → DataLoader → Linear → BCEWithLogitsLoss
/// (sum) → backward → optimizer step, then `epochEnd` (a scheduler's step). Returns the summed
/// loss of each epoch.
func seedLoop(
  epochs: Int, batchSize: Int, numWorkers: Int, shuffle: Bool,
  makeOptimizer: ([Tensor]) throws -> Optimizer, epochEnd: () throws -> Void = {}
) throws -> [Double] {
  let data = try loadBreastCancer()
  let (train, _) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: 1))
  let scaler = try StandardScaler(fitting: train.features)
  let dataset = try train.standardized(by: scaler).dataset(target: .binaryFloat)
  let dataloader = try DataLoader(
    dataset, batchSize: batchSize, shuffle: shuffle, sampler: nil, batchSampler: nil,
    numWorkers: numWorkers, collate: nil, pinMemory: false, dropLast: false, timeout: 0,
    workerInit: nil, generator: Generator(seed: 2))
  // An explicit generator: tests run in parallel and share the default one.
  let model = Linear(30, 1, generator: Generator(seed: 7))
  let criterion = BCEWithLogitsLoss(reduction: .sum)
  let optimizer = try makeOptimizer(model.parameters())
  var losses: [Double] = []
  for _ in 0..<epochs {
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
      total += loss.item()
    }
    losses.append(total)
    try epochEnd()
  }
  return losses
}

@Test func seedLoopWithSGDLowersTheLossEveryEpoch() throws {
  let losses = try seedLoop(epochs: 4, batchSize: 1, numWorkers: 0, shuffle: false) {
    try SGD($0, lr: 0.01)
  }
  for (previous, next) in zip(losses, losses.dropFirst()) { #expect(next < previous) }
  // 426 rows start near log 2 ≈ 0.69 each (≈ 295 in all); a fitted model is far lower.
  #expect(losses.last! < 0.5 * losses.first!)
}

@Test(arguments: ["rmsprop", "adam", "adamw", "sgd-momentum"])
func seedLoopLowersTheLoss(optimizer: String) throws {
  let losses = try seedLoop(epochs: 3, batchSize: 16, numWorkers: 0, shuffle: true) { params in
    switch optimizer {
    case "rmsprop": try RMSprop(params, lr: 0.01)
    case "adam": try Adam(params, lr: 0.05)
    case "adamw": try AdamW(params, lr: 0.05)
    default: try SGD(params, lr: 0.01, momentum: 0.9)
    }
  }
  #expect(losses.last! < 0.6 * losses.first!)
}

@Test func workersDoNotChangeTheTrajectory() throws {
  let serial = try seedLoop(epochs: 2, batchSize: 8, numWorkers: 0, shuffle: true) { try SGD($0, lr: 0.01) }
  let threaded = try seedLoop(epochs: 2, batchSize: 8, numWorkers: 2, shuffle: true) { try SGD($0, lr: 0.01) }
  #expect(serial == threaded)
}
