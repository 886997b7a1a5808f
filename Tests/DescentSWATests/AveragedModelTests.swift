import Descent
import DescentData
import DescentNN
import DescentOptim
import DescentSWA
import DescentTestSupport
import Testing

// The fixture of scripts/gen_optim_extra_fixtures.py for torch.optim.swa_utils.

struct AveragingRecord: Decodable, Sendable {
  let averaged: [String: [JSON]]
  let n_averaged: Int
}

struct AveragingConfig: Decodable, Sendable {
  let name: String
  let dtype: String
  let use_buffers: Bool
  let avg_fn: [JSON]?
  let multi_avg_fn: [JSON]?
  let states: [[String: [JSON]]]
  let records: [AveragingRecord]
  let state_dict_keys: [String]
  var dType: DType { dtype == "float32" ? .float32 : .float64 }
}

struct UpdateBNCase: Decodable, Sendable {
  let dtype: String
  let x: [Double]
  let y: [Double]
  let batch_size: Int
  let initial: [String: [JSON]]
  let after: [String: [JSON]]
  let training_after: Bool
  let momentum_after: Double
  var dType: DType { dtype == "float32" ? .float32 : .float64 }
}

struct SWAFixture: Decodable, Sendable {
  let averaging: [AveragingConfig]
  let update_bn: [UpdateBNCase]
  let messages: [String: String]
}

enum SWAFixtures {
  static let file = FixtureLoader(bundle: .module, script: "scripts/gen_optim_extra_fixtures.py")
    .load("swa", as: SWAFixture.self)
  static var names: [String] { file.averaging.map(\.name) }
}

/// The generator's `Net`: Linear(4, 3) → BatchNorm1d(3) → ReLU → Linear(3, 2).
final class Net: Module {
  let fc1: Linear
  let bn: BatchNorm1d
  let fc2: Linear

  init(dtype: DType) {
    fc1 = Linear(4, 3, dtype: dtype)
    bn = BatchNorm1d(3, dtype: dtype)
    fc2 = Linear(3, 2, dtype: dtype)
    super.init()
    registerModule("fc1", fc1)
    registerModule("bn", bn)
    registerModule("fc2", fc2)
  }

  override func forward(_ x: Tensor) -> Tensor { fc2(bn(fc1(x)).relu()) }
}

/// Sets every tensor of `model`'s state dict to the recorded values.
func load(_ state: [String: [JSON]], into model: Module) {
  withNoGrad {
    for (name, tensor) in model.stateDict() {
      let recorded = state[name]!.map(\.double)
      tensor.copyInPlace(from: Tensor(recorded, shape: tensor.shape, dtype: .float64).to(dtype: tensor.dtype))
    }
  }
}

/// The first mismatch between a model's state dict and a recorded one: exact for integer
/// buffers; for the others within 4 ulps of the value, with a floor of 16 ulps of 1. The
/// floor is for running means near zero: they are averages of activations of magnitude
/// about 1, summed in another order than PyTorch's, so their rounding is relative to 1.
func stateMismatch(_ model: Module, _ expected: [String: [JSON]]) -> String? {
  for (name, tensor) in model.stateDict() {
    let actual = tensor.asArray(Double.self)
    let reference = expected[name]!.map(\.double)
    if tensor.dtype == .int64 {
      if actual != reference { return "\(name): \(actual) vs PyTorch's \(reference)" }
      continue
    }
    let epsilon = tensor.dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
    for (a, e) in zip(actual, reference)
    where Swift.abs(a - e) > Swift.max(4 * epsilon * Swift.abs(e), 16 * epsilon) {
      return "\(name): \(actual) vs PyTorch's \(reference)"
    }
  }
  return nil
}

func averagedModel(_ config: AveragingConfig, _ source: Net) throws -> AveragedModel<Net> {
  let dtype = config.dType
  if let multi = config.multi_avg_fn {
    let fn =
      multi[0].string == "ema_multi" ? try getEMAMultiAvgFn(decay: multi[1].double) : getSWAMultiAvgFn()
    return try AveragedModel(source, multiAvgFn: fn, useBuffers: config.use_buffers) { Net(dtype: dtype) }
  }
  if let single = config.avg_fn {
    return try AveragedModel(
      source, avgFn: try getEMAAvgFn(decay: single[1].double), useBuffers: config.use_buffers
    ) {
      Net(dtype: dtype)
    }
  }
  return try AveragedModel(source, useBuffers: config.use_buffers) { Net(dtype: dtype) }
}

