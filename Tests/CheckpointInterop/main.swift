import Descent
import DescentCheckpoint
import DescentNN
import DescentOptim
import Foundation

// The Descent half of scripts/test_checkpoint_interop.py (start in PyTorch, continue in
// Descent, go back):
//
//   CheckpointInterop cases
//       prints, as JSON, the run of each registry optimizer: its PyTorch class and keyword
//       arguments, and its scheduler's class and keyword arguments;
//   CheckpointInterop train CASE CHECKPOINT DATA UNTIL OUT
//       restores CHECKPOINT (a converted PyTorch checkpoint) into case CASE's model,
//       optimizer and scheduler, trains on DATA (a safetensors file with `x` and `y`) up to
//       step UNTIL and saves the checkpoint to OUT.
//
// The model is Sequential(Linear(4, 8), Tanh(), Linear(8, 2)) with MSELoss; step s trains
// on rows (s % 4)·4 ..< (s % 4)·4 + 4, then steps the scheduler.

struct Case {
  let kind: OptimizerKind
  let options: [String: HyperValue]
  let scheduler: String
  let schedulerOptions: [String: Double]
}

func cases() -> [Case] {
  let schedules: [(String, [String: Double])] = [
    ("StepLR", ["step_size": 3, "gamma": 0.5]), ("ExponentialLR", ["gamma": 0.9]),
    ("CosineAnnealingLR", ["T_max": 5]), ("OneCycleLR", ["max_lr": 0.05, "total_steps": 13]),
  ]
  return OptimizerKind.allCases.enumerated().map { index, kind in
    let options: [String: HyperValue] =
      switch kind.name {
      case "SGD": ["lr": 0.05, "momentum": 0.9, "nesterov": true, "weight_decay": 0.01]
      case "RMSprop": ["lr": 0.01, "momentum": 0.5, "centered": true]
      case "Adam": ["lr": 0.02, "amsgrad": true]
      case "AdamW": ["lr": 0.02, "weight_decay": 0.1]
      default: ["lr": 0.01]
      }
    let (scheduler, schedulerOptions) = schedules[index % schedules.count]
    return Case(kind: kind, options: options, scheduler: scheduler, schedulerOptions: schedulerOptions)
  }
}

func makeScheduler(_ c: Case, _ optimizer: Optimizer) throws -> any LRScheduler {
  let o = c.schedulerOptions
  switch c.scheduler {
  case "StepLR": return try StepLR(optimizer, stepSize: Int(o["step_size"]!), gamma: o["gamma"]!)
  case "ExponentialLR": return try ExponentialLR(optimizer, gamma: o["gamma"]!)
  case "CosineAnnealingLR": return try CosineAnnealingLR(optimizer, tMax: Int(o["T_max"]!))
  default: return try OneCycleLR(optimizer, maxLR: o["max_lr"]!, totalSteps: Int(o["total_steps"]!))
  }
}

func json(_ value: HyperValue) -> Any {
  switch value {
  case .number(let v): v
  case .bool(let v): v
  case .numbers(let v): v
  case .string(let v): v
  case .null: NSNull()
  case .optionalNumbers(let v): v.map { $0.map { $0 as Any } ?? NSNull() }
  }
}

let arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "cases":
  let list = cases().map { c -> [String: Any] in
    [
      "optimizer": c.kind.name, "kwargs": c.options.mapValues(json), "scheduler": c.scheduler,
      "scheduler_kwargs": c.schedulerOptions,
    ]
  }
  let data = try JSONSerialization.data(withJSONObject: list, options: [.sortedKeys])
  print(String(decoding: data, as: UTF8.self))
case "train" where arguments.count == 7:
  let c = cases()[Int(arguments[2])!]
  let model = Sequential(Linear(4, 8), Tanh(), Linear(8, 2))
  let optimizer = try c.kind.make(model.parameters(), c.options)
  let scheduler = try makeScheduler(c, optimizer)
  let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: arguments[3]))
  try checkpoint.restore(model: model, optimizer: optimizer, scheduler: scheduler)
  let data = try loadSafetensors(from: URL(fileURLWithPath: arguments[4])).tensors
  let (x, y) = (data["x"]!, data["y"]!)
  let until = Int(arguments[5])!
  for step in checkpoint.step..<until {
    let rows = (step % 4) * 4
    optimizer.zeroGrad()
    let loss = MSELoss()(
      model(x.slice(dim: 0, start: rows, end: rows + 4)), y.slice(dim: 0, start: rows, end: rows + 4))
    loss.backward()
    try optimizer.step()
    try scheduler.step()
  }
  try Checkpoint(model: model, optimizer: optimizer, scheduler: scheduler, step: until)
    .save(to: URL(fileURLWithPath: arguments[6]))
default:
  FileHandle.standardError.write(
    Data("usage: CheckpointInterop cases | train CASE CHECKPOINT DATA UNTIL OUT\n".utf8))
  exit(2)
}
