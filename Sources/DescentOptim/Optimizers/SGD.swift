import CDescentKernels
import Descent

/// Stochastic gradient descent, optionally with momentum (`torch.optim.SGD`).
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update:
///
/// ```
/// g ← -g                          if maximize
/// g ← g + weight_decay · θ        if weight_decay ≠ 0
/// if momentum ≠ 0:
///     b ← g                       on the first step (a copy: no dampening)
///     b ← momentum · b + (1 - dampening) · g      afterwards
///     g ← g + momentum · b        if nesterov, else g ← b
/// θ ← θ - lr · g
/// ```
///
/// State (``SGDState``): `momentum_buffer` (only with momentum). The rule is ``SGDRule``.
public final class SGD: RuleOptimizer<SGDRule> {
  /// Creates SGD over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-3, PyTorch 2.13's default). Must be ≥ 0.
  ///   - momentum: momentum factor μ (default 0). Must be ≥ 0.
  ///   - dampening: dampening τ for momentum (default 0).
  ///   - weightDecay: L2 penalty λ added to the gradient (default 0). Must be ≥ 0.
  ///   - nesterov: Nesterov momentum (default `false`); needs momentum > 0 and zero
  ///     dampening.
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
    weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "momentum": .number(momentum), "dampening": .number(dampening),
        "weight_decay": .number(weightDecay), "nesterov": .bool(nesterov),
        "maximize": .bool(maximize),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's SGD state.
public struct SGDState: OptimizerState {
  /// The momentum buffer (`momentum_buffer`), made on the first step with momentum.
  public var momentumBuffer: Tensor?

  public var stateDict: [String: Tensor] {
    momentumBuffer.map { ["momentum_buffer": $0] } ?? [:]
  }
}

/// SGD's update rule (`_single_tensor_sgd` in PyTorch 2.13).
public struct SGDRule: OptimizerRule {
  public static let name = "SGD"

  let lr: Double
  let momentum: Double
  let dampening: Double
  let weightDecay: Double
  let nesterov: Bool
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    momentum = group.momentum
    dampening = group.number("dampening")
    weightDecay = group.weightDecay
    nesterov = group.flag("nesterov")
    maximize = group.flag("maximize")
  }

  // PyTorch's comparisons, in PyTorch's order: `lr < 0` lets NaN through, as in PyTorch.
  public func validate() throws {
    if lr < 0 { throw OptimizerError("Invalid learning rate: \(lr)") }
    if momentum < 0 { throw OptimizerError("Invalid momentum value: \(momentum)") }
    if weightDecay < 0 { throw OptimizerError("Invalid weight_decay value: \(weightDecay)") }
    if nesterov && (momentum <= 0 || dampening != 0) {
      throw OptimizerError("Nesterov momentum requires a momentum and zero dampening")
    }
  }

  public func makeState(for param: Tensor) -> SGDState { SGDState() }

  public func decodeState(_ decoder: inout StateDecoder) throws -> SGDState {
    SGDState(momentumBuffer: try decoder.optionalTensor("momentum_buffer"))
  }

  /// Whether this step is the buffer's first: PyTorch then sets `buf = grad.clone()`
  /// instead of applying momentum and dampening.
  public struct StepScalars {
    var firstStep = false
  }

  public mutating func beginStep(_ state: inout SGDState, for param: Tensor) -> StepScalars {
    guard momentum != 0, state.momentumBuffer == nil else { return StepScalars() }
    state.momentumBuffer = Tensor.zerosLike(param)
    return StepScalars(firstStep: true)
  }

  /// The update, element by element, as `_single_tensor_sgd` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: SGDState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let buffer = state.momentumBuffer.map { BLASVector<T>($0) }
    for i in 0..<p.count {
      var d = maximize ? -g[i] : g[i]
      if weightDecay != 0 { d = ElementOps.add(d, p[i], alpha: T(weightDecay)) }  // grad.add(param, alpha=wd)
      if let buffer {
        buffer[i] =
          scalars.firstStep
          ? d  // buf = torch.clone(grad)
          // buf.mul_(μ).add_(grad, alpha=1-τ)
          : ElementOps.add(buffer[i] * T(momentum), d, alpha: T(1 - dampening))
        d = nesterov ? ElementOps.add(d, buffer[i], alpha: T(momentum)) : buffer[i]  // grad.add(buf, alpha=μ)
      }
      p[i] = ElementOps.add(p[i], d, alpha: T(-lr))  // param.add_(grad, alpha=-lr)
    }
  }

  /// The same update from BLAS level 1, using linearity to fold the sign and the weight
  /// decay into the coefficients instead of forming `d` in a temporary:
  /// `b = μ·b + (1-τ)·(±g) + (1-τ)·wd·p`, then `p = p - lr·b` or, with Nesterov,
  /// `p = (1 - lr·wd)·p - lr·(±g) - lr·μ·b`.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: SGDState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let sign: Double = maximize ? -1 : 1
    let hasDecay = weightDecay != 0
    // p ← (1 - lr·wd)·p - lr·(±g): the step without momentum, and Nesterov's gradient term.
    func gradientStep() {
      if hasDecay {
        p.scale(by: 1 - lr * weightDecay, adding: g, times: -lr * sign)
      } else {
        p.add(g, times: -lr * sign)
      }
    }
    guard let b = state.momentumBuffer.map({ BLASVector<T>($0) }) else {
      gradientStep()
      return
    }
    if scalars.firstStep {
      b.copy(from: g)
      if maximize { b.scale(by: -1) }
      if hasDecay { b.add(p, times: weightDecay) }
    } else {
      b.scale(by: momentum, adding: g, times: (1 - dampening) * sign)
      if hasDecay { b.add(p, times: (1 - dampening) * weightDecay) }
    }
    if nesterov {
      gradientStep()
      p.add(b, times: -lr * momentum)
    } else {
      p.add(b, times: -lr)
    }
  }

  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_sgd_f32, float64: descent_sgd_f64, bfloat16: descent_sgd_bf16,
    float16: descent_sgd_f16)

  /// The group's hyperparameters for `SGDTemplate.h`, which rounds each to the element type
  /// once.
  public var fusedConfig: descent_sgd_config {
    descent_sgd_config(
      sign: maximize ? -1 : 1, weight_decay: weightDecay, momentum: momentum,
      one_minus_dampening: 1 - dampening, neg_lr: -lr, has_decay: weightDecay != 0 ? 1 : 0,
      nesterov: nesterov ? 1 : 0)
  }

  /// On the buffer's first step the kernel writes it (`buf = grad`) without reading it.
  public func fusedEntry(
    param: Tensor, grad: Tensor, state: SGDState, scalars: StepScalars, start: Int64
  ) -> descent_sgd_tensor {
    descent_sgd_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      momentum_buffer: state.momentumBuffer?.kernelAddress(), start: start,
      count: Int64(param.count), first_step: scalars.firstStep ? 1 : 0, reserved: 0)
  }
}
