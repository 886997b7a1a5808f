import Descent
import DescentCheckpoint
import DescentNN
import DescentOptim
import Foundation
import Testing

/// Checkpoints of half-precision models and of Adam's half-precision state (`stateDType:`).
@Suite struct HalfStateCheckpointTests {
  @Test(arguments: [false, true])
  func halfStateAndParametersRoundTrip(_ halfParameters: Bool) throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("half.safetensors")
    manualSeed(16)
    let model = Sequential(Linear(3, 4), Tanh(), Linear(4, 2))
    if halfParameters { _ = model.to(dtype: .bfloat16) }
    let optimizer = try Adam(
      model.parameters(), lr: 0.01, stateDType: halfParameters ? nil : .bfloat16)
    let x = Tensor.randn([5, 3]).to(dtype: halfParameters ? .bfloat16 : .float32)
    let y = Tensor.randn([5, 2]).to(dtype: x.dtype)
    for _ in 0..<3 {
      optimizer.zeroGrad()
      MSELoss()(model(x), y).backward()
      try optimizer.step()
    }
    try Checkpoint(model: model, optimizer: optimizer, step: 3).save(to: url)
    let file = try loadSafetensors(from: url)
    #expect(file.tensors["optimizer.state.0.exp_avg"]?.dtype == .bfloat16)
    #expect(file.tensors["model.0.weight"]?.dtype == (halfParameters ? .bfloat16 : .float32))

    manualSeed(99)
    let other = Sequential(Linear(3, 4), Tanh(), Linear(4, 2))
    if halfParameters { _ = other.to(dtype: .bfloat16) }
    let otherOptimizer = try Adam(
      other.parameters(), lr: 0.01, stateDType: halfParameters ? nil : .bfloat16)
    try Checkpoint.load(from: url).restore(model: other, optimizer: otherOptimizer)
    #expect(sameState(otherOptimizer.stateDict(), optimizer.stateDict()))
    for (a, b) in zip(model.parameters(), other.parameters()) { #expect(bitwiseEqual(a, b)) }
    // Training on gives the same bits.
    for (m, o) in [(model, optimizer), (other, otherOptimizer)] {
      o.zeroGrad()
      MSELoss()(m(x), y).backward()
      try o.step()
    }
    for (a, b) in zip(model.parameters(), other.parameters()) { #expect(bitwiseEqual(a, b)) }
  }
}
