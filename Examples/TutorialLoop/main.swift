// The training loop of the torch.optim tutorial ("PyTorch优化器"), translated line by line:
// a DataLoader over the bundled breast-cancer rows, BCEWithLogitsLoss(reduction='sum'),
// zero_grad / forward / loss / backward / step, and StepLR to lower the learning rate.
//
//   swift run -c release TutorialLoop          three epochs
//   swift run TutorialLoop 20                  stop after 20 steps (what CI runs)
import Descent
import DescentData
import DescentNN
import DescentOptim

let maxSteps = CommandLine.arguments.dropFirst().first.flatMap { Int($0) }

// The tutorial's `dataset`: standardised breast-cancer rows as ["x": features, "y": label].
let data = try loadBreastCancer()
let (train, test) = try data.trainTestSplit(testFraction: 0.25, generator: Generator(seed: 0))
let scaler = try StandardScaler(fitting: train.features)
let dataset = try train.standardized(by: scaler).dataset(target: .binaryFloat)

// dataloader = DataLoader(dataset, batch_size=1, shuffle=False, sampler=None,
//                         batch_sampler=None, num_workers=0, collate_fn=None,
//                         pin_memory=False, drop_last=False, timeout=0,
//                         worker_init_fn=None)
let dataloader = try DataLoader(
  dataset, batchSize: 1, shuffle: false, sampler: nil, batchSampler: nil, numWorkers: 0,
  collate: nil, pinMemory: false, dropLast: false, timeout: 0, workerInit: nil)

let model = Linear(30, 1, generator: Generator(seed: 1))
// criterion = nn.BCEWithLogitsLoss(reduction='sum')
let criterion = BCEWithLogitsLoss(reduction: .sum)
// The tutorial makes `optim.SGD(model.parameters(), lr=0.01)` inside the loop; made once
// here, because a new optimizer every batch would also restart the scheduler.
let optimizer = try SGD(model.parameters(), lr: 0.01)
// StepLR(optimizer, step_size=1, gamma=0.1): the rate falls tenfold after every epoch.
let scheduler = try StepLR(optimizer, stepSize: 1, gamma: 0.1)

var steps = 0
training: for epoch in 0..<3 {
  // for batch_idx, batch in enumerate(dataloader):
  for (batchIdx, batch) in dataloader.enumerated() {
    model.train()
    let x = batch["x"]!
    let y = batch["y"]!

    optimizer.zeroGrad()
    let pred = model(x)
    let loss = criterion(pred, y)

    loss.backward()
    try optimizer.step()

    // The tutorial prints every batch's loss; every 100th keeps the output readable.
    if batchIdx % 100 == 0 { print("epoch \(epoch) batch \(batchIdx):", loss) }
    steps += 1
    if let maxSteps, steps >= maxSteps { break training }
  }
  try scheduler.step()  // after the epoch's optimizer steps, as in PyTorch
  print("epoch \(epoch) done; lr is now \(scheduler.lastLR[0])")
}

// How well it learned: accuracy on the held-out rows.
model.eval()
let testData = try test.standardized(by: scaler)
let predicted = withNoGrad { (model(testData.features) .> 0).to(dtype: .int64).reshape([-1]) }
let correct = zip(predicted.asArray(Int.self), testData.targets.asArray(Int.self)).filter { $0 == $1 }.count
print("\(steps) steps; test accuracy \(Double(correct) / Double(testData.count))")
