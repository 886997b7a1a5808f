import Descent
import DescentCheckpoint
import DescentNN
import DescentOptim
import Foundation
import Testing

/// Bitwise equality of two tensors (shape, dtype and every element's bits).
func bitwiseEqual(_ a: Tensor, _ b: Tensor) -> Bool {
  guard a.shape == b.shape, a.dtype == b.dtype else { return false }
  switch a.dtype {
  case .float32: return a.asArray(Float.self).map(\.bitPattern) == b.asArray(Float.self).map(\.bitPattern)
  case .float64: return a.asArray(Double.self).map(\.bitPattern) == b.asArray(Double.self).map(\.bitPattern)
  case .int64: return a.asArray(Int.self) == b.asArray(Int.self)
  case .bool: return a.asArray(Bool.self) == b.asArray(Bool.self)
  case .uint8: return a.asArray(UInt8.self) == b.asArray(UInt8.self)
  // Widening to float32 keeps every half bit pattern apart (up to NaN quieting).
  case .bfloat16, .float16:
    return a.asArray(Float.self).map(\.bitPattern) == b.asArray(Float.self).map(\.bitPattern)
  }
}

func sameState(_ a: OptimizerStateDict, _ b: OptimizerStateDict) -> Bool {
  guard a.state.keys.sorted() == b.state.keys.sorted(), a.paramGroups.count == b.paramGroups.count else {
    return false
  }
  for (index, entries) in a.state {
    guard let other = b.state[index], Set(entries.keys) == Set(other.keys) else { return false }
    for (key, tensor) in entries where !bitwiseEqual(tensor, other[key]!) { return false }
  }
  return zip(a.paramGroups, b.paramGroups).allSatisfy {
    $0.params == $1.params && $0.hyperparameters == $1.hyperparameters
  }
}

/// A model with parameters and buffers of several dtypes, trained a few steps.
func trainedSetup() throws -> (Sequential, Adam, StepLR) {
  manualSeed(3)
  let model = Sequential(Linear(3, 5), BatchNorm1d(5), Tanh(), Linear(5, 2))
  let optimizer = try Adam(model[0].parameters(), lr: 0.02, amsgrad: true)
  try optimizer.addParamGroup(ParamGroup(model[3].parameters() + model[1].parameters(), ["lr": 0.005]))
  let scheduler = try StepLR(optimizer, stepSize: 2, gamma: 0.5)
  for _ in 0..<3 {
    optimizer.zeroGrad()
    MSELoss()(model(Tensor.randn([6, 3])), Tensor.randn([6, 2])).backward()
    try optimizer.step()
    try scheduler.step()
  }
  return (model, optimizer, scheduler)
}

@Suite struct CheckpointTests {
  @Test func aCheckpointRoundTripsBitwise() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("c.safetensors")
    let (model, optimizer, scheduler) = try trainedSetup()
    let saved = Checkpoint(
      model: model, optimizer: optimizer, scheduler: scheduler, step: 7,
      metadata: ["run": "é", "": "empty key"])
    try saved.save(to: url)
    let loaded = try Checkpoint.load(from: url)
    #expect(Array(loaded.model.keys) == Array(model.stateDict().keys))
    for (name, tensor) in model.stateDict() { #expect(bitwiseEqual(loaded.model[name]!, tensor), "\(name)") }
    #expect(loaded.model["1.num_batches_tracked"]?.dtype == .int64)
    #expect(sameState(loaded.optimizer, optimizer.stateDict()))
    #expect(loaded.scheduler == scheduler.stateDict())
    #expect(loaded.step == 7)
    #expect(loaded.metadata == ["run": "é", "": "empty key"])
    #expect(loaded.optimizerName == "Adam")
    #expect(loaded.schedulerName == "StepLR")

    // PyTorch's names in the file.
    let file = try loadSafetensors(from: url)
    #expect(file.tensors["model.0.weight"] != nil)
    #expect(file.tensors["model.1.running_mean"] != nil)
    #expect(file.tensors["optimizer.state.0.exp_avg"] != nil)
    #expect(file.tensors["optimizer.state.3.max_exp_avg_sq"] != nil)
    #expect(file.tensors["optimizer.state.0.step"] == nil)  // a scalar: in the metadata
    #expect(file.metadata["optimizer"]?.contains("\"step\":3.0") == true)
    #expect(file.metadata["step"] == "7")
  }

