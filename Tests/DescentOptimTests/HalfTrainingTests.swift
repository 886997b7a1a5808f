import DescentNN
import DescentTestSupport
import Foundation
import Testing

@testable import Descent
@testable import DescentOptim

/// `Fixtures/half_params.json`'s `training` (scripts/gen_half_optim_fixtures.py): an MLP
/// trained end to end in bfloat16 or float16 by PyTorch 2.13 (forward, loss, backward and
/// `Adam(fused=True)`), as bit patterns after every step.
struct HalfTrainingFixture: Decodable, Sendable {
  struct Step: Decodable, Sendable {
    let loss: UInt16
    let grads: [[UInt16]]
    let params: [[UInt16]]
  }
  struct Run: Decodable, Sendable, CustomTestStringConvertible {
    let dtype: String
    let arch: String
    let loss: String
    let x: [UInt16]
    let target: [Int]
    let initial: [[UInt16]]
    let steps: [Step]
    var testDescription: String { "\(arch), \(dtype), \(loss)" }
  }
  let training: [Run]

  struct Losses: Decodable, Sendable, CustomTestStringConvertible {
    struct Case: Decodable, Sendable {
      let name: String
      let loss: [UInt16]
      let grad: [UInt16]
    }
    let dtype: String
    let logits: [UInt16]
    let target: [Int]
    let weight: [UInt16]
    let cases: [Case]
    var testDescription: String { dtype }
  }
  let losses: [Losses]

  struct Layers: Decodable, Sendable, CustomTestStringConvertible {
    let dtype: String
    let x: [UInt16]
    let up: [UInt16]
    let layernorm_weight: [UInt16]
    let layernorm_bias: [UInt16]
    let batchnorm_weight: [UInt16]
    let batchnorm_bias: [UInt16]
    let embedding_weight: [UInt16]
    let embedding_indices: [Int]
    let embedding_up: [UInt16]
    let z: [UInt16]
    let t: [UInt16]
    let r: [UInt16]
    let outputs: [String: [UInt16]]
    var testDescription: String { dtype }
  }
  let layers: [Layers]

  static let shared = FixtureLoader(bundle: .module, script: "scripts/gen_half_optim_fixtures.py")
    .load("half_params", as: HalfTrainingFixture.self)
}

/// The spacing of `dtype`'s values at `x` (subnormals included).
private func halfULP(_ x: Double, _ dtype: DType) -> Double {
  let (fractionBits, minExponent) = dtype == .bfloat16 ? (7, -126) : (10, -14)
  let exponent = x == 0 ? minExponent : Swift.max(Int(x.exponent), minExponent)
  return Foundation.pow(2, Double(exponent - fractionBits))
}

@Suite("an MLP trained in bfloat16 and float16 against PyTorch")
struct HalfTrainingTests {
  /// Forward (addmm, ReLU), the loss, backward and fused Adam, all in the half dtype: the
  /// loss and every parameter equal PyTorch's bit for bit at every step, and so do the
  /// gradients, except that a product's float32 accumulation order (Descent's OpenBLAS
  /// against PyTorch's kernel) may tip a gradient's rounding to the other neighbour: at most
  /// one half ulp, in at most 1 % of the gradient values.
  @Test(arguments: HalfTrainingFixture.shared.training)
  func trainsAsPyTorch(_ run: HalfTrainingFixture.Run) throws {
    let dtype = DType(rawValue: run.dtype)!
    let model =
      run.arch == "mlp"
      ? Sequential(Linear(8, 16, dtype: dtype), ReLU(), Linear(16, 4, dtype: dtype))
      : Sequential(
        Linear(8, 16, dtype: dtype), Tanh(), Linear(16, 16, dtype: dtype), Sigmoid(),
        Linear(16, 16, dtype: dtype), LeakyReLU(), Linear(16, 4, dtype: dtype))
    let params = model.parameters()
    withNoGrad {
      for (p, bits) in zip(params, run.initial) {
        p.copyInPlace(from: halfTensor(bits, dtype, shape: p.shape))
      }
    }
    let x = halfTensor(run.x, dtype, shape: [32, 8])
    let criterion: Loss
    let target: Tensor
    if run.loss == "cross_entropy" {
      criterion = CrossEntropyLoss()
      target = Tensor(run.target.map(Double.init), shape: [32], dtype: .int64)
    } else {
      switch run.loss {
      case "bce_logits": criterion = BCEWithLogitsLoss()
      case "smooth_l1": criterion = try SmoothL1Loss(beta: 0.5)
      default: criterion = MSELoss()
      }
      target = halfTensor(run.target.map { UInt16($0) }, dtype, shape: [32, 4])
    }
    let optimizer = try Adam(params, lr: 1e-2)
    var gradientValues = 0
    var differingGradients = 0
    for (s, step) in run.steps.enumerated() {
      optimizer.zeroGrad()
      let loss = criterion(model(x), target)
      #expect(loss.dtype == dtype)
      #expect(bits16(loss) == [step.loss], "step \(s): loss \(loss.item())")
      loss.backward()
      for (i, p) in params.enumerated() {
        let torch = halfTensor(step.grads[i], dtype, shape: p.shape).asArray(Double.self)
        for (k, (a, b)) in zip(p.grad!.asArray(Double.self), torch).enumerated() where a != b {
          differingGradients += 1
          let ulp = Swift.max(halfULP(a, dtype), halfULP(b, dtype))
          #expect(Swift.abs(a - b) <= ulp, "step \(s): gradient \(i)[\(k)] \(a), PyTorch \(b)")
        }
        gradientValues += p.count
      }
      try optimizer.step()
      for (i, p) in params.enumerated() {
        let wrong = zip(bits16(p), step.params[i]).filter { $0 != $1 }.count
        #expect(wrong == 0, "step \(s): \(wrong) of \(p.count) values of parameter \(i) differ")
      }
    }
    print(
      "\(run.testDescription): \(differingGradients) of \(gradientValues) gradient values differ from PyTorch"
    )
    #expect(differingGradients * 100 <= gradientValues)
  }

