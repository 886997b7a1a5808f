import Descent
import DescentOptim
import Testing

@Suite("Hooks")
struct HookTests {
  @Test("step pre and post hooks run around the update, and can be removed")
  func stepHooks() throws {
    let p = Tensor([1.0], shape: [1], dtype: .float64, requiresGrad: true)
    let optimizer = try SGD([p], lr: 0.5)
    var log: [String] = []
    let pre = optimizer.registerStepPreHook { _ in log.append("pre \(p.item())") }
    optimizer.registerStepPostHook { _ in log.append("post \(p.item())") }
    p.grad = Tensor([1.0], shape: [1], dtype: .float64)
    try optimizer.step()
    pre.remove()
    pre.remove()
    try optimizer.step { log.append("closure") }
    #expect(log == ["pre 1.0", "post 0.5", "closure", "post 0.0"])
  }

  @Test("state-dict hooks: pre, post (may edit), load pre (may edit), load post; prepend")
  func stateDictHooks() throws {
    let p = Tensor([1.0], shape: [1], dtype: .float64, requiresGrad: true)
    let optimizer = try SGD([p], lr: 0.5)
    var log: [String] = []
    optimizer.registerStateDictPreHook { _ in log.append("pre A") }
    optimizer.registerStateDictPreHook(prepend: true) { _ in log.append("pre B") }
    let post = optimizer.registerStateDictPostHook { _, dict in dict.paramGroups[0]["lr"] = 0.25 }
    let saved = optimizer.stateDict()
    #expect(log == ["pre B", "pre A"])
    #expect(saved.paramGroups[0]["lr"] == .number(0.25))
    post.remove()
    #expect(optimizer.stateDict().paramGroups[0]["lr"] == .number(0.5))

    optimizer.registerLoadStateDictPreHook { _, dict in dict.paramGroups[0]["momentum"] = 0.5 }
    optimizer.registerLoadStateDictPostHook { optimizer in
      log.append("loaded momentum \(optimizer.paramGroups[0].momentum)")
    }
    try optimizer.loadStateDict(saved)
    #expect(optimizer.paramGroups[0].lr == 0.25)
    #expect(log.last == "loaded momentum 0.5")
  }
}
