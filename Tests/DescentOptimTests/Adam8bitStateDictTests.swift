import Descent
import DescentOptim
import Testing

/// Two 8-bit parameters (one of them with a short last block) and a 32-bit one.
private func trained(steps: Int = 2) throws -> ([Tensor], Adam8bit) {
  let shapes = [[18, 250], [300], [4097]]
  let params = shapes.enumerated().map { k, shape in
    Tensor(adam8bitInitial(k, shape.reduce(1, *)), shape: shape, requiresGrad: true)
  }
  let optimizer = try AdamW8bit(params, lr: 1e-2, weightDecay: 0.1)
  for t in 1...steps { try runAdam8bitStep(params, optimizer, step: t) }
  return (params, optimizer)
}

private func fresh(like params: [Tensor]) throws -> ([Tensor], Adam8bit) {
  let copies = params.map { p in withNoGrad { p.detach().clone() }.requiringGrad() }
  return (copies, try AdamW8bit(copies, lr: 1e-2, weightDecay: 0.1))
}

private func bits(_ t: Tensor) -> [UInt64] {
  switch t.dtype {
  case .uint8: t.asArray(UInt8.self).map { UInt64($0) }
  case .float64: t.asArray(Double.self).map(\.bitPattern)
  default: t.asArray(Float.self).map { UInt64($0.bitPattern) }
  }
}

private extension Tensor {
  func requiringGrad() -> Tensor {
    requiresGrad = true
    return self
  }
}

@Suite("Adam8bit state dicts")
struct Adam8bitStateDictTests {
  @Test func holdsTheQuantizedFormUnderBitsandbytesKeys() throws {
    let (params, optimizer) = try trained()
    let dict = optimizer.stateDict()
    let quantized = try #require(dict.state[0])
    #expect(Set(quantized.keys) == ["step", "state1", "state2", "absmax1", "absmax2", "qmap1", "qmap2"])
    #expect(quantized["state1"]?.dtype == .uint8 && quantized["state1"]?.shape == [18, 250])
    #expect(quantized["absmax1"]?.dtype == .float32 && quantized["absmax1"]?.shape == [18])
    #expect(quantized["qmap1"]?.asArray(Float.self) == DynamicMap.signed)
    #expect(quantized["qmap2"]?.asArray(Float.self) == DynamicMap.unsigned)
    #expect(dict.state[2]?["absmax2"]?.shape == [17])
    let full = try #require(dict.state[1])
    #expect(Set(full.keys) == ["step", "state1", "state2"])
    #expect(full["state1"]?.dtype == .float32 && full["state1"]?.shape == [300])
    #expect(dict.paramGroups[0].hyperparameters["min_8bit_size"] == .number(4096))
    // A snapshot: later steps leave it alone.
    let before = bits(quantized["state1"]!)
    try runAdam8bitStep(params, optimizer, step: 3)
    #expect(bits(quantized["state1"]!) == before)
  }

  @Test func aLoadedStateContinuesBitForBit() throws {
    let (params, optimizer) = try trained()
    let (copies, resumed) = try fresh(like: params)
    try resumed.loadStateDict(optimizer.stateDict())
    for t in 3...4 {
      try runAdam8bitStep(params, optimizer, step: t)
      try runAdam8bitStep(copies, resumed, step: t)
    }
    for (p, q) in zip(params, copies) {
      #expect(bits(p) == bits(q))
      let a = optimizer.state(for: p)
      let b = resumed.state(for: q)
      #expect(Set(a.keys) == Set(b.keys))
      for (key, value) in a { #expect(bits(value) == bits(b[key]!), "\(key)") }
    }
  }

  @Test func oneStepFromZeroQuantizesTheFirstMoment() throws {
    let (params, optimizer) = try trained(steps: 1)
    // After one step from zero state: m = (1 - β₁)·g, quantized; its dequantized value is
    // within half a code step (at most 0.0071 of the block's absmax) of the exact one.
    let state = optimizer.state(for: params[0])
    let codes = state["state1"]!.asArray(UInt8.self)
    let absmax = state["absmax1"]!.asArray(Float.self)
    let g = adam8bitGrad(0, 4500, 1)
    for i in stride(from: 0, to: 4500, by: 97) {
      let exact = Float(0.1) * g[i]
      let dequantized = DynamicMap.signed[Int(codes[i])] * absmax[i / 256]
      #expect(abs(dequantized - exact) <= 0.0071 * absmax[i / 256], "\(i)")
    }
  }

  @Test func mismatchedStateThrows() throws {
    let (params, optimizer) = try trained()
    let good = optimizer.stateDict()
    func loading(_ edit: (inout [String: Tensor]) -> Void, index: Int = 0) -> String? {
      var dict = good
      edit(&dict.state[index]!)
      let (_, other) = try! fresh(like: params)
      do {
        try other.loadStateDict(dict)
        return nil
      } catch let error as OptimizerError { return error.message } catch { return "\(error)" }
    }
    #expect(
      loading { $0["absmax1"] = Tensor.zeros([17]) }
        == "state 'absmax1' of parameter 0 is a torch.float32 tensor of shape [17], but AdamW8bit keeps it as torch.float32 of shape [18] for a parameter of shape [18, 250]"
    )
    #expect(
      loading { $0["state2"] = Tensor.zeros([18, 250]) }
        == "state 'state2' of parameter 0 is a torch.float32 tensor of shape [18, 250], but AdamW8bit keeps it as torch.uint8 of shape [18, 250] for a parameter of shape [18, 250]"
    )
    #expect(
      loading { $0["state1"] = Tensor.zeros([4500], dtype: .uint8) }
        == "state 'state1' of parameter 0 is a torch.uint8 tensor of shape [4500], but AdamW8bit keeps it as torch.uint8 of shape [18, 250] for a parameter of shape [18, 250]"
    )
    #expect(
      loading { $0["absmax2"] = nil }
        == "loaded state dict has no 'absmax2' for parameter 0, which AdamW8bit needs")
    #expect(
      loading { $0["qmap2"] = Tensor(DynamicMap.signed) }
        == "state 'qmap2' of parameter 0 is not bitsandbytes' unsigned dynamic map, the only one AdamW8bit quantizes with"
    )
    #expect(
      loading({ $0["state1"] = Tensor.zeros([7]) }, index: 1)
        == "state 'state1' of parameter 1 has shape [7], but the parameter has shape [300]")
    // Nothing changed on failure: the good dict still loads and matches.
    let (_, other) = try fresh(like: params)
    try other.loadStateDict(good)
  }

  @Test func a32BitStateLoadsForALargeParameterAndStays32Bit() throws {
    // bitsandbytes follows the loaded state1's dtype.
    let (params, optimizer) = try trained()
    var dict = optimizer.stateDict()
    dict.state[0] = [
      "step": Tensor(scalar: 2), "state1": Tensor.zeros([18, 250]), "state2": Tensor.zeros([18, 250]),
    ]
    let (copies, resumed) = try fresh(like: params)
    try resumed.loadStateDict(dict)
    try runAdam8bitStep(copies, resumed, step: 3)
    #expect(resumed.state(for: copies[0])["state1"]?.dtype == .float32)
    #expect(resumed.state(for: copies[0])["absmax1"] == nil)
  }
}