  /// `cross_entropy` on [40, 25] half logits: the loss (nll_loss's cascade of half partial
  /// sums) and the logits' gradient (log_softmax's half backward) equal PyTorch's bit for
  /// bit for every reduction, with class weights and with an ignored class.
  @Test(arguments: HalfTrainingFixture.shared.losses)
  func crossEntropyAsPyTorch(_ fixture: HalfTrainingFixture.Losses) throws {
    let dtype = DType(rawValue: fixture.dtype)!
    let logits = halfTensor(fixture.logits, dtype, shape: [40, 25])
    let target = Tensor(fixture.target.map(Double.init), shape: [40], dtype: .int64)
    let weight = halfTensor(fixture.weight, dtype, shape: [25])
    for c in fixture.cases {
      let x = logits.detach().requiresGrad(true)
      let loss: Tensor
      switch c.name {
      case "mean": loss = CrossEntropyLoss()(x, target)
      case "sum": loss = CrossEntropyLoss(reduction: .sum)(x, target)
      case "weighted_mean": loss = CrossEntropyLoss(weight: weight)(x, target)
      case "weighted_sum": loss = CrossEntropyLoss(weight: weight, reduction: .sum)(x, target)
      case "ignore_mean": loss = CrossEntropyLoss(ignoreIndex: 7)(x, target)
      default: loss = CrossEntropyLoss(reduction: .none)(x, target)
      }
      #expect(loss.dtype == dtype)
      #expect(bits16(loss) == c.loss, "\(c.name): loss \(loss.asArray(Double.self).prefix(4))")
      (c.name == "none" ? loss.sum() : loss).backward()
      let wrong = zip(bits16(x.grad!), c.grad).filter { $0 != $1 }.count
      #expect(wrong == 0, "\(c.name): \(wrong) of 1000 gradient values differ")
    }
  }

