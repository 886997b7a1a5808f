import CDescentKernels
import Descent
import Foundation

/// NAdam (`torch.optim.NAdam`): Adam with Nesterov momentum and a momentum schedule.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update at step `t` (counted per
/// parameter):
///
/// ```
/// g ← -g                                       if maximize
/// θ ← θ · (1 - lr · weight_decay)              if decoupled_weight_decay
/// g ← g + weight_decay · θ                     otherwise, if weight_decay ≠ 0
/// μₜ ← β₁ · (1 - 0.5 · 0.96^(t · momentum_decay))
/// μₜ₊₁ ← β₁ · (1 - 0.5 · 0.96^((t + 1) · momentum_decay))
/// Π ← Π · μₜ                                   (mu_product, a float32 scalar)
/// m ← lerp(m, g, 1 - β₁)                       (exp_avg)
/// v ← β₂ · v + (1 - β₂) · g²                   (exp_avg_sq)
/// d ← sqrt(v / (1 - β₂ᵗ)) + eps
/// θ ← θ - lr · (1 - μₜ) / (1 - Π) · g / d
/// θ ← θ - lr · μₜ₊₁ / (1 - Π · μₜ₊₁) · m / d
/// ```
///
/// State (``NAdamState``): `step` and `mu_product` (float32 scalars; `mu_product` starts at
/// 1 and is rounded to float32 at every step, as PyTorch keeps it, whatever the parameter's
/// dtype), `exp_avg` and `exp_avg_sq` (zero-initialised). The rule is ``NAdamRule``.
public final class NAdam: RuleOptimizer<NAdamRule> {
  /// Creates NAdam over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 2e-3). Must be ≥ 0.
  ///   - betas: coefficients of the running averages of the gradient and its square
  ///     (default (0.9, 0.999)). Each must be in [0, 1).
  ///   - eps: added to the denominator (default 1e-8). Must be ≥ 0.
  ///   - weightDecay: weight decay (default 0): an L2 penalty added to the gradient, or,
  ///     with `decoupledWeightDecay`, a shrink of the parameter. Must be ≥ 0.
  ///   - momentumDecay: the momentum schedule's decay ψ (default 4e-3). Must be ≥ 0.
  ///   - decoupledWeightDecay: decay the parameter directly, as AdamW (default `false`).
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 0, momentumDecay: Double = 4e-3,
    decoupledWeightDecay: Bool = false, maximize: Bool = false,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "betas": .numbers([betas.0, betas.1]), "eps": .number(eps),
        "weight_decay": .number(weightDecay), "momentum_decay": .number(momentumDecay),
        "decoupled_weight_decay": .bool(decoupledWeightDecay), "maximize": .bool(maximize),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's NAdam state.
public struct NAdamState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// Product of the momentum schedule so far (`mu_product`), a float32 scalar as in PyTorch.
  public var muProduct: Float
  /// First moment (`exp_avg`).
  public var expAvg: Tensor
  /// Second moment (`exp_avg_sq`).
  public var expAvgSq: Tensor

  public var stateDict: [String: Tensor] {
    [
      "step": Tensor(scalar: Double(step), dtype: .float32),
      "mu_product": Tensor(scalar: Double(muProduct), dtype: .float32), "exp_avg": expAvg,
      "exp_avg_sq": expAvgSq,
    ]
  }
}

/// NAdam's update rule (`_single_tensor_nadam` in PyTorch 2.13).
public struct NAdamRule: OptimizerRule {
  public static let name = "NAdam"

