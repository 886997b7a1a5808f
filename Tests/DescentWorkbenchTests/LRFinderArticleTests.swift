import Descent
import DescentData
import DescentNN
import DescentOptim
import Testing

/// The program in the DescentOptim article "Finding a learning rate", with the loader it
/// assumes, so that it keeps compiling and running.
@Test func findingALearningRateArticleExampleRuns() throws {
  let data = try loadBreastCancer()
  let (train, _) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: 0))
  let scaler = try StandardScaler(fitting: train.features)
  let dataset = try train.standardized(by: scaler).dataset(target: .binaryFloat)
  let loader = try DataLoader(dataset, batchSize: 32, shuffle: true, generator: Generator(seed: 1))

  // Article example begins
  let model = Sequential(Linear(30, 32), ReLU(), Linear(32, 1))
  let criterion = BCEWithLogitsLoss()
  let optimizer = try Adam(model.parameters())
  var batches = loader.makeIterator()

  let test = try LRFinder(steps: 300).run(optimizer, preserving: model.buffers()) {
    var batch = batches.next()
    if batch == nil {  // start another pass over the data
      batches = loader.makeIterator()
      batch = batches.next()
    }
    return criterion(model(batch!["x"]!), batch!["y"]!)
  }
  if let lr = test.steepest?.suggestedLR {
    optimizer.paramGroups[0].lr = lr  // the model and the optimizer are as they were
  }
  // Article example ends
  #expect(test.learningRates.count > 100)
  #expect(optimizer.paramGroups[0].lr == test.steepest?.lr)
  #expect(optimizer.state(for: model.parameters()[0]).isEmpty)
}
