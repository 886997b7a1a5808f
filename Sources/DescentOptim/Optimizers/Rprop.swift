import CDescentKernels
import Descent

/// Resilient backpropagation (`torch.optim.Rprop`): each element has its own step size,
/// grown while its gradient keeps its sign and shrunk when the sign flips; only the
/// gradient's sign is used.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update:
///
/// ```
/// g ← -g                                        if maximize
/// s ← sign(g · prev)
/// f ← η₊ where s > 0, η₋ where s < 0, 1 where s = 0
/// step_size ← clamp(step_size · f, step_size_min, step_size_max)
/// g ← 0 where f = η₋                            (after a sign flip, no step)
/// θ ← θ - sign(g) · step_size
/// prev ← g
/// ```
///
/// `lr` only seeds `step_size` when a parameter's state is made; changing it later has no
/// effect on that parameter, as in PyTorch.
///
/// State (``RpropState``): `step` (float32 scalar), `prev` (zero-initialised) and
/// `step_size` (filled with `lr`). The rule is ``RpropRule``.
public final class Rprop: RuleOptimizer<RpropRule> {
  /// Creates Rprop over `params`.
  ///
  /// - Parameters:
  ///   - lr: the initial step size of every element (default 1e-2). Must be ≥ 0.
  ///   - etas: the factors (η₋, η₊) that shrink and grow a step size (default (0.5, 1.2)).
  ///     Must satisfy 0 < η₋ < 1 < η₊.
  ///   - stepSizes: the smallest and largest step size (default (1e-6, 50)).
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-2, etas: (Double, Double) = (0.5, 1.2),
    stepSizes: (Double, Double) = (1e-6, 50), maximize: Bool = false,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "etas": .numbers([etas.0, etas.1]),
        "step_sizes": .numbers([stepSizes.0, stepSizes.1]), "maximize": .bool(maximize),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's Rprop state.
public struct RpropState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// The previous step's gradient, zeroed where its sign flipped (`prev`).
  public var prev: Tensor
  /// Each element's step size (`step_size`).
  public var stepSize: Tensor

  public var stateDict: [String: Tensor] {
    ["step": Tensor(scalar: Double(step), dtype: .float32), "prev": prev, "step_size": stepSize]
  }
}

/// Rprop's update rule (`_single_tensor_rprop` in PyTorch 2.13).
public struct RpropRule: OptimizerRule {
  public static let name = "Rprop"

  let lr: Double
  let etaMinus: Double
  let etaPlus: Double
  let stepSizeMin: Double
  let stepSizeMax: Double
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    (etaMinus, etaPlus) = group.pair("etas")
    (stepSizeMin, stepSizeMax) = group.pair("step_sizes")
    maximize = group.flag("maximize")
  }

  // `not 0.0 <= lr` and `not 0.0 < etas[0] < 1.0 < etas[1]` as in PyTorch, in its order;
  // PyTorch does not check step_sizes.
  public func validate() throws {
    try HyperparameterChecks.learningRate(lr)
    if !(0 < etaMinus && etaMinus < 1 && 1 < etaPlus) {
      throw OptimizerError("Invalid eta values: \(etaMinus), \(etaPlus)")
    }
  }

  /// `step_size` starts at the group's `lr`: the only use Rprop makes of it.
  public func makeState(for param: Tensor) -> RpropState {
    RpropState(step: 0, prev: Tensor.zerosLike(param), stepSize: Tensor.fullLike(param, lr))
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> RpropState {
    RpropState(
      step: try decoder.scalar("step"), prev: try decoder.tensor("prev"),
      stepSize: try decoder.tensor("step_size"))
  }

  public mutating func beginStep(_ state: inout RpropState, for param: Tensor) {
    state.step += 1
  }

  /// The update, element by element, as `_single_tensor_rprop` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: RpropState, scalars: Void
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let prev = BLASVector<T>(state.prev)
    let stepSize = BLASVector<T>(state.stepSize)
    for i in 0..<p.count {
      var d = maximize ? -g[i] : g[i]
      // sign = grad.mul(prev).sign(); then sign[sign.gt(0)] = etaplus,
      // sign[sign.lt(0)] = etaminus, sign[sign.eq(0)] = 1, in that order.
      var factor = ElementOps.sign(d * prev[i])
      if factor > 0 { factor = T(etaPlus) }
      if factor < 0 { factor = T(etaMinus) }
      if factor == 0 { factor = 1 }
      // mul_(sign).clamp_(min, max)
      stepSize[i] = ElementOps.clamp(stepSize[i] * factor, T(stepSizeMin), T(stepSizeMax))
      if factor == T(etaMinus) { d = 0 }  // grad[sign.eq(etaminus)] = 0
      // param.addcmul_(grad.sign(), step_size, value=-1)
      p[i] = ElementOps.addcmul(p[i], ElementOps.sign(d), stepSize[i], value: -1)
      prev[i] = d  // prev.copy_(grad)
    }
  }

  /// Nothing in Rprop's update is axpy-shaped: one loop, with plain arithmetic.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: RpropState, scalars: Void
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let prev = BLASVector<T>(state.prev)
    let stepSize = BLASVector<T>(state.stepSize)
    let signT: T = maximize ? -1 : 1
    let etaMinusT = T(etaMinus)
    let etaPlusT = T(etaPlus)
    let lo = T(stepSizeMin)
    let hi = T(stepSizeMax)
    parallelChunks(p.count) { range in
      for i in range {
        var d = signT * g[i]
        var factor = ElementOps.sign(d * prev[i])
        if factor > 0 { factor = etaPlusT }
        if factor < 0 { factor = etaMinusT }
        if factor == 0 { factor = 1 }
        let step = ElementOps.clamp(stepSize[i] * factor, lo, hi)
        stepSize[i] = step
        if factor == etaMinusT { d = 0 }
        p[i] = p[i] - ElementOps.sign(d) * step
        prev[i] = d
      }
    }
  }

  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_rprop_f32, float64: descent_rprop_f64, bfloat16: descent_rprop_bf16,
    float16: descent_rprop_f16)

  /// The group's hyperparameters for `RpropTemplate.h`, which rounds each to the element
  /// type once.
  public var fusedConfig: descent_rprop_config {
    descent_rprop_config(
      sign: maximize ? -1 : 1, eta_minus: etaMinus, eta_plus: etaPlus,
      step_size_min: stepSizeMin, step_size_max: stepSizeMax)
  }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: RpropState, scalars: Void, start: Int64
  ) -> descent_rprop_tensor {
    descent_rprop_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      prev: state.prev.kernelAddress(), step_size: state.stepSize.kernelAddress(),
      start: start, count: Int64(param.count))
  }
}
