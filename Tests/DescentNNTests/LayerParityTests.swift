import Descent
import DescentNN
import Testing

/// nn_layers.json: layers with fixed parameters, their outputs and gradients (of
/// `sum(output * R)` for a fixed `R`), BatchNorm1d over training and evaluation steps, and
/// the gains, fans and bounds of PyTorch's initialisers.
struct LayerFixture: Decodable {
  struct Result: Decodable {
    let output: FixtureTensor
    let upstream: FixtureTensor
    let inputGrad: FixtureTensor?
    let paramGrads: [String: FixtureTensor]
    let params: [String: FixtureTensor]
    let buffers: [String: FixtureTensor]
    enum CodingKeys: String, CodingKey {
      case output, upstream, params, buffers
      case inputGrad = "input_grad"
      case paramGrads = "param_grads"
    }
  }
  struct Layer: Decodable {
    let name: String
    let input: FixtureTensor
    let dtypes: [String: Result]
  }
  struct BatchNormStep: Decodable {
    let training: Bool
    let output: FixtureTensor
    let upstream: FixtureTensor
    let inputGrad: FixtureTensor
    let weightGrad: FixtureTensor
    let biasGrad: FixtureTensor
    let runningMean: FixtureTensor
    let runningVar: FixtureTensor
    let numBatchesTracked: Int
    enum CodingKeys: String, CodingKey {
      case training, output, upstream
      case inputGrad = "input_grad"
      case weightGrad = "weight_grad"
      case biasGrad = "bias_grad"
      case runningMean = "running_mean"
      case runningVar = "running_var"
      case numBatchesTracked = "num_batches_tracked"
    }
  }
  struct BatchNormCase: Decodable {
    let name: String
    let momentum: Double?
    let weight: FixtureTensor
    let bias: FixtureTensor
    let batches: [FixtureTensor]
    let dtypes: [String: [BatchNormStep]]
  }
  let layers: [Layer]
  let batchNorm: [BatchNormCase]
  let gains: [String: Double]
  let fans: [String: [Int]]
  let bounds: [String: Double]
  enum CodingKeys: String, CodingKey {
    case layers, gains, fans, bounds
    case batchNorm = "batch_norm"
  }

  static let shared = Fixtures.load("nn_layers", as: LayerFixture.self)
}

/// The Descent module for each fixture layer.
func makeLayer(_ name: String, dtype: DType) throws -> Module {
  switch name {
  case "layer_norm": return LayerNorm(4, dtype: dtype)
  case "layer_norm_2d": return LayerNorm([2, 3], dtype: dtype)
  case "layer_norm_no_affine": return LayerNorm(4, elementwiseAffine: false, dtype: dtype)
  case "embedding_padding": return Embedding(5, 3, paddingIdx: 1, dtype: dtype)
  case "relu": return ReLU()
  case "leaky_relu": return LeakyReLU(negativeSlope: 0.2)
  case "sigmoid": return Sigmoid()
  case "tanh": return Tanh()
  case "gelu": return GELU()
  case "gelu_tanh": return GELU(approximate: .tanh)
  case "softmax_dim1": return Softmax(dim: 1)
  case "softmax_dim0": return Softmax(dim: 0)
  case "log_softmax_dim1": return LogSoftmax(dim: 1)
  case "log_softmax_dim0": return LogSoftmax(dim: 0)
  case "flatten": return Flatten()
  case "dropout_eval": return try Dropout(p: 0.3).eval()
  default:
    Issue.record("no Descent layer for \(name)")
    return Identity()
  }
}

extension FixtureCase {
  static let layers = each { _ in LayerFixture.shared.layers.map(\.name) }
}

/// Layer results are held norm-wise (``gradientsNormwise``): besides the gradients,
/// normalisation outputs and running means are differences `x - mean` and GELU's
/// `1 + erf(x / √2)` cancels for negative `x`, so single float32 elements near zero carry
/// the rounding of their larger operands (measured: up to 15 × 1e-6 elementwise).
@Suite("Layers against PyTorch 2.13")
struct LayerParityTests {
  let fixture = LayerFixture.shared

