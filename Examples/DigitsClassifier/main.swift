// A digits classifier: an MLP on the bundled 8×8 digits (10 classes) with CrossEntropyLoss,
// Adam, a shuffling DataLoader and CosineAnnealingLR; the test accuracy after every epoch.
//
//   swift run -c release DigitsClassifier      20 epochs (about 97% test accuracy)
//   swift run DigitsClassifier 2               2 epochs (what CI runs)
import Descent
import DescentData
import DescentNN
import DescentOptim

let epochs = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 20

let data = try loadDigits()  // 1797 × 64 pixels, labels 0...9
let (train, test) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: 0))
let scaler = try StandardScaler(fitting: train.features)
let trainSet = try train.standardized(by: scaler).dataset(target: .classIndex)  // y: int64 [B]
let testData = try test.standardized(by: scaler)
let loader = try DataLoader(trainSet, batchSize: 32, shuffle: true, generator: Generator(seed: 1))

let generator = Generator(seed: 2)
let model = Sequential(
  Linear(64, 64, generator: generator), ReLU(),
  Linear(64, 10, generator: generator))
let criterion = CrossEntropyLoss()
let optimizer = try Adam(model.parameters(), lr: 3e-3)
let scheduler = try CosineAnnealingLR(optimizer, tMax: epochs)

for epoch in 1...epochs {
  model.train()
  var total = 0.0
  for batch in loader {
    optimizer.zeroGrad()
    let loss = criterion(model(batch["x"]!), batch["y"]!)
    loss.backward()
    try optimizer.step()
    total += loss.item()
  }
  try scheduler.step()

  model.eval()
  let predicted = withNoGrad { model(testData.features).argmax(dim: 1) }
  let correct = zip(predicted.asArray(Int.self), testData.targets.asArray(Int.self)).filter { $0 == $1 }.count
  print(
    "epoch \(epoch): mean batch loss \(total / Double(loader.count)), test accuracy \(Double(correct) / Double(testData.count))"
  )
}
