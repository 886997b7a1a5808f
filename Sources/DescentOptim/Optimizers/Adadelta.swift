import CDescentKernels
import Descent

/// Adadelta (`torch.optim.Adadelta`): steps by the ratio of running root mean squares of
/// past updates and of gradients.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update:
///
/// ```
/// g ← -g                                   if maximize
/// g ← g + weight_decay · θ                 if weight_decay ≠ 0
/// v ← ρ · v + (1 - ρ) · g²                 (square_avg)
/// δ ← sqrt(u + eps) / sqrt(v + eps) · g
/// u ← ρ · u + (1 - ρ) · δ²                 (acc_delta)
/// θ ← θ - lr · δ
/// ```
///
/// State (``AdadeltaState``): `step` (float32 scalar), `square_avg` and `acc_delta`,
/// zero-initialised on a parameter's first step. The rule is ``AdadeltaRule``.
public final class Adadelta: RuleOptimizer<AdadeltaRule> {
  /// Creates Adadelta over `params`.
  ///
  /// - Parameters:
  ///   - lr: coefficient of the update (default 1.0). Must be ≥ 0.
  ///   - rho: coefficient of the running averages (default 0.9). Must be in [0, 1].
  ///   - eps: added inside both square roots (default 1e-6). Must be ≥ 0.
  ///   - weightDecay: L2 penalty added to the gradient (default 0). Must be ≥ 0.
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1.0, rho: Double = 0.9, eps: Double = 1e-6,
    weightDecay: Double = 0, maximize: Bool = false,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "rho": .number(rho), "eps": .number(eps),
        "weight_decay": .number(weightDecay), "maximize": .bool(maximize),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's Adadelta state.
public struct AdadeltaState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// Running average of the squared gradient (`square_avg`).
  public var squareAvg: Tensor
  /// Running average of the squared update (`acc_delta`).
  public var accDelta: Tensor

  public var stateDict: [String: Tensor] {
    [
      "step": Tensor(scalar: Double(step), dtype: .float32), "square_avg": squareAvg,
      "acc_delta": accDelta,
    ]
  }
}

/// Adadelta's update rule (`_single_tensor_adadelta` in PyTorch 2.13).
public struct AdadeltaRule: OptimizerRule {
  public static let name = "Adadelta"

  let lr: Double
  let rho: Double
  let eps: Double
  let weightDecay: Double
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    rho = group.number("rho")
    eps = group.number("eps")
    weightDecay = group.weightDecay
    maximize = group.flag("maximize")
  }

  // PyTorch's checks, in its order.
  public func validate() throws {
    try HyperparameterChecks.learningRate(lr)
    if !(0 <= rho && rho <= 1) { throw OptimizerError("Invalid rho value: \(rho)") }
    try HyperparameterChecks.epsilon(eps)
    try HyperparameterChecks.weightDecay(weightDecay)
  }

  public func makeState(for param: Tensor) -> AdadeltaState {
    AdadeltaState(step: 0, squareAvg: Tensor.zerosLike(param), accDelta: Tensor.zerosLike(param))
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> AdadeltaState {
    AdadeltaState(
      step: try decoder.scalar("step"), squareAvg: try decoder.tensor("square_avg"),
      accDelta: try decoder.tensor("acc_delta"))
  }

  public mutating func beginStep(_ state: inout AdadeltaState, for param: Tensor) {
    state.step += 1
  }

  /// The update, element by element, as `_single_tensor_adadelta` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdadeltaState, scalars: Void
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let v = BLASVector<T>(state.squareAvg)
    let u = BLASVector<T>(state.accDelta)
    for i in 0..<p.count {
      var d = maximize ? -g[i] : g[i]
      if weightDecay != 0 { d = ElementOps.add(d, p[i], alpha: T(weightDecay)) }  // grad.add(param, alpha=wd)
      // square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho)
      v[i] = ElementOps.addcmul(v[i] * T(rho), d, d, value: T(1 - rho))
      let std = (v[i] + T(eps)).squareRoot()  // square_avg.add(eps).sqrt_()
      let delta = (u[i] + T(eps)).squareRoot() / std * d  // acc_delta.add(eps).sqrt_(), div_(std).mul_(grad)
      // acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)
      u[i] = ElementOps.addcmul(u[i] * T(rho), delta, delta, value: T(1 - rho))
      p[i] = ElementOps.add(p[i], delta, alpha: T(-lr))  // param.add_(delta, alpha=-lr)
    }
  }

  /// BLAS level 1 for the decay of the squared gradient's average (`v ← ρ·v`), then one
  /// loop for the squares, square roots, the division, `u` (whose old value the step
  /// needs) and the step.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdadeltaState, scalars: Void
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let v = BLASVector<T>(state.squareAvg)
    let u = BLASVector<T>(state.accDelta)
    v.scale(by: rho)
    let signT: T = maximize ? -1 : 1
    let wd = T(weightDecay)
    let rhoT = T(rho)
    let oneMinusRho = T(1 - rho)
    let e = T(eps)
    let negLR = T(-lr)
    @inline(__always) func element(_ i: Int, decay: Bool) {
      let d = decay ? signT * g[i] + wd * p[i] : signT * g[i]
      let sq = v[i] + oneMinusRho * d * d
      v[i] = sq
      let acc = u[i]
      let delta = (acc + e).squareRoot() / (sq + e).squareRoot() * d
      u[i] = rhoT * acc + oneMinusRho * delta * delta
      p[i] = p[i] + negLR * delta
    }
    let decay = weightDecay != 0
    parallelChunks(p.count) { range in
      if decay {
        for i in range { element(i, decay: true) }
      } else {
        for i in range { element(i, decay: false) }
      }
    }
  }

  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_adadelta_f32, float64: descent_adadelta_f64, bfloat16: descent_adadelta_bf16,
    float16: descent_adadelta_f16)

  /// The group's hyperparameters for `AdadeltaTemplate.h`, which rounds each to the element
  /// type once.
  public var fusedConfig: descent_adadelta_config {
    descent_adadelta_config(
      sign: maximize ? -1 : 1, weight_decay: weightDecay, rho: rho, one_minus_rho: 1 - rho,
      eps: eps, neg_lr: -lr, has_decay: weightDecay != 0 ? 1 : 0, reserved: 0)
  }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: AdadeltaState, scalars: Void, start: Int64
  ) -> descent_adadelta_tensor {
    descent_adadelta_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      square_avg: state.squareAvg.kernelAddress(), acc_delta: state.accDelta.kernelAddress(),
      start: start, count: Int64(param.count))
  }
}