  @Test("output and gradients", arguments: FixtureCase.layers)
  func layer(_ key: FixtureCase) throws {
    let layer = fixture.layers[key.index]
    let expected = try #require(layer.dtypes[key.dtype.rawValue])
    let rtol = parityTolerance(key.dtype)
    let module = try makeLayer(layer.name, dtype: key.dtype)
    #expect(Set(module.namedParameters().map(\.name)) == Set(expected.params.keys))
    withNoGrad {
      for (name, p) in module.namedParameters() {
        p.copyInPlace(from: expected.params[name]!.tensor(key.dtype))
      }
    }
    let isIndex = layer.input.dtype == "int64"
    let x = layer.input.tensor(key.dtype, requiresGrad: !isIndex)
    let y = module(x)
    expectClose(y, expected.output, rtol: rtol, "\(key) output", normwise: true)
    (y * expected.upstream.tensor(key.dtype)).sum().backward()
    if let inputGrad = expected.inputGrad {
      expectClose(
        try #require(x.grad), inputGrad, rtol: rtol, "\(key) input grad", normwise: gradientsNormwise)
    }
    for (name, p) in module.namedParameters() {
      expectClose(
        try #require(p.grad), try #require(expected.paramGrads[name]), rtol: rtol, "\(key) \(name) grad",
        normwise: gradientsNormwise)
    }
  }

  @Test(
    "BatchNorm1d: training steps update running statistics, evaluation uses them",
    arguments: [DType.float32, .float64])
  func batchNorm(_ dtype: DType) throws {
    let rtol = parityTolerance(dtype)
    for c in fixture.batchNorm {
      let bn = BatchNorm1d(3, momentum: c.momentum, dtype: dtype)
      withNoGrad {
        bn.weight!.copyInPlace(from: c.weight.tensor(dtype))
        bn.bias!.copyInPlace(from: c.bias.tensor(dtype))
      }
      #expect(bn.namedBuffers().map(\.name) == ["running_mean", "running_var", "num_batches_tracked"])
      let steps = try #require(c.dtypes[dtype.rawValue])
      for (i, step) in steps.enumerated() {
        if !step.training { bn.eval() }
        #expect(bn.isTraining == step.training)
        bn.zeroGrad()
        let x = c.batches[i].tensor(dtype, requiresGrad: true)
        let y = bn(x)
        let label = "\(c.name) step \(i) [\(dtype)]"
        expectClose(y, step.output, rtol: rtol, "\(label) output", normwise: true)
        (y * step.upstream.tensor(dtype)).sum().backward()
        expectClose(
          try #require(x.grad), step.inputGrad, rtol: rtol, "\(label) input grad", normwise: gradientsNormwise
        )
        expectClose(
          try #require(bn.weight!.grad), step.weightGrad, rtol: rtol, "\(label) weight grad",
          normwise: gradientsNormwise)
        expectClose(
          try #require(bn.bias!.grad), step.biasGrad, rtol: rtol, "\(label) bias grad",
          normwise: gradientsNormwise)
        expectClose(bn.runningMean!, step.runningMean, rtol: rtol, "\(label) running_mean", normwise: true)
        expectClose(bn.runningVar!, step.runningVar, rtol: rtol, "\(label) running_var", normwise: true)
        #expect(bn.numBatchesTracked!.item(Int.self) == step.numBatchesTracked, "\(label)")
      }
    }
  }
}

@Suite("Init against PyTorch 2.13's formulas")
struct InitTests {
  let fixture = LayerFixture.shared

  @Test("calculateGain matches calculate_gain for every nonlinearity")
  func gains() throws {
    for nl in Init.Nonlinearity.allCases {
      let expected = try #require(fixture.gains[nl.rawValue], "\(nl)")
      #expect(Swift.abs(Init.calculateGain(nl) - expected) <= 1e-15 * expected, "\(nl)")
    }
    #expect(Swift.abs(Init.calculateGain(.leakyRelu, param: 0.2) - fixture.gains["leaky_relu_0.2"]!) < 1e-15)
    #expect(
      Swift.abs(Init.calculateGain(.leakyRelu, param: 5.0.squareRoot()) - fixture.gains["leaky_relu_sqrt5"]!)
        < 1e-15)
  }

  @Test("fans match _calculate_fan_in_and_fan_out")
  func fans() {
    for (key, expected) in fixture.fans {
      let shape = key.split(separator: "x").map { Int($0)! }
      let f = Init.fans(Tensor.zeros(shape))
      #expect([f.fanIn, f.fanOut] == expected, "\(key)")
    }
  }

  /// Checks that `values` fill `[-bound, bound]` (no value outside, extremes within 1% of
  /// the bound) with the uniform's standard deviation `bound / √3` within 2%. 60,000 draws
  /// from a seeded generator: the statistics are deterministic, the margins ~10σ.
  func expectUniform(_ t: Tensor, bound: Double, _ what: String) {
    let v = t.asArray(Double.self)
    #expect(v.allSatisfy { Swift.abs($0) <= bound }, "\(what): value outside ±\(bound)")
    #expect(v.max()! > 0.99 * bound && v.min()! < -0.99 * bound, "\(what): range")
    expectStd(v, bound / 3.0.squareRoot(), what)
  }

