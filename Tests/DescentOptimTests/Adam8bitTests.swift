import Descent
import DescentOptim
import DescentTestSupport
import Foundation
import Testing

/// scripts/gen_optim8bit_fixtures.py's recordings of bitsandbytes 0.50.2 on the CPU.
struct Adam8bitFixture: Decodable, Sendable {
  struct Step: Decodable, Sendable {
    struct State: Decodable, Sendable {
      let step: Int
      let quantized: Bool
      let state1: String
      let state2: String
      let absmax1: String?
      let absmax2: String?
    }
    let params: [String]
    let state: [State]
  }
  struct Case: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let optimizer: String
    let kwargs: [String: JSON]
    let sqrt: String
    let shapes: [[Int]]
    let state_keys: [[String]]
    let steps: [Step]
    let recorded_steps: [Int]
    var testDescription: String { "\(name) (\(sqrt) sqrt)" }
  }
  let qmap_signed: String
  let qmap_unsigned: String
  let cases: [Case]

  static let shared = FixtureLoader(bundle: .module, script: "scripts/gen_optim8bit_fixtures.py")
    .load("adam8bit", as: Adam8bitFixture.self)
}

/// Little-endian float32 values from base64.
func float32s(_ base64: String) -> [Float] {
  let data = Data(base64Encoded: base64)!
  return data.withUnsafeBytes { raw in
    (0..<data.count / 4).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
  }
}

func bytes(_ base64: String) -> [UInt8] { [UInt8](Data(base64Encoded: base64)!) }

/// Places where two arrays differ (a length mismatch counts every missing place).
func differences<E: Equatable>(_ a: [E], _ b: [E]) -> Int {
  zip(a, b).filter { $0 != $1 }.count + abs(a.count - b.count)
}

/// The generator's gradient formula, in the same integer and float steps.
func adam8bitGrad(_ k: Int, _ n: Int, _ t: Int) -> [Float] {
  (0..<n).map { i in
    if k == 0 && t == 1 && (256..<512).contains(i) { return 0 }
    let h = (i * 7919 + t * 104729 + k * 15485863) % 2000003
    let u = h % 2001 - 1000
    var divisor = 1000
    for _ in 0..<((h / 2001) % 5) { divisor *= 10 }
    return Float(Double(u) / Double(divisor))
  }
}

func adam8bitInitial(_ k: Int, _ n: Int) -> [Float] {
  (0..<n).map { i in Float(Double((i * 31 + k * 17) % 1999 - 999) / 1000) }
}

/// The optimizer of a fixture case over fresh parameters.
func makeAdam8bit(_ c: Adam8bitFixture.Case, implementation: OptimizerImplementation) throws
  -> ([Tensor], Adam8bit)
{
  let params = c.shapes.enumerated().map { k, shape in
    Tensor(adam8bitInitial(k, shape.reduce(1, *)), shape: shape, requiresGrad: true)
  }
  let betas = c.kwargs["betas"]?.doubles.map { ($0[0], $0[1]) } ?? (0.9, 0.999)
  let lr = c.kwargs["lr"]?.number ?? 1e-3
  let eps = c.kwargs["eps"]?.number ?? 1e-8
  let minSize = Int(c.kwargs["min_8bit_size"]?.number ?? 4096)
  let optimizer: Adam8bit
  if c.optimizer == "AdamW8bit" {
    optimizer = try AdamW8bit(
      params, lr: lr, betas: betas, eps: eps, weightDecay: c.kwargs["weight_decay"]?.number ?? 1e-2,
      minEightBitSize: minSize, implementation: implementation)
  } else {
    optimizer = try Adam8bit(
      params, lr: lr, betas: betas, eps: eps, weightDecay: c.kwargs["weight_decay"]?.number ?? 0,
      minEightBitSize: minSize, implementation: implementation)
  }
  return (params, optimizer)
}

func runAdam8bitStep(_ params: [Tensor], _ optimizer: Optimizer, step t: Int) throws {
  for (k, p) in params.enumerated() {
    p.grad = Tensor(adam8bitGrad(k, p.count, t), shape: p.shape)
  }
  try optimizer.step()
}

@Suite("Adam8bit against bitsandbytes")
struct Adam8bitTests {
  static let fixture = Adam8bitFixture.shared
  static let exactCases = fixture.cases.filter { $0.sqrt == "exact" }
  static let torchCases = fixture.cases.filter { $0.sqrt == "torch" }
  static let implementations: [OptimizerImplementation] = [.fused, .reference]

