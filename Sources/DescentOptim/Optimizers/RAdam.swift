import CDescentKernels
import Descent
import Foundation

/// RAdam (`torch.optim.RAdam`): Adam with a rectified adaptive learning rate, which it uses
/// only once the variance of that rate is tractable.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update at step `t` (counted per
/// parameter):
///
/// ```
/// g ← -g                                       if maximize
/// θ ← θ · (1 - lr · weight_decay)              if decoupled_weight_decay
/// g ← g + weight_decay · θ                     otherwise, if weight_decay ≠ 0
/// m ← lerp(m, g, 1 - β₁)                       (exp_avg)
/// v ← β₂ · v + (1 - β₂) · g²                   (exp_avg_sq)
/// m̂ ← m / (1 - β₁ᵗ)
/// ρ∞ ← 2 / (1 - β₂) - 1
/// ρₜ ← ρ∞ - 2t · β₂ᵗ / (1 - β₂ᵗ)
/// if ρₜ > 5:
///     r ← sqrt((ρₜ - 4)(ρₜ - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρₜ))
///     θ ← θ - m̂ · lr · sqrt(1 - β₂ᵗ) / (sqrt(v) + eps) · r
/// else:
///     θ ← θ - m̂ · lr
/// ```
///
/// State (``RAdamState``): `step` (float32 scalar), `exp_avg` and `exp_avg_sq`,
/// zero-initialised on a parameter's first step. The rule is ``RAdamRule``.
public final class RAdam: RuleOptimizer<RAdamRule> {
  /// Creates RAdam over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-3). Must be ≥ 0.
  ///   - betas: coefficients of the running averages of the gradient and its square
  ///     (default (0.9, 0.999)). Each must be in [0, 1).
  ///   - eps: added to the denominator (default 1e-8). Must be ≥ 0.
  ///   - weightDecay: weight decay (default 0): an L2 penalty added to the gradient, or,
  ///     with `decoupledWeightDecay`, a shrink of the parameter. Must be ≥ 0.
  ///   - decoupledWeightDecay: decay the parameter directly, as AdamW (default `false`).
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false,
    maximize: Bool = false, implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "betas": .numbers([betas.0, betas.1]), "eps": .number(eps),
        "weight_decay": .number(weightDecay), "maximize": .bool(maximize),
        "decoupled_weight_decay": .bool(decoupledWeightDecay),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's RAdam state.
public struct RAdamState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// First moment (`exp_avg`).
  public var expAvg: Tensor
  /// Second moment (`exp_avg_sq`).
  public var expAvgSq: Tensor

  public var stateDict: [String: Tensor] {
    [
      "step": Tensor(scalar: Double(step), dtype: .float32), "exp_avg": expAvg,
      "exp_avg_sq": expAvgSq,
    ]
  }
}

/// RAdam's update rule (`_single_tensor_radam` in PyTorch 2.13).
public struct RAdamRule: OptimizerRule {
  public static let name = "RAdam"