  /// Layers and losses one call at a time, forward and backward. Exact: tanh and sigmoid
  /// (their backward computes in float32 and rounds once, as PyTorch's fused kernels do; its
  /// float16 sigmoid_backward rounds each op), an embedding table's gradient (repeated rows
  /// added in turn in the half type), LayerNorm and BatchNorm1d in training (statistics saved
  /// in the half type where PyTorch saves them; running averages too), the losses with their
  /// gradients. Within one half ulp on at most 1 % of the values: GELU's gradient, where
  /// PyTorch's float32 erf and exp (SLEEF's) can be a float32 ulp away from Descent's and tip
  /// a rounding. Known gap: GELU's output where 1 + erf cancels.
  @Test(arguments: HalfTrainingFixture.shared.layers)
  func layersAsPyTorch(_ f: HalfTrainingFixture.Layers) throws {
    let dtype = DType(rawValue: f.dtype)!
    let x = halfTensor(f.x, dtype, shape: [32, 16])
    let up = halfTensor(f.up, dtype, shape: [32, 16])
    let layerNorm = LayerNorm(16, dtype: dtype)
    let batchNorm = BatchNorm1d(16, dtype: dtype)
    withNoGrad {
      layerNorm.weight!.copyInPlace(from: halfTensor(f.layernorm_weight, dtype, shape: [16]))
      layerNorm.bias!.copyInPlace(from: halfTensor(f.layernorm_bias, dtype, shape: [16]))
      batchNorm.weight!.copyInPlace(from: halfTensor(f.batchnorm_weight, dtype, shape: [16]))
      batchNorm.bias!.copyInPlace(from: halfTensor(f.batchnorm_bias, dtype, shape: [16]))
    }
    var results: [String: Tensor] = [:]
    let modules: [(String, Module)] = [
      ("layernorm", layerNorm), ("batchnorm", batchNorm), ("gelu", GELU()), ("tanh", Tanh()),
      ("sigmoid", Sigmoid()),
    ]
    for (name, module) in modules {
      let xi = x.detach().requiresGrad(true)
      let y = module(xi)
      y.backward(gradient: up)
      results[name + "_y"] = y
      results[name + "_dx"] = xi.grad!
    }
    results["layernorm_dweight"] = layerNorm.weight!.grad!
    results["layernorm_dbias"] = layerNorm.bias!.grad!
    results["batchnorm_dweight"] = batchNorm.weight!.grad!
    results["batchnorm_dbias"] = batchNorm.bias!.grad!
    results["batchnorm_running_mean"] = batchNorm.runningMean!
    results["batchnorm_running_var"] = batchNorm.runningVar!
    // An embedding table's gradient: PyTorch adds repeated rows' gradients in turn, each
    // addition rounded to the half type.
    let table = halfTensor(f.embedding_weight, dtype, shape: [10, 8]).requiresGrad(true)
    let lookups = Tensor(f.embedding_indices.map(Double.init), shape: [64], dtype: .int64)
    Tensor.embedding(lookups, weight: table).backward(
      gradient: halfTensor(f.embedding_up, dtype, shape: [64, 8]))
    results["embedding_dweight"] = table.grad!
    let z = halfTensor(f.z, dtype, shape: [32, 4])
    let t = halfTensor(f.t, dtype, shape: [32, 4])
    let r = halfTensor(f.r, dtype, shape: [32, 4])
    let losses: [(String, Loss)] = [
      ("bce_logits", BCEWithLogitsLoss()), ("smooth_l1", try SmoothL1Loss(beta: 0.5)), ("mse", MSELoss()),
      ("l1", L1Loss()),
    ]
    for (name, loss) in losses {
      let zi = z.detach().requiresGrad(true)
      let value = loss(zi, name == "bce_logits" ? t : r)
      value.backward()
      results[name + "_loss"] = value.reshape([1])
      results[name + "_dz"] = zi.grad!
    }
    let knownGaps = [
      "gelu_y":
        "PyTorch's vector loop takes erf from an Abramowitz–Stegun polynomial with SLEEF's exp, Descent from libm"
    ]
    let floatUlpApart: Set = ["gelu_dx"]
    for (name, want) in f.outputs.sorted(by: { $0.key < $1.key }) {
      let got = try #require(results[name], "\(name) not computed")
      #expect(got.dtype == dtype, "\(name)")
      let wrong = zip(bits16(got), want).filter { $0 != $1 }.count
      print("\(f.dtype) \(name): \(wrong) of \(want.count) differ from PyTorch")
      if floatUlpApart.contains(name) {
        let torch = halfTensor(want, dtype, shape: got.shape).asArray(Double.self)
        for (a, b) in zip(got.asArray(Double.self), torch) where a != b {
          #expect(
            Swift.abs(a - b) <= Swift.max(halfULP(a, dtype), halfULP(b, dtype)), "\(name): \(a) vs \(b)")
        }
        #expect(wrong * 100 <= want.count, "\(name): \(wrong) of \(want.count) values differ")
      } else if let reason = knownGaps[name] {
        withKnownIssue(Comment(rawValue: reason), isIntermittent: true) {
          #expect(wrong == 0, "\(name)")
        }
      } else {
        #expect(wrong == 0, "\(name): \(wrong) of \(want.count) values differ from PyTorch")
      }
    }
  }
}
