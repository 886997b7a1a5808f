import Descent
import DescentCheckpoint
import DescentNN
import DescentOptim
import Foundation
import Testing

@Suite struct Adam8bitCheckpointTests {
  @Test func aCheckpointStoresTheQuantizedStateAndResumesBitForBit() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("c.safetensors")
    manualSeed(11)
    // 80 × 64 = 5120 weights: 8-bit (20 blocks); the 80 biases stay 32-bit.
    let model = Linear(64, 80)
    let optimizer = try AdamW8bit(model.parameters(), lr: 1e-2)
    let x = Tensor.randn([16, 64])
    let y = Tensor.randn([16, 80])
    func train(_ model: Linear, _ optimizer: Optimizer) throws {
      optimizer.zeroGrad()
      MSELoss()(model(x), y).backward()
      try optimizer.step()
    }
    for _ in 0..<3 { try train(model, optimizer) }
    try Checkpoint(model: model, optimizer: optimizer, step: 3).save(to: url)

    let file = try loadSafetensors(from: url)
    #expect(file.tensors["optimizer.state.0.state1"]?.dtype == .uint8)
    #expect(file.tensors["optimizer.state.0.absmax2"]?.shape == [20])
    #expect(file.tensors["optimizer.state.0.qmap1"]?.shape == [256])
    #expect(file.tensors["optimizer.state.1.state1"]?.dtype == .float32)

    manualSeed(99)
    let restoredModel = Linear(64, 80)
    let restoredOptimizer = try AdamW8bit(restoredModel.parameters(), lr: 1e-2)
    try Checkpoint.load(from: url).restore(model: restoredModel, optimizer: restoredOptimizer)
    for _ in 0..<2 {
      try train(model, optimizer)
      try train(restoredModel, restoredOptimizer)
    }
    for (a, b) in zip(model.parameters(), restoredModel.parameters()) {
      #expect(bitwiseEqual(a, b))
      let sa = optimizer.state(for: a)
      let sb = restoredOptimizer.state(for: b)
      #expect(Set(sa.keys) == Set(sb.keys))
      for (key, value) in sa { #expect(bitwiseEqual(value, sb[key]!), "\(key)") }
    }
  }
}