  let lr: Double
  let beta1: Double
  let beta2: Double
  let eps: Double
  let weightDecay: Double
  let decoupledWeightDecay: Bool
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    (beta1, beta2) = group.betas
    eps = group.number("eps")
    weightDecay = group.weightDecay
    decoupledWeightDecay = group.flag("decoupled_weight_decay")
    maximize = group.flag("maximize")
  }

  // PyTorch's checks, in its order.
  public func validate() throws {
    try HyperparameterChecks.learningRate(lr)
    try HyperparameterChecks.epsilon(eps)
    try HyperparameterChecks.betas(beta1, beta2)
    try HyperparameterChecks.weightDecay(weightDecay)
  }

  private var decoupled: Bool { decoupledWeightDecay && weightDecay != 0 }
  private var coupled: Bool { !decoupledWeightDecay && weightDecay != 0 }

  public func makeState(for param: Tensor) -> RAdamState {
    RAdamState(step: 0, expAvg: Tensor.zerosLike(param), expAvgSq: Tensor.zerosLike(param))
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> RAdamState {
    RAdamState(
      step: try decoder.scalar("step"), expAvg: try decoder.tensor("exp_avg"),
      expAvgSq: try decoder.tensor("exp_avg_sq"))
  }

  /// The scalars of one step, computed in Double as Python does.
  public struct StepScalars {
    /// `1 - β₁ᵗ`
    var biasCorrection1 = 1.0
    /// `(1 - β₂ᵗ)^0.5`, when rectified
    var biasCorrection2Sqrt = 1.0
    /// The rectification term `r`, when rectified
    var rect = 1.0
    /// `ρₜ > 5`
    var rectified = false
  }
  /// Steps are counted per parameter but are almost always equal: the scalars (four
  /// `pow`s) are computed once per distinct step.
  private var lastStep: Float = -1
  private var lastScalars = StepScalars()

  public mutating func beginStep(_ state: inout RAdamState, for param: Tensor) -> StepScalars {
    state.step += 1
    guard state.step != lastStep else { return lastScalars }
    let t = Double(state.step)
    lastStep = state.step
    let biasCorrection2 = 1 - pow(beta2, t)
    let rhoInf = 2 / (1 - beta2) - 1
    let rhoT = rhoInf - 2 * t * pow(beta2, t) / biasCorrection2
    var scalars = StepScalars(biasCorrection1: 1 - pow(beta1, t))
    // `if rho_t > 5.0`: NaN takes the unrectified branch, as in Python.
    if rhoT > 5 {
      scalars.rectified = true
      scalars.rect = pow(
        (rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5)
      scalars.biasCorrection2Sqrt = pow(biasCorrection2, 0.5)
    }
    lastScalars = scalars
    return scalars
  }

  /// The update, element by element, as `_single_tensor_radam` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: RAdamState, scalars: StepScalars
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
      var step = m[i] / T(scalars.biasCorrection1) * T(lr)  // bias_corrected_exp_avg * lr
      if scalars.rectified {
        // (bc2 ** 0.5) / exp_avg_sq.sqrt().add_(eps): a float over a tensor is reciprocal() * float.
        let adaptive = 1 / (v[i].squareRoot() + T(eps)) * T(scalars.biasCorrection2Sqrt)
        step = step * adaptive * T(scalars.rect)
      }
      p[i] = theta - step  // param.add_(..., alpha=-1.0)
    }
  }

  /// BLAS level 1 for the linear parts (`θ ← (1 - lr·wd)·θ` when decoupled,
  /// `m ← β₁·m + (1-β₁)·(±g) + (1-β₁)·wd·θ`, `v ← β₂·v`, and before rectification the step
  /// `θ ← θ - lr/(1 - β₁ᵗ)·m`), then one loop for the squares, square roots and divisions.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: RAdamState, scalars: StepScalars
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
    let e = T(eps)
    let coefficient = T(lr / scalars.biasCorrection1 * scalars.biasCorrection2Sqrt * scalars.rect)
    // The square needs θ before the step, so the step happens in the same loop.
    @inline(__always) func element(_ i: Int, coupled: Bool, rectified: Bool) {
      let d = coupled ? signT * g[i] + wd * p[i] : signT * g[i]
      let sq = v[i] + oneMinusBeta2 * d * d
      v[i] = sq
      if rectified { p[i] = p[i] - coefficient * m[i] / (sq.squareRoot() + e) }
    }
    let coupled = self.coupled
    parallelChunks(p.count) { range in
      switch (coupled, scalars.rectified) {
      case (false, false): for i in range { element(i, coupled: false, rectified: false) }
      case (false, true): for i in range { element(i, coupled: false, rectified: true) }
      case (true, false): for i in range { element(i, coupled: true, rectified: false) }
      case (true, true): for i in range { element(i, coupled: true, rectified: true) }
      }
    }
    if !scalars.rectified { p.add(m, times: -lr / scalars.biasCorrection1) }
  }

  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_radam_f32, float64: descent_radam_f64, bfloat16: descent_radam_bf16,
    float16: descent_radam_f16)

  /// The group's hyperparameters for `RAdamTemplate.h`, which rounds each to the element
  /// type once.
  public var fusedConfig: descent_radam_config {
    descent_radam_config(
      sign: maximize ? -1 : 1, shrink: 1 - lr * weightDecay, weight_decay: weightDecay,
      one_minus_beta1: 1 - beta1, beta2: beta2, one_minus_beta2: 1 - beta2, eps: eps, lr: lr,
      decoupled: decoupled ? 1 : 0, coupled: coupled ? 1 : 0)
  }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: RAdamState, scalars: StepScalars, start: Int64
  ) -> descent_radam_tensor {
    descent_radam_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      exp_avg: state.expAvg.kernelAddress(), exp_avg_sq: state.expAvgSq.kernelAddress(),
      start: start, count: Int64(param.count), bias_correction1: scalars.biasCorrection1,
      bias_correction2_sqrt: scalars.biasCorrection2Sqrt, rect: scalars.rect,
      rectified: scalars.rectified ? 1 : 0, reserved: 0)
  }
}