  func expectStd(_ v: [Double], _ std: Double, _ what: String) {
    let mean = v.reduce(0, +) / Double(v.count)
    let s = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
    #expect(Swift.abs(mean) < 0.02 * std, "\(what): mean \(mean)")
    #expect(Swift.abs(s / std - 1) < 0.02, "\(what): std \(s), expected \(std)")
  }

  @Test("Linear's default init is kaiming_uniform(a: √5) and the matching bias bound")
  func linearInit() {
    let layer = Linear(300, 200, generator: Generator(seed: 1))
    expectUniform(layer.weight, bound: fixture.bounds["linear_weight_bound"]!, "Linear weight")
    let b = layer.bias!.asArray(Double.self)
    #expect(b.allSatisfy { Swift.abs($0) <= fixture.bounds["linear_bias_bound"]! })
    #expect(layer.weight.requiresGrad && layer.bias!.requiresGrad && layer.weight.isLeaf)
  }

  @Test("kaiming and xavier initialisers draw from PyTorch's distributions")
  func kaimingXavier() {
    let g = Generator(seed: 2)
    let w = Tensor.zeros([200, 300], dtype: .float64)
    Init.kaimingUniform(w, mode: .fanOut, nonlinearity: .relu, generator: g)
    expectUniform(w, bound: fixture.bounds["kaiming_uniform_relu_fan_out_bound"]!, "kaiming_uniform")
    Init.xavierUniform(w, gain: 2, generator: g)
    expectUniform(w, bound: fixture.bounds["xavier_uniform_gain2_bound"]!, "xavier_uniform")
    Init.kaimingNormal(w, a: 0.2, generator: g)
    expectStd(w.asArray(Double.self), fixture.bounds["kaiming_normal_leaky0.2_fan_in_std"]!, "kaiming_normal")
    Init.xavierNormal(w, gain: 0.5, generator: g)
    expectStd(w.asArray(Double.self), fixture.bounds["xavier_normal_gain0.5_std"]!, "xavier_normal")
    Init.uniform(w, a: -3, b: 1, generator: g)
    let u = w.asArray(Double.self)
    #expect(u.allSatisfy { $0 >= -3 && $0 < 1 })
    Init.normal(w, mean: 5, std: 0.5, generator: g)
    expectStd(w.asArray(Double.self).map { $0 - 5 }, 0.5, "normal")
  }

  @Test("a seeded generator reproduces an initialisation")
  func seeded() {
    let a = Linear(5, 4, generator: Generator(seed: 42))
    let b = Linear(5, 4, generator: Generator(seed: 42))
    let c = Linear(5, 4, generator: Generator(seed: 43))
    #expect(a.weight.asArray(Double.self) == b.weight.asArray(Double.self))
    #expect(a.bias!.asArray(Double.self) == b.bias!.asArray(Double.self))
    #expect(a.weight.asArray(Double.self) != c.weight.asArray(Double.self))
  }

  @Test("constant, zeros and ones fill leaves that require grad", arguments: [DType.float32, .float64])
  func constants(_ dtype: DType) {
    let w = Tensor.zeros([3, 2], dtype: dtype, requiresGrad: true)
    Init.constant(w, 2.5)
    #expect(w.asArray(Double.self) == Array(repeating: 2.5, count: 6))
    Init.ones(w)
    #expect(w.asArray(Double.self) == Array(repeating: 1, count: 6))
    Init.zeros(w)
    #expect(w.asArray(Double.self) == Array(repeating: 0, count: 6))
    #expect(w.isLeaf && w.requiresGrad)
  }

  @Test(
    "orthogonal gives orthonormal rows or columns, scaled by gain",
    arguments: [[5, 8], [8, 5], [4, 3, 2], [6, 6]])
  func orthogonal(_ shape: [Int]) {
    let w = Tensor.zeros(shape, dtype: .float64)
    Init.orthogonal(w, gain: 1.5, generator: Generator(seed: 3))
    let m = w.reshape([shape[0], -1])
    let gram = m.shape[0] <= m.shape[1] ? m.matmul(m.t()) : m.t().matmul(m)
    let n = gram.shape[0]
    let expected = Tensor.eye(n, dtype: .float64) * (1.5 * 1.5)
    let diff = (gram - expected).abs().max().item()
    #expect(diff < 1e-12, "\(shape): |WWᵀ - gain² I| = \(diff)")
  }
}
