import CDescentKernels
import Descent

/// RMSprop (`torch.optim.RMSprop`): divides the gradient by a running root mean square.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update:
///
/// ```
/// g ← -g                                  if maximize
/// g ← g + weight_decay · θ                if weight_decay ≠ 0
/// v ← alpha · v + (1 - alpha) · g²        (square_avg)
/// if centered:
///     ḡ ← lerp(ḡ, g, 1 - alpha)           (grad_avg)
///     a ← sqrt(v - ḡ²) + eps
/// else:
///     a ← sqrt(v) + eps                   eps is added after the square root
/// if momentum > 0:
///     b ← momentum · b + g / a            (momentum_buffer)
///     θ ← θ - lr · b
/// else:
///     θ ← θ - lr · g / a
/// ```
///
/// State (``RMSpropState``): `step` (float32 scalar), `square_avg`, `momentum_buffer`
/// (momentum > 0), `grad_avg` (centered), all zero-initialised on a parameter's first step.
/// The rule is ``RMSpropRule``.
public final class RMSprop: RuleOptimizer<RMSpropRule> {
  /// Creates RMSprop over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-2). Must be ≥ 0.
  ///   - alpha: smoothing constant of the square average (default 0.99). Must be ≥ 0.
  ///   - eps: added to the root mean square, after the square root (default 1e-8).
  ///     Must be ≥ 0.
  ///   - weightDecay: L2 penalty added to the gradient (default 0). Must be ≥ 0.
  ///   - momentum: momentum factor (default 0). Must be ≥ 0.
  ///   - centered: normalise by an estimate of the gradient's variance (default `false`).
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8,
    weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false,
    maximize: Bool = false, implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "momentum": .number(momentum), "alpha": .number(alpha),
        "eps": .number(eps), "centered": .bool(centered), "weight_decay": .number(weightDecay),
        "maximize": .bool(maximize),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's RMSprop state.
public struct RMSpropState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// Running average of the squared gradient (`square_avg`).
  public var squareAvg: Tensor
  /// Momentum buffer (`momentum_buffer`), with momentum > 0.
  public var momentumBuffer: Tensor?
  /// Running average of the gradient (`grad_avg`), when centered.
  public var gradAvg: Tensor?

  public var stateDict: [String: Tensor] {
    var dict = ["step": Tensor(scalar: Double(step), dtype: .float32), "square_avg": squareAvg]
    if let momentumBuffer { dict["momentum_buffer"] = momentumBuffer }
    if let gradAvg { dict["grad_avg"] = gradAvg }
    return dict
  }
}

/// RMSprop's update rule (`_single_tensor_rmsprop` in PyTorch 2.13).
public struct RMSpropRule: OptimizerRule {
  public static let name = "RMSprop"

