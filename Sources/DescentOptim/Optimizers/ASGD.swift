import CDescentKernels
import Descent
import Foundation

/// Averaged stochastic gradient descent (`torch.optim.ASGD`): SGD with a decaying step
/// size and a running average of the iterates.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update at step `t` (counted per
/// parameter), with `η` and `μ` from the state:
///
/// ```
/// g ← -g                                   if maximize
/// g ← g + weight_decay · θ                 if weight_decay ≠ 0
/// θ ← θ · (1 - λ · η)
/// θ ← θ - η · g
/// ax ← ax + (θ - ax) · μ                   if μ ≠ 1, else ax ← θ
/// η ← lr / (1 + λ · lr · t)^α              (for the next step)
/// μ ← 1 / max(1, t - t₀)
/// ```
///
/// State (``ASGDState``): `step`, `eta` and `mu` (float32 scalars, rounded to float32 at
/// every update as PyTorch keeps them, whatever the parameter's dtype; `eta` starts at
/// float32(lr) and `mu` at 1) and `ax`, the average (zero-initialised). The rule is
/// ``ASGDRule``.
public final class ASGD: RuleOptimizer<ASGDRule> {
  /// Creates ASGD over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-2). Must be ≥ 0.
  ///   - lambd: decay term λ (default 1e-4).
  ///   - alpha: power α of the step size's decay (default 0.75).
  ///   - t0: the step after which averaging starts (default 1e6).
  ///   - weightDecay: L2 penalty added to the gradient (default 0). Must be ≥ 0.
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-2, lambd: Double = 1e-4, alpha: Double = 0.75,
    t0: Double = 1e6, weightDecay: Double = 0, maximize: Bool = false,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "lambd": .number(lambd), "alpha": .number(alpha), "t0": .number(t0),
        "weight_decay": .number(weightDecay), "maximize": .bool(maximize),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's ASGD state.
public struct ASGDState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// Step size of the next step (`eta`), a float32 scalar as in PyTorch.
  public var eta: Float
  /// Averaging coefficient of the next step (`mu`), a float32 scalar as in PyTorch.
  public var mu: Float
  /// Running average of the parameter (`ax`).
  public var ax: Tensor

  public var stateDict: [String: Tensor] {
    [
      "step": Tensor(scalar: Double(step), dtype: .float32),
      "eta": Tensor(scalar: Double(eta), dtype: .float32),
      "mu": Tensor(scalar: Double(mu), dtype: .float32), "ax": ax,
    ]
  }
}

/// ASGD's update rule (`_single_tensor_asgd` in PyTorch 2.13).
public struct ASGDRule: OptimizerRule {
  public static let name = "ASGD"

  let lr: Double
  let lambd: Double
  let alpha: Double
  let t0: Double
  let weightDecay: Double
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    lambd = group.number("lambd")
    alpha = group.number("alpha")
    t0 = group.number("t0")
    weightDecay = group.weightDecay
    maximize = group.flag("maximize")
  }

  // PyTorch checks only these two.
  public func validate() throws {
    try HyperparameterChecks.learningRate(lr)
    try HyperparameterChecks.weightDecay(weightDecay)
  }

  public func makeState(for param: Tensor) -> ASGDState {
    ASGDState(step: 0, eta: Float(lr), mu: 1, ax: Tensor.zerosLike(param))
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> ASGDState {
    ASGDState(
      step: try decoder.scalar("step"), eta: try decoder.scalar("eta"),
      mu: try decoder.scalar("mu"), ax: try decoder.tensor("ax"))
  }

  /// The scalars of one step: the state's `eta` and `mu` before this step updates them.
  public struct StepScalars {
    /// `1 - λ·η`
    var shrink = 1.0
    /// `-η`
    var negEta = 0.0
    /// `μ`
    var mu: Float = 1
  }

  /// Takes this step's `η` and `μ` from the state and stores the next step's, computed
  /// in Double as Python does and rounded to float32 as PyTorch's `eta.copy_(...)` does.
  public mutating func beginStep(_ state: inout ASGDState, for param: Tensor) -> StepScalars {
    state.step += 1
    let eta = Double(state.eta)
    let scalars = StepScalars(shrink: 1 - lambd * eta, negEta: -eta, mu: state.mu)
    let t = Double(state.step)
    state.eta = Float(lr / pow(1 + lambd * lr * t, alpha))
    // Python's max(1, t - t0) is t - t0 only when that is larger.
    state.mu = Float(1 / (t - t0 > 1 ? t - t0 : 1))
    return scalars
  }

  /// The update, element by element, as `_single_tensor_asgd` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: ASGDState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let ax = BLASVector<T>(state.ax)
    for i in 0..<p.count {
      var d = maximize ? -g[i] : g[i]
      if weightDecay != 0 { d = ElementOps.add(d, p[i], alpha: T(weightDecay)) }  // grad.add(param, alpha=wd)
      var theta = p[i] * T(scalars.shrink)  // param.mul_(1 - lambd * eta)
      theta = ElementOps.add(theta, d, alpha: T(scalars.negEta))  // param.add_(grad, alpha=-eta)
      p[i] = theta
      if scalars.mu != 1 {
        ax[i] = ax[i] + (theta - ax[i]) * T(scalars.mu)  // ax.add_(param.sub(ax).mul_(mu))
      } else {
        ax[i] = theta  // ax.copy_(param)
      }
    }
  }

  /// BLAS level 1 throughout: `θ ← (1 - λη - η·wd)·θ - η·(±g)` and
  /// `ax ← (1 - μ)·ax + μ·θ` (or a copy).
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: ASGDState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let ax = BLASVector<T>(state.ax)
    let sign: Double = maximize ? -1 : 1
    let shrink = scalars.shrink + scalars.negEta * weightDecay
    p.scale(by: shrink, adding: g, times: scalars.negEta * sign)
    if scalars.mu != 1 {
      let mu = Double(scalars.mu)
      ax.scale(by: 1 - mu, adding: p, times: mu)
    } else {
      ax.copy(from: p)
    }
  }

  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_asgd_f32, float64: descent_asgd_f64, bfloat16: descent_asgd_bf16,
    float16: descent_asgd_f16)

  /// The group's hyperparameters for `ASGDTemplate.h`, which rounds each to the element
  /// type once.
  public var fusedConfig: descent_asgd_config {
    descent_asgd_config(
      sign: maximize ? -1 : 1, weight_decay: weightDecay, has_decay: weightDecay != 0 ? 1 : 0,
      reserved: 0)
  }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: ASGDState, scalars: StepScalars, start: Int64
  ) -> descent_asgd_tensor {
    descent_asgd_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      ax: state.ax.kernelAddress(), start: start, count: Int64(param.count),
      shrink: scalars.shrink, neg_eta: scalars.negEta, mu: Double(scalars.mu),
      average: scalars.mu != 1 ? 1 : 0, reserved: 0)
  }
}