  let lr: Double
  let beta1: Double
  let beta2: Double
  let eps: Double
  let weightDecay: Double
  let momentumDecay: Double
  let decoupledWeightDecay: Bool
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    (beta1, beta2) = group.betas
    eps = group.number("eps")
    weightDecay = group.weightDecay
    momentumDecay = group.number("momentum_decay")
    decoupledWeightDecay = group.flag("decoupled_weight_decay")
    maximize = group.flag("maximize")
  }

  // PyTorch's checks, in its order.
  public func validate() throws {
    try HyperparameterChecks.learningRate(lr)
    try HyperparameterChecks.epsilon(eps)
    try HyperparameterChecks.betas(beta1, beta2)
    try HyperparameterChecks.weightDecay(weightDecay)
    if !(0 <= momentumDecay) {
      throw OptimizerError("Invalid momentum_decay value: \(momentumDecay)")
    }
  }

  private var decoupled: Bool { decoupledWeightDecay && weightDecay != 0 }
  private var coupled: Bool { !decoupledWeightDecay && weightDecay != 0 }

  public func makeState(for param: Tensor) -> NAdamState {
    NAdamState(
      step: 0, muProduct: 1, expAvg: Tensor.zerosLike(param), expAvgSq: Tensor.zerosLike(param))
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> NAdamState {
    NAdamState(
      step: try decoder.scalar("step"), muProduct: try decoder.scalar("mu_product"),
      expAvg: try decoder.tensor("exp_avg"), expAvgSq: try decoder.tensor("exp_avg_sq"))
  }

  /// The scalars of one step, computed in Double as Python does.
  public struct StepScalars {
    /// `1 - β₂ᵗ`
    var biasCorrection2 = 1.0
    /// `-lr·(1 - μₜ) / (1 - Π)`, the coefficient of `g / d`
    var gradCoefficient = 0.0
    /// `-lr·μₜ₊₁ / (1 - Π·μₜ₊₁)`, the coefficient of `m / d`
    var expAvgCoefficient = 0.0
  }
  /// The parts of the scalars that depend on the step only (three `pow`s), computed once
  /// per distinct step; `mu_product` is each parameter's own.
  private var lastStep: Float = -1
  private var lastBiasCorrection2 = 1.0
  private var lastMu = 0.0
  private var lastMuNext = 0.0

  public mutating func beginStep(_ state: inout NAdamState, for param: Tensor) -> StepScalars {
    state.step += 1
    if state.step != lastStep {
      let t = Double(state.step)
      lastStep = state.step
      lastBiasCorrection2 = 1 - pow(beta2, t)
      lastMu = beta1 * (1.0 - 0.5 * pow(0.96, t * momentumDecay))
      lastMuNext = beta1 * (1.0 - 0.5 * pow(0.96, (t + 1) * momentumDecay))
    }
    // `mu_product *= mu`: a float32 tensor times a Python float multiplies in float32.
    state.muProduct = state.muProduct * Float(lastMu)
    let muProduct = Double(state.muProduct)
    return StepScalars(
      biasCorrection2: lastBiasCorrection2,
      gradCoefficient: -lr * (1.0 - lastMu) / (1.0 - muProduct),
      expAvgCoefficient: (-lr * lastMuNext) / (1.0 - muProduct * lastMuNext))
  }

  /// The update, element by element, as `_single_tensor_nadam` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: NAdamState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let m = BLASVector<T>(state.expAvg)
    let v = BLASVector<T>(state.expAvgSq)
    for i in 0..<p.count {
      var theta = p[i]
      var d = maximize ? -g[i] : g[i]
      if decoupled { theta = theta * T(1 - lr * weightDecay) }  // param.mul_(1 - lr * wd)
      if coupled { d = ElementOps.add(d, theta, alpha: T(weightDecay)) }  // grad.add(param, alpha=wd)
      m[i] = ElementOps.lerp(m[i], d, weight: T(1 - beta1))  // exp_avg.lerp_(grad, 1 - beta1)
      v[i] = ElementOps.addcmul(v[i] * T(beta2), d, d, value: T(1 - beta2))  // mul_, addcmul_
      let denom = (v[i] / T(scalars.biasCorrection2)).squareRoot() + T(eps)  // div(bc2).sqrt(), add_(eps)
      theta = ElementOps.addcdiv(theta, d, denom, value: T(scalars.gradCoefficient))
      p[i] = ElementOps.addcdiv(theta, m[i], denom, value: T(scalars.expAvgCoefficient))
    }
  }

  /// BLAS level 1 for the linear parts (`θ ← (1 - lr·wd)·θ` when decoupled,
  /// `m ← β₁·m + (1-β₁)·(±g) + (1-β₁)·wd·θ`, `v ← β₂·v`), then one loop for the squares,
  /// square roots and divisions.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: NAdamState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let m = BLASVector<T>(state.expAvg)
    let v = BLASVector<T>(state.expAvgSq)
    let sign: Double = maximize ? -1 : 1
    if decoupled { p.scale(by: 1 - lr * weightDecay) }
    m.scale(by: beta1, adding: g, times: (1 - beta1) * sign)
    if coupled { m.add(p, times: (1 - beta1) * weightDecay) }
    v.scale(by: beta2)

    let signT = T(sign)
    let wd = T(weightDecay)
    let oneMinusBeta2 = T(1 - beta2)
    let biasCorrection2 = T(scalars.biasCorrection2)
    let e = T(eps)
    let c1 = T(scalars.gradCoefficient)
    let c2 = T(scalars.expAvgCoefficient)
    @inline(__always) func element(_ i: Int, coupled: Bool) {
      let d = coupled ? signT * g[i] + wd * p[i] : signT * g[i]
      let sq = v[i] + oneMinusBeta2 * d * d
      v[i] = sq
      let denom = (sq / biasCorrection2).squareRoot() + e
      p[i] = p[i] + (c1 * d + c2 * m[i]) / denom
    }
    let coupled = self.coupled
    parallelChunks(p.count) { range in
      if coupled {
        for i in range { element(i, coupled: true) }
      } else {
        for i in range { element(i, coupled: false) }
      }
    }
  }

  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_nadam_f32, float64: descent_nadam_f64, bfloat16: descent_nadam_bf16,
    float16: descent_nadam_f16)

  /// The group's hyperparameters for `NAdamTemplate.h`, which rounds each to the element
  /// type once.
  public var fusedConfig: descent_nadam_config {
    descent_nadam_config(
      sign: maximize ? -1 : 1, shrink: 1 - lr * weightDecay, weight_decay: weightDecay,
      one_minus_beta1: 1 - beta1, beta2: beta2, one_minus_beta2: 1 - beta2, eps: eps,
      decoupled: decoupled ? 1 : 0, coupled: coupled ? 1 : 0)
  }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: NAdamState, scalars: StepScalars, start: Int64
  ) -> descent_nadam_tensor {
    descent_nadam_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      exp_avg: state.expAvg.kernelAddress(), exp_avg_sq: state.expAvgSq.kernelAddress(),
      start: start, count: Int64(param.count), bias_correction2: scalars.biasCorrection2,
      grad_coefficient: scalars.gradCoefficient, exp_avg_coefficient: scalars.expAvgCoefficient)
  }
}
