import Descent
import DescentData
import DescentNN
import DescentOptim
import Testing

/// The README's example, verbatim between the markers, so that it keeps compiling and running.
@Test func readmeExampleRuns() throws {
  // README example begins
  let data = try loadBreastCancer()  // 569 × 30, UCI, CC BY 4.0
  let (train, _) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: 0))
  let scaler = try StandardScaler(fitting: train.features)
  let dataset = try train.standardized(by: scaler).dataset(target: .binaryFloat)
  let dataloader = try DataLoader(dataset, batchSize: 1, shuffle: false)

  let model = Linear(30, 1)
  let criterion = BCEWithLogitsLoss(reduction: .sum)
  let optimizer = try SGD(model.parameters(), lr: 0.01)

  for batch in dataloader {
    model.train()
    let x = batch["x"]!
    let y = batch["y"]!

    optimizer.zeroGrad()
    let pred = model(x)
    let loss = criterion(pred, y)

    loss.backward()
    try optimizer.step()

    print(loss)
  }
  // README example ends
  #expect(dataloader.count == train.count)
}
