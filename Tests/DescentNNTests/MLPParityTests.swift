import Descent
import DescentNN
import Testing

/// nn_mlp.json: a Linear(4, 8) → ReLU → Linear(8, 3) with fixed weights, every loss under
/// every reduction, and PyTorch 2.13's loss values and parameter gradients.
struct MLPFixture: Decodable {
  struct Options: Decodable {
    let weight: [Double]?
    let posWeight: [Double]?
    let ignoreIndex: Int?
    let labelSmoothing: Double?
    let delta: Double?
    let beta: Double?
    enum CodingKeys: String, CodingKey {
      case weight, delta, beta
      case posWeight = "pos_weight"
      case ignoreIndex = "ignore_index"
      case labelSmoothing = "label_smoothing"
    }
  }
  struct Case: Decodable {
    let name: String
    let head: String
    let kind: String
    let reduction: String
    let options: Options
    let loss: FixtureTensor
    let grads: [String: FixtureTensor]
  }
  struct PerDType: Decodable {
    let output: FixtureTensor
    let cases: [Case]
  }
  struct Targets: Decodable {
    let regression: FixtureTensor
    let binary: FixtureTensor
    let classes: FixtureTensor
    let probabilities: FixtureTensor
  }
  let parameters: [String: FixtureTensor]
  let x: FixtureTensor
  let upstream: FixtureTensor
  let targets: Targets
  let dtypes: [String: PerDType]

  static let shared = Fixtures.load("nn_mlp", as: MLPFixture.self)

  /// The model with the fixture's weights.
  func model(_ dtype: DType) -> Sequential {
    let model = Sequential(Linear(4, 8, dtype: dtype), ReLU(), Linear(8, 3, dtype: dtype))
    withNoGrad {
      for (name, p) in model.namedParameters() { p.copyInPlace(from: parameters[name]!.tensor(dtype)) }
    }
    return model
  }
}

extension FixtureCase {
  /// Each loss configuration, named with its reduction.
  static let mlpCases = each { dtype in
    MLPFixture.shared.dtypes[dtype.rawValue]!.cases.map { "\($0.name) reduction=\($0.reduction)" }
  }
}

/// The loss module the case names, built through the public API.
func makeCriterion(_ c: MLPFixture.Case, dtype: DType) throws -> Loss {
  let reduction = try #require(Reduction(rawValue: c.reduction))
  let o = c.options
  let weight = o.weight.map { Tensor($0, dtype: dtype) }
  switch c.kind {
  case "mse": return MSELoss(reduction: reduction)
  case "l1": return L1Loss(reduction: reduction)
  case "huber":
    return try o.delta.map { try HuberLoss(reduction: reduction, delta: $0) }
      ?? HuberLoss(reduction: reduction)
  case "smooth_l1":
    return try o.beta.map { try SmoothL1Loss(reduction: reduction, beta: $0) }
      ?? SmoothL1Loss(reduction: reduction)
  case "bce": return BCELoss(weight: weight, reduction: reduction)
  case "bce_with_logits":
    return BCEWithLogitsLoss(
      weight: weight, reduction: reduction, posWeight: o.posWeight.map { Tensor($0, dtype: dtype) })
  case "cross_entropy", "cross_entropy_probs":
    if let smoothing = o.labelSmoothing {
      return try CrossEntropyLoss(
        weight: weight, ignoreIndex: o.ignoreIndex ?? -100, reduction: reduction, labelSmoothing: smoothing)
    }
    return CrossEntropyLoss(weight: weight, ignoreIndex: o.ignoreIndex ?? -100, reduction: reduction)
  case "nll": return NLLLoss(weight: weight, ignoreIndex: o.ignoreIndex ?? -100, reduction: reduction)
  default:
    Issue.record("unknown loss kind \(c.kind)")
    return MSELoss()
  }
}

func target(for kind: String, _ fixture: MLPFixture, dtype: DType) -> Tensor {
  switch kind {
  case "mse", "l1", "huber", "smooth_l1": fixture.targets.regression.tensor(dtype)
  case "bce", "bce_with_logits": fixture.targets.binary.tensor(dtype)
  case "cross_entropy_probs": fixture.targets.probabilities.tensor(dtype)
  default: fixture.targets.classes.tensor()
  }
}

@Suite("MLP parity with PyTorch 2.13")
struct MLPParityTests {
  let fixture = MLPFixture.shared

  @Test("every loss × reduction × dtype: value and parameter gradients", arguments: FixtureCase.mlpCases)
  func lossAndGradients(_ key: FixtureCase) throws {
    let dtype = key.dtype
    let c = fixture.dtypes[dtype.rawValue]!.cases[key.index]
    let rtol = parityTolerance(dtype)
    let model = fixture.model(dtype)
    let criterion = try makeCriterion(c, dtype: dtype)
    let x = fixture.x.tensor(dtype)
    let y = target(for: c.kind, fixture, dtype: dtype)

    let pred = model(x)
    let input: Tensor =
      switch c.head {
      case "sigmoid": pred.sigmoid()
      case "log_softmax": pred.logSoftmax(dim: 1)
      default: pred
      }
    let loss = criterion(input, y)
    expectClose(loss, c.loss, rtol: rtol, "\(key) loss")
    if c.reduction == "none" {
      var g = fixture.upstream.tensor(dtype)
      if loss.rank == 1 { g = g.select(dim: 1, index: 0).contiguous() }
      loss.backward(gradient: g)
    } else {
      loss.backward()
    }
    for (name, p) in model.namedParameters() {
      let grad = try #require(p.grad, "\(name) has no gradient")
      expectClose(
        grad, try #require(c.grads[name]), rtol: rtol, "\(key) grad \(name)", normwise: gradientsNormwise)
    }
  }

  @Test("forward output", arguments: [DType.float32, .float64])
  func output(_ dtype: DType) {
    let model = fixture.model(dtype)
    expectClose(
      model(fixture.x.tensor(dtype)), fixture.dtypes[dtype.rawValue]!.output, rtol: parityTolerance(dtype),
      "MLP output")
    #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
  }

  /// The seed's training-loop half, written as in the tutorial:
  /// `pred = model(x); loss = criterion(pred, y); loss.backward()`.
  @Test("the seed's forward/backward half runs as written", arguments: [DType.float32, .float64])
  func seedLoop(_ dtype: DType) throws {
    let model = fixture.model(dtype)
    let criterion = BCEWithLogitsLoss(reduction: .sum)
    let x = fixture.x.tensor(dtype)
    let y = fixture.targets.binary.tensor(dtype)
    let expected = try #require(
      fixture.dtypes[dtype.rawValue]!.cases.first { $0.name == "bce_with_logits" && $0.reduction == "sum" })

    for _ in 0..<2 {
      model.train()
      model.zeroGrad()
      let pred = model(x)
      let loss = criterion(pred, y)
      loss.backward()

      expectClose(loss, expected.loss, rtol: parityTolerance(dtype), "seed loss")
      for (name, p) in model.namedParameters() {
        expectClose(
          try #require(p.grad), expected.grads[name]!, rtol: parityTolerance(dtype), "seed grad \(name)",
          normwise: gradientsNormwise)
      }
    }
  }
}