  @Test func mapsAreBitsandbytesDynamicMaps() {
    #expect(DynamicMap.signed.map(\.bitPattern) == float32s(Self.fixture.qmap_signed).map(\.bitPattern))
    #expect(DynamicMap.unsigned.map(\.bitPattern) == float32s(Self.fixture.qmap_unsigned).map(\.bitPattern))
  }

  /// With torch's `sqrt` replaced by a correctly rounded one, bitsandbytes' step is plain
  /// float32 arithmetic: every parameter, code and absmax matches at every step.
  @Test(arguments: exactCases, implementations)
  func matchesBitForBit(_ c: Adam8bitFixture.Case, implementation: OptimizerImplementation) throws {
    let (params, optimizer) = try makeAdam8bit(c, implementation: implementation)
    for (index, t) in c.recorded_steps.enumerated() {
      try runAdam8bitStep(params, optimizer, step: t)
      let record = c.steps[index]
      for (k, p) in params.enumerated() {
        let expected = float32s(record.params[k])
        let got = p.asArray(Float.self)
        let differing = differences(got.map(\.bitPattern), expected.map(\.bitPattern))
        #expect(differing == 0, "step \(t), parameter \(k): \(differing) of \(got.count) elements differ")
        let state = optimizer.state(for: p)
        let want = record.state[k]
        #expect(Set(state.keys) == Set(c.state_keys[k]), "step \(t), parameter \(k): \(state.keys.sorted())")
        #expect(state["step"]?.item() == Double(want.step))
        if want.quantized {
          #expect(state["state1"]?.dtype == .uint8 && state["absmax1"]?.dtype == .float32)
          let codes = [("state1", want.state1), ("state2", want.state2)]
          for (key, expected) in codes {
            let n = differences(state[key]?.asArray(UInt8.self) ?? [], bytes(expected))
            #expect(n == 0, "step \(t), parameter \(k): \(n) codes of \(key) differ")
          }
          for (key, expected) in [("absmax1", want.absmax1!), ("absmax2", want.absmax2!)] {
            let n = differences(
              (state[key]?.asArray(Float.self) ?? []).map(\.bitPattern), float32s(expected).map(\.bitPattern))
            #expect(n == 0, "step \(t), parameter \(k): \(n) blocks' \(key) differ")
          }
        } else {
          #expect(state["state1"]?.dtype == .float32)
          for (key, expected) in [("state1", want.state1), ("state2", want.state2)] {
            let n = differences(
              (state[key]?.asArray(Float.self) ?? []).map(\.bitPattern), float32s(expected).map(\.bitPattern))
            #expect(n == 0, "step \(t), parameter \(k): \(n) elements of \(key) differ")
          }
        }
      }
    }
  }

