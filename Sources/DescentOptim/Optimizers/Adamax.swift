import CDescentKernels
import Descent
import Foundation

/// Adamax (`torch.optim.Adamax`): Adam with the infinity norm in place of the second
/// moment.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update at step `t` (counted per
/// parameter):
///
/// ```
/// g ← -g                                   if maximize
/// g ← g + weight_decay · θ                 if weight_decay ≠ 0
/// m ← lerp(m, g, 1 - β₁)                   (exp_avg)
/// u ← max(β₂ · u, |g| + eps)               (exp_inf)
/// θ ← θ - lr / (1 - β₁ᵗ) · m / u
/// ```
///
/// State (``AdamaxState``): `step` (float32 scalar), `exp_avg` and `exp_inf`,
/// zero-initialised on a parameter's first step. The rule is ``AdamaxRule``.
public final class Adamax: RuleOptimizer<AdamaxRule> {
  /// Creates Adamax over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 2e-3). Must be ≥ 0.
  ///   - betas: coefficients of the running average of the gradient and of the decay of
  ///     the infinity norm (default (0.9, 0.999)). Each must be in [0, 1).
  ///   - eps: added to `|g|` inside the maximum (default 1e-8). Must be ≥ 0.
  ///   - weightDecay: L2 penalty added to the gradient (default 0). Must be ≥ 0.
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 0, maximize: Bool = false,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "betas": .numbers([betas.0, betas.1]), "eps": .number(eps),
        "weight_decay": .number(weightDecay), "maximize": .bool(maximize),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's Adamax state.
public struct AdamaxState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// First moment (`exp_avg`).
  public var expAvg: Tensor
  /// Exponentially weighted infinity norm (`exp_inf`).
  public var expInf: Tensor

  public var stateDict: [String: Tensor] {
    ["step": Tensor(scalar: Double(step), dtype: .float32), "exp_avg": expAvg, "exp_inf": expInf]
  }
}

/// Adamax's update rule (`_single_tensor_adamax` in PyTorch 2.13).
public struct AdamaxRule: OptimizerRule {
  public static let name = "Adamax"

  let lr: Double
  let beta1: Double
  let beta2: Double
  let eps: Double
  let weightDecay: Double
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    (beta1, beta2) = group.betas
    eps = group.number("eps")
    weightDecay = group.weightDecay
    maximize = group.flag("maximize")
  }

  // PyTorch's checks, in its order.
  public func validate() throws {
    try HyperparameterChecks.learningRate(lr)
    try HyperparameterChecks.epsilon(eps)
    try HyperparameterChecks.betas(beta1, beta2)
    try HyperparameterChecks.weightDecay(weightDecay)
  }

  public func makeState(for param: Tensor) -> AdamaxState {
    AdamaxState(step: 0, expAvg: Tensor.zerosLike(param), expInf: Tensor.zerosLike(param))
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> AdamaxState {
    AdamaxState(
      step: try decoder.scalar("step"), expAvg: try decoder.tensor("exp_avg"),
      expInf: try decoder.tensor("exp_inf"))
  }

  /// The bias-corrected learning rate of one step, computed in Double as Python does.
  public struct StepScalars {
    /// `-lr / (1 - β₁ᵗ)`
    var negClr = 0.0
  }
  /// Steps are counted per parameter but are almost always equal: the bias correction (a
  /// `pow`) is computed once per distinct step.
  private var lastStep: Float = -1
  private var lastScalars = StepScalars()

  public mutating func beginStep(_ state: inout AdamaxState, for param: Tensor) -> StepScalars {
    state.step += 1
    if state.step != lastStep {
      lastStep = state.step
      lastScalars = StepScalars(negClr: -(lr / (1 - pow(beta1, Double(state.step)))))
    }
    return lastScalars
  }

  /// The update, element by element, as `_single_tensor_adamax` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdamaxState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let m = BLASVector<T>(state.expAvg)
    let u = BLASVector<T>(state.expInf)
    for i in 0..<p.count {
      var d = maximize ? -g[i] : g[i]
      if weightDecay != 0 { d = ElementOps.add(d, p[i], alpha: T(weightDecay)) }  // grad.add(param, alpha=wd)
      m[i] = ElementOps.lerp(m[i], d, weight: T(1 - beta1))  // exp_avg.lerp_(grad, 1 - beta1)
      // maximum(exp_inf.mul_(β₂), grad.abs().add_(eps))
      u[i] = ElementOps.maximum(u[i] * T(beta2), Swift.abs(d) + T(eps))
      // param.addcdiv_(exp_avg, exp_inf, value=-clr)
      p[i] = ElementOps.addcdiv(p[i], m[i], u[i], value: T(scalars.negClr))
    }
  }

  /// BLAS level 1 for the first moment (`m ← β₁·m + (1-β₁)·(±g) + (1-β₁)·wd·θ`), then one
  /// loop for the maximum and the division.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdamaxState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let m = BLASVector<T>(state.expAvg)
    let u = BLASVector<T>(state.expInf)
    let sign: Double = maximize ? -1 : 1
    let decay = weightDecay != 0
    m.scale(by: beta1, adding: g, times: (1 - beta1) * sign)
    if decay { m.add(p, times: (1 - beta1) * weightDecay) }

    let signT = T(sign)
    let wd = T(weightDecay)
    let beta2T = T(beta2)
    let e = T(eps)
    let negClr = T(scalars.negClr)
    @inline(__always) func element(_ i: Int, decay: Bool) {
      let d = decay ? signT * g[i] + wd * p[i] : signT * g[i]
      let inf = ElementOps.maximum(u[i] * beta2T, Swift.abs(d) + e)
      u[i] = inf
      p[i] = p[i] + negClr * m[i] / inf
    }
    parallelChunks(p.count) { range in
      if decay {
        for i in range { element(i, decay: true) }
      } else {
        for i in range { element(i, decay: false) }
      }
    }
  }

  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_adamax_f32, float64: descent_adamax_f64, bfloat16: descent_adamax_bf16,
    float16: descent_adamax_f16)

  /// The group's hyperparameters for `AdamaxTemplate.h`, which rounds each to the element
  /// type once.
  public var fusedConfig: descent_adamax_config {
    descent_adamax_config(
      sign: maximize ? -1 : 1, weight_decay: weightDecay, one_minus_beta1: 1 - beta1,
      beta2: beta2, eps: eps, has_decay: weightDecay != 0 ? 1 : 0, reserved: 0)
  }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: AdamaxState, scalars: StepScalars, start: Int64
  ) -> descent_adamax_tensor {
    descent_adamax_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      exp_avg: state.expAvg.kernelAddress(), exp_inf: state.expInf.kernelAddress(),
      start: start, count: Int64(param.count), neg_clr: scalars.negClr)
  }
}
