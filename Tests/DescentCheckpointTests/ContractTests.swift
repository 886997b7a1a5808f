import Descent
import DescentCheckpoint
import DescentNN
import DescentOptim
import Foundation
import Testing

/// A fresh directory under the system's temporary folder, removed by the caller.
func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "descent-ckpt-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

@Suite struct ContractTests {
  /// The issue's block, verbatim, on a small model that has trained a few steps.
  @Test func theIssueBlockCompilesAndRuns() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("ckpt.safetensors")
    let bad = directory.appendingPathComponent("bad.safetensors")
    try Data([1, 2, 3]).write(to: bad)
    manualSeed(0)
    let w = Tensor.randn([2, 3])
    let b = Tensor.randn([3])
    let model = Sequential(Linear(3, 4), Tanh(), Linear(4, 1))
    let optimizer = try Adam(model.parameters(), lr: 0.01)
    let scheduler = try StepLR(optimizer, stepSize: 2, gamma: 0.5)
    for _ in 0..<3 {
      optimizer.zeroGrad()
      MSELoss()(model(Tensor.randn([5, 3])), Tensor.randn([5, 1])).backward()
      try optimizer.step()
      try scheduler.step()
    }
    var printed = ""

    // The block.
    try saveSafetensors(["w": w, "b": b], to: url, metadata: ["note": "x"])
    // file.tensors: [String: Tensor], file.metadata: [String: String]
    let file = try loadSafetensors(from: url)
    do { _ = try loadSafetensors(from: bad) } catch let error as SafetensorsError {
      print(error, to: &printed)
    }

    // scheduler optional
    let ckpt = Checkpoint(model: model, optimizer: optimizer, scheduler: scheduler, step: 120)
    try ckpt.save(to: url)
    let loaded = try Checkpoint.load(from: url)
    try loaded.restore(model: model, optimizer: optimizer, scheduler: scheduler)
    print(loaded.step)

    // What it did.
    let tensors: [String: Tensor] = file.tensors
    let metadata: [String: String] = file.metadata
    #expect(Set(tensors.keys) == ["w", "b"])
    #expect(tensors["w"]!.asArray(Float.self) == w.asArray(Float.self))
    #expect(tensors["b"]!.asArray(Float.self) == b.asArray(Float.self))
    #expect(metadata == ["note": "x"])
    #expect(printed.contains("fewer than the 8-byte header length"))
    #expect(loaded.step == 120)
    #expect(loaded.scheduler == scheduler.stateDict())
    #expect(Array(loaded.model.keys) == Array(model.stateDict().keys))
  }

  /// `nil` compiles for the scheduler in both the initialiser and `restore`.
  @Test func aNilSchedulerCompilesInBothPlaces() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("ckpt.safetensors")
    let model = Linear(2, 1)
    let optimizer = try SGD(model.parameters(), lr: 0.1)
    let ckpt = Checkpoint(model: model, optimizer: optimizer, scheduler: nil, step: 1)
    try ckpt.save(to: url)
    try Checkpoint.load(from: url).restore(model: model, optimizer: optimizer, scheduler: nil)
    let optional: (any LRScheduler)? = nil
    try Checkpoint.load(from: url).restore(model: model, optimizer: optimizer, scheduler: optional)
  }
}