  /// bitsandbytes as it runs (torch's own `sqrt`, one ulp off for some inputs on some
  /// CPUs): parameters within 16 float32 ulps of 1 (they are of order 1), codes and
  /// absmax as recorded in at least 99.9% of places.
  @Test(arguments: torchCases)
  func agreesWithBitsandbytesAsItRuns(_ c: Adam8bitFixture.Case) throws {
    let (params, optimizer) = try makeAdam8bit(c, implementation: .fused)
    for t in 1...c.recorded_steps.last! { try runAdam8bitStep(params, optimizer, step: t) }
    let record = c.steps.last!
    for (k, p) in params.enumerated() {
      let worst = zip(p.asArray(Float.self), float32s(record.params[k])).map { abs($0 - $1) }.max()!
      #expect(worst <= 16 * Float.ulpOfOne, "parameter \(k): \(worst)")
      let want = record.state[k]
      guard want.quantized else { continue }
      let state = optimizer.state(for: p)
      for (key, expected) in [("state1", bytes(want.state1)), ("state2", bytes(want.state2))] {
        let got = state[key]?.asArray(UInt8.self) ?? []
        let same = zip(got, expected).filter { $0 == $1 }.count
        #expect(
          Double(same) >= 0.999 * Double(expected.count),
          "parameter \(k) \(key): \(same) of \(expected.count)")
      }
    }
  }

  @Test func smallParametersStay32BitAndLargeOnesAre8Bit() throws {
    let small = Tensor.zeros([4095], requiresGrad: true)
    let large = Tensor.zeros([64, 64], requiresGrad: true)
    let optimizer = try Adam8bit([small, large])
    small.grad = Tensor.ones([4095])
    large.grad = Tensor.ones([64, 64])
    try optimizer.step()
    #expect(optimizer.state(for: small)["state1"]?.dtype == .float32)
    #expect(optimizer.state(for: small)["absmax1"] == nil)
    #expect(optimizer.state(for: large)["state1"]?.dtype == .uint8)
    #expect(optimizer.state(for: large)["state1"]?.shape == [64, 64])
    #expect(optimizer.state(for: large)["absmax2"]?.shape == [16])
    #expect(optimizer.state(for: large)["qmap2"]?.shape == [256])
  }

  @Test func defaultsAreBitsandbytes() throws {
    let p = Tensor.zeros([2], requiresGrad: true)
    let adam = try Adam8bit([p])
    #expect(adam.defaults["lr"] == .number(1e-3))
    #expect(adam.defaults["betas"] == .numbers([0.9, 0.999]))
    #expect(adam.defaults["eps"] == .number(1e-8))
    #expect(adam.defaults["weight_decay"] == .number(0))
    #expect(adam.defaults["min_8bit_size"] == .number(4096))
    #expect(try AdamW8bit([p]).defaults["weight_decay"] == .number(1e-2))
  }

  @Test func invalidValuesThrowBitsandbytesMessages() {
    let p = Tensor.zeros([2], requiresGrad: true)
    func message(_ make: () throws -> Optimizer) -> String? {
      do {
        _ = try make()
        return nil
      } catch let error as OptimizerError { return error.message } catch { return "\(error)" }
    }
    #expect(message { try Adam8bit([p], lr: -1) } == "Invalid learning rate: -1.0")
    #expect(message { try Adam8bit([p], eps: -1) } == "Invalid epsilon value: -1.0")
    #expect(message { try Adam8bit([p], betas: (1, 0.999)) } == "Invalid beta parameter at index 0: 1.0")
    #expect(message { try Adam8bit([p], betas: (0.9, -0.1)) } == "Invalid beta parameter at index 1: -0.1")
    #expect(message { try AdamW8bit([p], weightDecay: -0.5) } == "Invalid weight_decay value: -0.5")
    #expect(message { try Adam8bit([p], minEightBitSize: -1) } == "Invalid min_8bit_size value: -1.0")
    let double = Tensor.zeros([2], dtype: .float64, requiresGrad: true)
    #expect(
      message { try Adam8bit([p, double]) }
        == "Adam8bit keeps float32 parameters only; parameter 1 of the group is torch.float64")
  }
}

/// The fused kernel splits a group across threads on whole blocks: a group of 1.6M elements
/// (8-bit tensors with short last blocks, and a 32-bit one between them) is cut into one
/// chunk per thread of ``Threads/count`` (left as it is, since other suites run meanwhile;
/// with 2 or more, a boundary falls inside the first tensor) and gives the same bits as
/// the single-threaded reference.
@Suite struct Adam8bitThreadTests {
  @Test func threadsSplitOnWholeBlocks() throws {
    let shapes = [[1000, 1001], [3000], [600_003]]
    func run(_ implementation: OptimizerImplementation) throws -> [[UInt32]] {
      let params = shapes.enumerated().map { k, shape in
        Tensor(adam8bitInitial(k, shape.reduce(1, *)), shape: shape, requiresGrad: true)
      }
      let optimizer = try Adam8bit(params, lr: 1e-2, weightDecay: 0.01, implementation: implementation)
      for t in 1...2 { try runAdam8bitStep(params, optimizer, step: t) }
      return params.flatMap { p in
        let state = optimizer.state(for: p)
        return [p.asArray(Float.self).map(\.bitPattern)]
          + ["state1", "state2", "absmax1", "absmax2"].compactMap { key in
            state[key].map { t in
              t.dtype == .uint8
                ? t.asArray(UInt8.self).map(UInt32.init) : t.asArray(Float.self).map(\.bitPattern)
            }
          }
      }
    }
    let fused = try run(.fused)
    let reference = try run(.reference)
    #expect(fused.count == reference.count)
    for (i, (a, b)) in zip(fused, reference).enumerated() {
      #expect(differences(a, b) == 0, "array \(i)")
    }
  }
}
