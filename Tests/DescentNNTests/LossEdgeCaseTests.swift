import Descent
import DescentNN
import Testing

/// nn_losses.json: each loss at its edges (logits of ±100, probabilities of exactly 0 and 1,
/// ignored targets, label smoothing, K-dimensional and unbatched inputs, the switch points
/// of Huber and smooth L1, zero-size batches), with PyTorch 2.13's values and input
/// gradients.
struct LossEdgeFixture: Decodable {
  struct Result: Decodable {
    let loss: FixtureTensor?
    let grads: [FixtureTensor?]?
    let error: String?
    /// PyTorch's `type(loss.grad_fn).__name__`.
    let grad_fn: String?
  }
  struct Case: Decodable {
    let name: String
    let inputs: [FixtureTensor]
    let dtypes: [String: Result]
  }
  let cases: [Case]

  static let shared = Fixtures.load("nn_losses", as: LossEdgeFixture.self)
}

/// The Descent call for each case family; `t` are the fixture inputs in the case's dtype
/// (integer inputs stay int64).
let edgeLosses: [String: ([Tensor], Reduction) -> Tensor] = [
  "bce_with_logits_extreme": { t, r in binaryCrossEntropyWithLogits(t[0], t[1], reduction: r) },
  "bce_with_logits_extreme_pos_weight": { t, r in
    binaryCrossEntropyWithLogits(t[0], t[1], posWeight: t[2], reduction: r)
  },
  "bce_clamped": { t, r in binaryCrossEntropy(t[0], t[1], reduction: r) },
  "cross_entropy_ignored": { t, r in crossEntropy(t[0], t[1], reduction: r) },
  "cross_entropy_all_ignored": { t, r in crossEntropy(t[0], t[1], reduction: r) },
  "cross_entropy_smoothing_ignored_weight": { t, r in
    crossEntropy(t[0], t[1], weight: t[2], reduction: r, labelSmoothing: 0.3)
  },
  "cross_entropy_smoothing_all_ignored": { t, r in
    crossEntropy(t[0], t[1], reduction: r, labelSmoothing: 0.3)
  },
  "nll_ignored_weight": { t, r in nllLoss(t[0], t[1], weight: t[2], reduction: r) },
  "cross_entropy_kdim": { t, r in crossEntropy(t[0], t[1], weight: t[2], reduction: r, labelSmoothing: 0.15)
  },
  "cross_entropy_unbatched": { t, r in crossEntropy(t[0], t[1], reduction: r) },
  "cross_entropy_kdim_probs": { t, r in crossEntropy(t[0], t[1], reduction: r, labelSmoothing: 0.1) },
  "huber_switch": { t, r in huberLoss(t[0], t[1], reduction: r, delta: 1) },
  "smooth_l1_switch": { t, r in smoothL1Loss(t[0], t[1], reduction: r, beta: 0.5) },
  "l1_zero": { t, r in l1Loss(t[0], t[1], reduction: r) },
  "zero_size_mse": { t, r in mseLoss(t[0], t[1], reduction: r) },
  "zero_size_l1": { t, r in l1Loss(t[0], t[1], reduction: r) },
  "zero_size_huber": { t, r in huberLoss(t[0], t[1], reduction: r) },
  "zero_size_smooth_l1": { t, r in smoothL1Loss(t[0], t[1], reduction: r) },
  "zero_size_bce": { t, r in binaryCrossEntropy(t[0], t[1], reduction: r) },
  "zero_size_bce_with_logits": { t, r in binaryCrossEntropyWithLogits(t[0], t[1], reduction: r) },
  "zero_size_cross_entropy": { t, r in crossEntropy(t[0], t[1], reduction: r) },
  "zero_size_cross_entropy_smoothing": { t, r in crossEntropy(t[0], t[1], reduction: r, labelSmoothing: 0.1)
  },
  "zero_size_cross_entropy_probs": { t, r in crossEntropy(t[0], t[1], reduction: r) },
  "zero_size_nll": { t, r in nllLoss(t[0], t[1], reduction: r) },
]

extension FixtureCase {
  static let lossEdgeCases = each { _ in LossEdgeFixture.shared.cases.map(\.name) }
}

@Suite("Loss edge cases against PyTorch 2.13")
struct LossEdgeCaseTests {
  @Test("value and input gradient", arguments: FixtureCase.lossEdgeCases)
  func edgeCase(_ key: FixtureCase) throws {
    let c = LossEdgeFixture.shared.cases[key.index]
    let result = try #require(c.dtypes[key.dtype.rawValue])
    #expect(result.error == nil, "PyTorch rejected \(c.name): \(result.error ?? "")")
    let reductionName = String(c.name.split(separator: "_").last!)
    let reduction = try #require(Reduction(rawValue: reductionName))
    let family = String(c.name.dropLast(reductionName.count + 1))
    let loss = try #require(edgeLosses[family], "no Descent call for \(family)")

    let inputs = c.inputs.enumerated().map { i, t in t.tensor(key.dtype, requiresGrad: i == 0) }
    let value = loss(inputs, reduction)
    let rtol = parityTolerance(key.dtype)
    expectClose(value, try #require(result.loss), rtol: rtol, "\(key) loss")
    if value.count > 0 {
      value.backward(gradient: Tensor.onesLike(value))
    }
    if let expected = result.grads?.first ?? nil {
      let grad = try #require(inputs[0].grad ?? (value.count == 0 ? Tensor.zerosLike(inputs[0]) : nil))
      expectClose(grad, expected, rtol: rtol, "\(key) input grad", normwise: gradientsNormwise)
    }
  }

  /// `nll_loss` and `cross_entropy` with class-index targets are one node, as in PyTorch
  /// (`NllLossBackward0`, `NllLoss2DBackward0` for K-dimensional inputs, under a view for
  /// 3-D unreduced ones), not a chain of gather, neg and where.
  @Test("nll_loss and cross_entropy record PyTorch's node", arguments: FixtureCase.lossEdgeCases)
  func nllNode(_ key: FixtureCase) throws {
    let c = LossEdgeFixture.shared.cases[key.index]
    guard
      c.name.hasPrefix("nll") || c.name.hasPrefix("zero_size_nll")
        || ((c.name.hasPrefix("cross_entropy") || c.name.hasPrefix("zero_size_cross_entropy"))
          && !c.name.contains("smoothing") && !c.name.contains("probs"))
    else { return }
    let result = try #require(c.dtypes[key.dtype.rawValue])
    let reductionName = String(c.name.split(separator: "_").last!)
    let reduction = try #require(Reduction(rawValue: reductionName))
    let family = String(c.name.dropLast(reductionName.count + 1))
    let inputs = c.inputs.enumerated().map { i, t in t.tensor(key.dtype, requiresGrad: i == 0) }
    let loss = try #require(edgeLosses[family])
    let value = loss(inputs, reduction)
    #expect(value.gradFn?.name == result.grad_fn, "\(key)")
  }

  @Test("every edge case family is exercised")
  func coverage() {
    let families = Set(
      LossEdgeFixture.shared.cases.map { c in
        String(c.name.dropLast(String(c.name.split(separator: "_").last!).count + 1))
      })
    #expect(families == Set(edgeLosses.keys))
  }
}