  let lr: Double
  let alpha: Double
  let eps: Double
  let weightDecay: Double
  let momentum: Double
  let centered: Bool
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    alpha = group.number("alpha")
    eps = group.number("eps")
    weightDecay = group.weightDecay
    momentum = group.momentum
    centered = group.flag("centered")
    maximize = group.flag("maximize")
  }

  // `!(0 <= x)` as in PyTorch, so NaN is rejected; PyTorch's order.
  public func validate() throws {
    if !(0 <= lr) { throw OptimizerError("Invalid learning rate: \(lr)") }
    if !(0 <= eps) { throw OptimizerError("Invalid epsilon value: \(eps)") }
    if !(0 <= momentum) { throw OptimizerError("Invalid momentum value: \(momentum)") }
    if !(0 <= weightDecay) { throw OptimizerError("Invalid weight_decay value: \(weightDecay)") }
    if !(0 <= alpha) { throw OptimizerError("Invalid alpha value: \(alpha)") }
  }

  public func makeState(for param: Tensor) -> RMSpropState {
    RMSpropState(
      step: 0, squareAvg: Tensor.zerosLike(param),
      momentumBuffer: momentum > 0 ? Tensor.zerosLike(param) : nil,
      gradAvg: centered ? Tensor.zerosLike(param) : nil)
  }

  public func missingStateKey(in state: RMSpropState) -> String? {
    if momentum > 0 && state.momentumBuffer == nil { return "momentum_buffer" }
    if centered && state.gradAvg == nil { return "grad_avg" }
    return nil
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> RMSpropState {
    RMSpropState(
      step: try decoder.scalar("step"), squareAvg: try decoder.tensor("square_avg"),
      momentumBuffer: momentum > 0
        ? try decoder.tensor("momentum_buffer") : try decoder.optionalTensor("momentum_buffer"),
      gradAvg: centered ? try decoder.tensor("grad_avg") : try decoder.optionalTensor("grad_avg"))
  }

  public mutating func beginStep(_ state: inout RMSpropState, for param: Tensor) {
    state.step += 1
  }

  /// The update, element by element, as `_single_tensor_rmsprop` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: RMSpropState, scalars: Void
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let v = BLASVector<T>(state.squareAvg)
    let gradAvg = centered ? state.gradAvg.map { BLASVector<T>($0) } : nil
    let buffer = momentum > 0 ? state.momentumBuffer.map { BLASVector<T>($0) } : nil
    for i in 0..<p.count {
      var d = maximize ? -g[i] : g[i]
      if weightDecay != 0 { d = ElementOps.add(d, p[i], alpha: T(weightDecay)) }  // grad.add(param, alpha=wd)
      v[i] = ElementOps.addcmul(v[i] * T(alpha), d, d, value: T(1 - alpha))  // mul_(α).addcmul_(g, g, 1-α)
      var avg: T
      if let gradAvg {
        gradAvg[i] = ElementOps.lerp(gradAvg[i], d, weight: T(1 - alpha))  // grad_avg.lerp_(grad, 1-α)
        // addcmul(..., value=-1).sqrt_()
        avg = ElementOps.addcmul(v[i], gradAvg[i], gradAvg[i], value: -1).squareRoot()
      } else {
        avg = v[i].squareRoot()
      }
      avg = avg + T(eps)  // avg.add_(eps)
      if let buffer {
        // buf.mul_(μ).addcdiv_(grad, avg)
        buffer[i] = ElementOps.addcdiv(buffer[i] * T(momentum), d, avg, value: 1)
        p[i] = ElementOps.add(p[i], buffer[i], alpha: T(-lr))  // param.add_(buf, alpha=-lr)
      } else {
        p[i] = ElementOps.addcdiv(p[i], d, avg, value: T(-lr))  // param.addcdiv_(grad, avg, value=-lr)
      }
    }
  }

  /// BLAS level 1 for the linear parts (`v ← α·v`, `ḡ ← α·ḡ + (1-α)·(±g) + (1-α)·wd·θ`,
  /// `b ← μ·b`, and `θ ← θ - lr·b` with momentum), then one loop for the squares, square
  /// roots and divisions.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: RMSpropState, scalars: Void
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let v = BLASVector<T>(state.squareAvg)
    let gradAvg = centered ? state.gradAvg.map { BLASVector<T>($0) } : nil
    let buffer = momentum > 0 ? state.momentumBuffer.map { BLASVector<T>($0) } : nil
    let sign: Double = maximize ? -1 : 1
    let hasDecay = weightDecay != 0
    v.scale(by: alpha)
    if let gradAvg {
      gradAvg.scale(by: alpha, adding: g, times: (1 - alpha) * sign)
      if hasDecay { gradAvg.add(p, times: (1 - alpha) * weightDecay) }
    }
    buffer?.scale(by: momentum)

    let signT = T(sign)
    let wd = T(weightDecay)
    let oneMinusAlpha = T(1 - alpha)
    let e = T(eps)
    let negLR = T(-lr)
    @inline(__always) func element(_ i: Int, centered: Bool, momentum: Bool) {
      let d = hasDecay ? signT * g[i] + wd * p[i] : signT * g[i]
      let sq = v[i] + oneMinusAlpha * d * d
      v[i] = sq
      let variance = centered ? sq - gradAvg![i] * gradAvg![i] : sq
      let avg = variance.squareRoot() + e
      if momentum {
        buffer![i] = buffer![i] + d / avg
      } else {
        p[i] = p[i] + negLR * d / avg
      }
    }
    parallelChunks(p.count) { range in
      switch (gradAvg != nil, buffer != nil) {
      case (false, false): for i in range { element(i, centered: false, momentum: false) }
      case (false, true): for i in range { element(i, centered: false, momentum: true) }
      case (true, false): for i in range { element(i, centered: true, momentum: false) }
      case (true, true): for i in range { element(i, centered: true, momentum: true) }
      }
    }
    if let buffer { p.add(buffer, times: -lr) }
  }

  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_rmsprop_f32, float64: descent_rmsprop_f64, bfloat16: descent_rmsprop_bf16,
    float16: descent_rmsprop_f16)

  /// The group's hyperparameters for `RMSpropTemplate.h`, which rounds each to the element
  /// type once.
  public var fusedConfig: descent_rmsprop_config {
    descent_rmsprop_config(
      sign: maximize ? -1 : 1, weight_decay: weightDecay, alpha: alpha, one_minus_alpha: 1 - alpha,
      eps: eps, momentum: momentum, neg_lr: -lr, has_decay: weightDecay != 0 ? 1 : 0,
      centered: centered ? 1 : 0, has_momentum: momentum > 0 ? 1 : 0, reserved: 0)
  }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: RMSpropState, scalars: Void, start: Int64
  ) -> descent_rmsprop_tensor {
    descent_rmsprop_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      square_avg: state.squareAvg.kernelAddress(),
      grad_avg: centered ? state.gradAvg?.kernelAddress() : nil,
      momentum_buffer: momentum > 0 ? state.momentumBuffer?.kernelAddress() : nil, start: start,
      count: Int64(param.count))
  }
}