@Suite("Weight averaging")
struct AveragedModelTests {
  @Test("AveragedModel matches PyTorch's averages after every update", arguments: SWAFixtures.names)
  func matchesPyTorch(_ name: String) throws {
    let config = SWAFixtures.file.averaging.first { $0.name == name }!
    let source = Net(dtype: config.dType)
    let averaged = try averagedModel(config, source)
    for (index, (state, record)) in zip(config.states, config.records).enumerated() {
      load(state, into: source)
      try averaged.updateParameters(source)
      #expect(averaged.nAveraged.item(Int.self) == record.n_averaged)
      let mismatch = stateMismatch(averaged.module, record.averaged)
      #expect(mismatch == nil, "update \(index + 1): \(mismatch ?? "")")
    }
    #expect(averaged.stateDict().map(\.name) == config.state_dict_keys)
  }

  @Test("AveragedTensors averages raw tensors as AveragedModel averages parameters")
  func averagedTensors() throws {
    let config = SWAFixtures.file.averaging.first { $0.name == "ema_multi_float64" }!
    let source = Net(dtype: .float64)
    let model = try averagedModel(config, source)
    let tensors = try AveragedTensors(source.parameters(), multiAvgFn: getEMAMultiAvgFn(decay: 0.9))
    for state in config.states {
      load(state, into: source)
      try model.updateParameters(source)
      try tensors.update(from: source.parameters())
    }
    #expect(tensors.nAveraged == config.states.count)
    #expect(
      tensors.averaged.map { $0.asArray(Double.self) }
        == model.module.parameters().map { $0.asArray(Double.self) })
  }

  @Test("the forward pass runs the averaged copy")
  func forward() throws {
    let source = Net(dtype: .float64)
    let averaged = try AveragedModel(source) { Net(dtype: .float64) }
    source.eval()
    averaged.eval()
    let x = Tensor.randn([5, 4], dtype: .float64, generator: Generator(seed: 1))
    #expect(averaged(x).asArray(Double.self) == source(x).asArray(Double.self))
    #expect(averaged.module !== source)
  }

  @Test("PyTorch's messages: invalid decays, both averaging functions")
  func messages() throws {
    let messages = SWAFixtures.file.messages
    func message(_ body: () throws -> Void) -> String? {
      do {
        try body()
        return nil
      } catch let error as OptimizerError {
        return error.message
      } catch {
        return "\(error)"
      }
    }
    #expect(message { _ = try getEMAMultiAvgFn(decay: 1.5) } == messages["ema_multi"])
    #expect(message { _ = try getEMAAvgFn(decay: -0.1) } == messages["ema"])
    let source = Net(dtype: .float32)
    #expect(
      message {
        _ = try AveragedModel(source, avgFn: getSWAAvgFn(), multiAvgFn: getSWAMultiAvgFn()) {
          Net(dtype: .float32)
        }
      } == "Only one of avg_fn and multi_avg_fn should be provided")
    #expect(
      message { _ = try AveragedModel(source) { Net(dtype: .float64) } }?
        .hasPrefix("AveragedModel's copy has fc1.weight of shape [3, 4] (torch.float64)") == true)
  }

  @Test("updateBN recomputes the BatchNorm statistics as update_bn does", arguments: [0, 1])
  func updateBNMatches(_ index: Int) throws {
    let test = SWAFixtures.file.update_bn[index]
    let model = Net(dtype: test.dType)
    load(test.initial, into: model)
    model.eval()
    let x = Tensor(test.x, shape: [test.x.count / 4, 4], dtype: .float64).to(dtype: test.dType)
    let y = Tensor(test.y, shape: [test.y.count / 2, 2], dtype: .float64).to(dtype: test.dType)
    let loader: DataLoader<[Tensor], [Tensor]> = try DataLoader(
      try TensorDataset(x, y), batchSize: test.batch_size)
    try updateBN(loader, model)
    let mismatch = stateMismatch(model, test.after)
    #expect(mismatch == nil, "\(mismatch ?? "")")
    #expect(model.isTraining == test.training_after)
    #expect(model.bn.momentum == test.momentum_after)
  }

  @Test("updateBN over plain input batches, and over a model without BatchNorm")
  func updateBNInputs() throws {
    let test = SWAFixtures.file.update_bn[1]
    let model = Net(dtype: .float64)
    load(test.initial, into: model)
    let x = Tensor(test.x, shape: [test.x.count / 4, 4], dtype: .float64)
    let batches = stride(from: 0, to: x.shape[0], by: test.batch_size).map {
      x.narrow(dim: 0, start: $0, length: Swift.min(test.batch_size, x.shape[0] - $0))
    }
    updateBN(inputs: batches, model)
    #expect(stateMismatch(model, test.after) == nil)
    let linear = Linear(4, 2, dtype: .float64)
    let before = linear.stateDict().map { $0.tensor.asArray(Double.self) }
    updateBN(inputs: batches, linear)
    #expect(linear.stateDict().map { $0.tensor.asArray(Double.self) } == before)
  }
}
