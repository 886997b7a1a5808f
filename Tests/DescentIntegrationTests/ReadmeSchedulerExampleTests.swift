import Descent
import DescentData
import DescentNN
import DescentOptim
import Testing

/// The README's StepLR loop, verbatim between the markers, after the README's first example's
/// model, loss and loader.
@Test func readmeSchedulerExampleRuns() throws {
  let data = try loadBreastCancer()
  let (train, _) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: 0))
  let scaler = try StandardScaler(fitting: train.features)
  let dataset = try train.standardized(by: scaler).dataset(target: .binaryFloat)
  let dataloader = try DataLoader(dataset, batchSize: 1, shuffle: false)
  let model = Linear(30, 1, generator: Generator(seed: 3))
  let criterion = BCEWithLogitsLoss(reduction: .sum)
  var printed: [[Double]] = []
  func print(_ epoch: Int, _ lastLR: [Double]) { printed.append(lastLR) }

  // README scheduler example begins
  let optimizer = try SGD(model.parameters(), lr: 0.1, momentum: 0.9)
  let scheduler = try StepLR(optimizer, stepSize: 2, gamma: 0.1)  // lr × 0.1 every 2 epochs

  for epoch in 0..<4 {
    for batch in dataloader {
      model.train()
      optimizer.zeroGrad()
      let loss = criterion(model(batch["x"]!), batch["y"]!)
      loss.backward()
      try optimizer.step()
    }
    try scheduler.step()  // after the optimizer's steps, as in PyTorch
    print(epoch, scheduler.lastLR)  // get_last_lr(): [0.1], [0.01], [0.01], [0.001]
  }
  // README scheduler example ends

  // StepLR multiplies by 0.1 in floating point, as PyTorch does: 0.1 · 0.1 · 0.1.
  #expect(printed == [[0.1], [0.1 * 0.1], [0.1 * 0.1], [0.1 * 0.1 * 0.1]])
}