  @Test(arguments: [0, 1, -1, 120, (1 << 53) + 1, Int.max, Int.min])
  func theStepRoundTripsExactly(_ step: Int) throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("c.safetensors")
    let model = Linear(2, 2)
    try Checkpoint(model: model, optimizer: try SGD(model.parameters(), lr: 0.1), step: step).save(to: url)
    #expect(try Checkpoint.load(from: url).step == step)
  }

  @Test func aPlainTensorFileIsNotACheckpoint() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("plain.safetensors")
    try saveSafetensors(["w": Tensor.ones([2])], to: url, metadata: ["format": "pt"])
    let error = #expect(throws: CheckpointError.self) { try Checkpoint.load(from: url) }
    #expect(error?.message.contains("not a checkpoint") == true)
    // A malformed file is a SafetensorsError.
    try Data(repeating: 0xFF, count: 20).write(to: url)
    #expect(throws: SafetensorsError.self) { try Checkpoint.load(from: url) }
  }

  @Test func schedulerStateAndSchedulerMustGoTogether() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let with = directory.appendingPathComponent("with.safetensors")
    let without = directory.appendingPathComponent("without.safetensors")
    let (model, optimizer, scheduler) = try trainedSetup()
    try Checkpoint(model: model, optimizer: optimizer, scheduler: scheduler, step: 1).save(to: with)
    try Checkpoint(model: model, optimizer: optimizer, step: 1).save(to: without)
    let e1 = #expect(throws: CheckpointError.self) {
      try Checkpoint.load(from: with).restore(model: model, optimizer: optimizer)
    }
    #expect(e1?.message.contains("StepLR") == true)
    let e2 = #expect(throws: CheckpointError.self) {
      try Checkpoint.load(from: without).restore(model: model, optimizer: optimizer, scheduler: scheduler)
    }
    #expect(e2?.message.contains("no scheduler state") == true)
    // Another optimizer class.
    let sgd = try SGD(model.parameters(), lr: 0.1)
    let e3 = #expect(throws: CheckpointError.self) {
      try Checkpoint.load(from: without).restore(model: model, optimizer: sgd)
    }
    #expect(e3?.message.contains("Adam") == true)
  }

  @Test func aRestoreThatThrowsChangesNothing() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("c.safetensors")
    let (model, optimizer, scheduler) = try trainedSetup()
    try Checkpoint(model: model, optimizer: optimizer, scheduler: scheduler, step: 3).save(to: url)
    let checkpoint = try Checkpoint.load(from: url)

    // The same architecture with other values, and an optimizer with one group fewer: the
    // model's state is fine, the optimizer's is not.
    let (other, otherOptimizer, otherScheduler) = try trainedSetup()
    withNoGrad { for p in other.parameters() { p.fill(0.25) } }
    let single = try Adam(other.parameters(), lr: 0.5)
    let singleScheduler = try StepLR(single, stepSize: 5)
    let modelBefore = other.stateDict().mapValues { $0.clone() }
    let optimizerBefore = single.stateDict()
    let schedulerBefore = singleScheduler.stateDict()
    #expect(throws: OptimizerError.self) {
      try checkpoint.restore(model: other, optimizer: single, scheduler: singleScheduler)
    }
    for (name, tensor) in other.stateDict() { #expect(bitwiseEqual(tensor, modelBefore[name]!), "\(name)") }
    #expect(sameState(single.stateDict(), optimizerBefore))
    #expect(singleScheduler.stateDict() == schedulerBefore)

    // A model of another shape: every mismatch in one message, nothing changed.
    let wide = Sequential(Linear(3, 6), BatchNorm1d(6), Tanh(), Linear(6, 2))
    let wideOptimizer = try Adam(wide[0].parameters(), lr: 0.02, amsgrad: true)
    try wideOptimizer.addParamGroup(ParamGroup(wide[3].parameters() + wide[1].parameters(), ["lr": 0.005]))
    let wideScheduler = try StepLR(wideOptimizer, stepSize: 2, gamma: 0.5)
    let wideBefore = wide.stateDict().mapValues { $0.clone() }
    let error = #expect(throws: NNError.self) {
      try checkpoint.restore(model: wide, optimizer: wideOptimizer, scheduler: wideScheduler)
    }
    #expect(error?.message.contains("size mismatch for 0.weight") == true)
    #expect(error?.message.contains("size mismatch for 3.weight") == true)
    for (name, tensor) in wide.stateDict() { #expect(bitwiseEqual(tensor, wideBefore[name]!), "\(name)") }
    #expect(wideOptimizer.stateDict().state.isEmpty)

    // The right objects restore, taking the hyperparameters from the file.
    otherOptimizer.paramGroups[0].lr = 99
    try checkpoint.restore(model: other, optimizer: otherOptimizer, scheduler: otherScheduler)
    #expect(otherOptimizer.paramGroups[0].lr == optimizer.paramGroups[0].lr)
    for (name, tensor) in model.stateDict() { #expect(bitwiseEqual(other.stateDict()[name]!, tensor)) }
    #expect(sameState(otherOptimizer.stateDict(), optimizer.stateDict()))
    #expect(otherScheduler.stateDict() == scheduler.stateDict())
  }

  @Test func reduceLROnPlateauIsCheckpointedToo() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("c.safetensors")
    let model = Linear(2, 1)
    let optimizer = try SGD(model.parameters(), lr: 0.1, momentum: 0.9)
    let plateau = try ReduceLROnPlateau(optimizer, patience: 0)
    for loss in [1.0, 2.0, 3.0] { try plateau.step(metric: loss) }
    try Checkpoint(model: model, optimizer: optimizer, scheduler: plateau, step: 3).save(to: url)
    let fresh = try ReduceLROnPlateau(optimizer, patience: 0)
    let loaded = try Checkpoint.load(from: url)
    try loaded.restore(model: model, optimizer: optimizer, scheduler: fresh)
    #expect(fresh.stateDict() == plateau.stateDict())
    #expect(loaded.schedulerName == "ReduceLROnPlateau")
  }

  /// A PyTorch checkpoint's implementation flags and integer hyperparameters survive a
  /// restore into Descent and the next checkpoint, and a loaded checkpoint saves its
  /// metadata back unchanged.
  @Test func pytorchDetailsSurviveARoundTripThroughDescent() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("c.safetensors")
    let model = Linear(2, 1)
    let optimizer = try SGD(model.parameters(), lr: 0.1, momentum: 0.9)
    try Checkpoint(model: model, optimizer: optimizer, step: 1).save(to: url)
    // Rewrite the optimizer's groups as PyTorch writes them.
    var file = try loadSafetensors(from: url)
    file.metadata["optimizer"] =
      #"{"state":{},"param_groups":[{"lr":0.1,"momentum":0.9,"dampening":0,"weight_decay":0,"nesterov":false,"maximize":false,"foreach":null,"differentiable":false,"fused":null,"params":[0,1]}]}"#
    file.metadata["optimizer.class"] = nil
    file.metadata["torch.extra"] = "kept"
    try saveSafetensors(file.tensors, to: url, metadata: file.metadata)

    let loaded = try Checkpoint.load(from: url)
    try loaded.save(to: url)
    #expect(try loadSafetensors(from: url).metadata == file.metadata)

    let fresh = try SGD(model.parameters(), lr: 0.5)
    try loaded.restore(model: model, optimizer: fresh)
    #expect(fresh.paramGroups[0].lr == 0.1)
    try Checkpoint(model: model, optimizer: fresh, step: 2).save(to: url)
    let written = try loadSafetensors(from: url).metadata["optimizer"]!
    for part in [
      #""foreach":null"#, #""fused":null"#, #""differentiable":false"#, #""weight_decay":0,"#,
      #""dampening":0,"#, #""lr":0.1,"#,
    ] {
      #expect(written.contains(part), "\(written) lacks \(part)")
    }
  }
}
