import CDescentKernels
import Descent

/// Adagrad (`torch.optim.Adagrad`): scales each element's step by the root of its summed
/// squared gradients.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update at step `t` (counted per
/// parameter):
///
/// ```
/// g ← -g                                   if maximize
/// g ← g + weight_decay · θ                 if weight_decay ≠ 0
/// clr ← lr / (1 + (t - 1) · lr_decay)      the decay counts the steps before this one
/// sum ← sum + g²
/// θ ← θ - clr · g / (sqrt(sum) + eps)
/// ```
///
/// State (``AdagradState``): `step` (float32 scalar) and `sum`. As in PyTorch, the
/// constructor gives every parameter its state (`sum` filled with
/// `initial_accumulator_value`), so ``Optimizer/stateDict()`` lists them before any step;
/// parameters of groups added later get theirs on their first step, filled with the
/// optimizer's default `initial_accumulator_value` (PyTorch reads `self.defaults` there,
/// not the group). The rule is ``AdagradRule``.
public final class Adagrad: RuleOptimizer<AdagradRule> {
  /// Creates Adagrad over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-2). Must be ≥ 0.
  ///   - lrDecay: learning rate decay per step (default 0). Must be ≥ 0.
  ///   - weightDecay: L2 penalty added to the gradient (default 0). Must be ≥ 0.
  ///   - initialAccumulatorValue: the starting value of `sum` (default 0). Must be ≥ 0.
  ///   - eps: added to the denominator, after the square root (default 1e-10). Must be ≥ 0.
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
    initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "lr_decay": .number(lrDecay), "eps": .number(eps),
        "weight_decay": .number(weightDecay),
        "initial_accumulator_value": .number(initialAccumulatorValue),
        "maximize": .bool(maximize),
      ], implementation: implementation)
    resetToInitialStates()
  }

  override func performStep() throws { try performRuleStep() }

  // The constructor's state was made from the defaults that this replaces.
  override func overrideDefaults(_ options: [String: HyperValue]) throws {
    try super.overrideDefaults(options)
    resetToInitialStates()
  }

  // PyTorch's `_init_group` fills `sum` from `self.defaults["initial_accumulator_value"]`.
  override func initialState(for param: Tensor, rule: AdagradRule) -> AdagradState {
    AdagradState(
      step: 0, sum: Tensor.fullLike(param, defaults["initial_accumulator_value"]?.number ?? 0))
  }
}

/// One parameter's Adagrad state.
public struct AdagradState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// Sum of squared gradients (`sum`).
  public var sum: Tensor

  public var stateDict: [String: Tensor] {
    ["step": Tensor(scalar: Double(step), dtype: .float32), "sum": sum]
  }
}

/// Adagrad's update rule (`_single_tensor_adagrad` in PyTorch 2.13).
public struct AdagradRule: OptimizerRule {
  public static let name = "Adagrad"

  let lr: Double
  let lrDecay: Double
  let weightDecay: Double
  let initialAccumulatorValue: Double
  let eps: Double
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    lrDecay = group.number("lr_decay")
    weightDecay = group.weightDecay
    initialAccumulatorValue = group.number("initial_accumulator_value")
    eps = group.number("eps")
    maximize = group.flag("maximize")
  }

  // PyTorch's checks, in its order.
  public func validate() throws {
    try HyperparameterChecks.learningRate(lr)
    if !(0 <= lrDecay) { throw OptimizerError("Invalid lr_decay value: \(lrDecay)") }
    try HyperparameterChecks.weightDecay(weightDecay)
    if !(0 <= initialAccumulatorValue) {
      throw OptimizerError(
        "Invalid initial_accumulator_value value: \(initialAccumulatorValue)")
    }
    try HyperparameterChecks.epsilon(eps)
  }

  /// The group's `initial_accumulator_value` fills `sum` (``Adagrad`` itself uses its
  /// defaults' value, as PyTorch does).
  public func makeState(for param: Tensor) -> AdagradState {
    AdagradState(step: 0, sum: Tensor.fullLike(param, initialAccumulatorValue))
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> AdagradState {
    AdagradState(step: try decoder.scalar("step"), sum: try decoder.tensor("sum"))
  }

  /// The decayed learning rate of one step, computed in Double as Python does.
  public struct StepScalars {
    /// `-lr / (1 + (t - 1)·lr_decay)`
    var negClr = 0.0
  }

  public mutating func beginStep(_ state: inout AdagradState, for param: Tensor) -> StepScalars {
    state.step += 1
    return StepScalars(negClr: -(lr / (1 + (Double(state.step) - 1) * lrDecay)))
  }

  /// The update, element by element, as `_single_tensor_adagrad` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdagradState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let sum = BLASVector<T>(state.sum)
    for i in 0..<p.count {
      var d = maximize ? -g[i] : g[i]
      if weightDecay != 0 { d = ElementOps.add(d, p[i], alpha: T(weightDecay)) }  // grad.add(param, alpha=wd)
      sum[i] = ElementOps.addcmul(sum[i], d, d, value: 1)  // state_sum.addcmul_(grad, grad, value=1)
      let std = sum[i].squareRoot() + T(eps)  // state_sum.sqrt().add_(eps)
      // param.addcdiv_(grad, std, value=-clr)
      p[i] = ElementOps.addcdiv(p[i], d, std, value: T(scalars.negClr))
    }
  }

  /// Nothing in Adagrad's update is axpy-shaped: one loop, with plain arithmetic.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdagradState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let sum = BLASVector<T>(state.sum)
    let signT: T = maximize ? -1 : 1
    let wd = T(weightDecay)
    let e = T(eps)
    let negClr = T(scalars.negClr)
    @inline(__always) func element(_ i: Int, decay: Bool) {
      let d = decay ? signT * g[i] + wd * p[i] : signT * g[i]
      let acc = sum[i] + d * d
      sum[i] = acc
      p[i] = p[i] + negClr * d / (acc.squareRoot() + e)
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
    float32: descent_adagrad_f32, float64: descent_adagrad_f64, bfloat16: descent_adagrad_bf16,
    float16: descent_adagrad_f16)

  /// The group's hyperparameters for `AdagradTemplate.h`, which rounds each to the element
  /// type once.
  public var fusedConfig: descent_adagrad_config {
    descent_adagrad_config(
      sign: maximize ? -1 : 1, weight_decay: weightDecay, eps: eps,
      has_decay: weightDecay != 0 ? 1 : 0, reserved: 0)
  }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: AdagradState, scalars: StepScalars, start: Int64
  ) -> descent_adagrad_tensor {
    descent_adagrad_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      sum: state.sum.kernelAddress(), start: start, count: Int64(param.count),
      neg_clr: scalars.negClr)
  }
}
