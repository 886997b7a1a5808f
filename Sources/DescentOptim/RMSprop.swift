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
/// State: `step` (float32 scalar), `square_avg`, `momentum_buffer` (momentum > 0),
/// `grad_avg` (centered), all zero-initialised on a parameter's first step.
public final class RMSprop: Optimizer {
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
  ///   - implementation: BLAS or fused kernels (default ``OptimizerImplementation/default``).
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

  // `!(0 <= x)` as in PyTorch, so NaN is rejected; PyTorch's order.
  public override class func checkHyperparameters(_ h: [String: HyperValue]) throws {
    let lr = h["lr"]!.number!
    let eps = h["eps"]!.number!
    let momentum = h["momentum"]!.number!
    let weightDecay = h["weight_decay"]!.number!
    let alpha = h["alpha"]!.number!
    if !(0 <= lr) { throw OptimizerError("Invalid learning rate: \(lr)") }
    if !(0 <= eps) { throw OptimizerError("Invalid epsilon value: \(eps)") }
    if !(0 <= momentum) { throw OptimizerError("Invalid momentum value: \(momentum)") }
    if !(0 <= weightDecay) { throw OptimizerError("Invalid weight_decay value: \(weightDecay)") }
    if !(0 <= alpha) { throw OptimizerError("Invalid alpha value: \(alpha)") }
  }

  public override func requiredStateKeys(for group: ParamGroup) -> [String] {
    Self.stateKeys[(group.momentum > 0 ? 1 : 0) + (group.centered ? 2 : 0)]
  }
  // Stored, so that the check before each step does not allocate; indexed by
  // momentum + 2·centered.
  private static let stateKeys = [
    ["step", "square_avg"], ["step", "square_avg", "momentum_buffer"],
    ["step", "square_avg", "grad_avg"], ["step", "square_avg", "momentum_buffer", "grad_avg"],
  ]

  /// The fused path's entries, reused from step to step.
  private let fusedTables = KernelTables<descent_rmsprop_tensor>()

  public override func update(_ group: ParamGroup) throws {
    let kernel = RMSpropKernel(group)
    let fused = implementation == .fused
    if fused { fusedTables.reset() }
    // ["step", "square_avg", "momentum_buffer"?, "grad_avg"?]
    let keys = requiredStateKeys(for: group)
    forEachParameterWithGrad(in: group) { param, grad, state in
      if state.values.isEmpty {
        state.values["step"] = Tensor(scalar: 0, dtype: .float32)
        state.values["square_avg"] = Tensor.zerosLike(param)
        if kernel.momentum > 0 { state.values["momentum_buffer"] = Tensor.zerosLike(param) }
        if kernel.centered { state.values["grad_avg"] = Tensor.zerosLike(param) }
      }
      let slots = state.slots(keys)
      ParamState.increment(slots[0]!)
      let squareAvg = slots[1]!
      let buffer = kernel.momentum > 0 ? slots[2]! : nil
      let gradAvg = kernel.centered ? slots[slots.count - 1]! : nil
      if fused {
        // One pass over the whole group after the loop.
        let table = fusedTables.table(for: param.dtype)
        if grad !== param.grad { table.keepAlive(grad) }
        table.append(
          kernel.fusedEntry(
            start: table.nextStart, param: param, grad: grad, squareAvg: squareAvg,
            gradAvg: gradAvg, buffer: buffer),
          elements: param.count)
        return
      }
      func run<T: TensorScalar>(_: T.Type) {
        withExtendedLifetime((param, grad, squareAvg, gradAvg, buffer)) {
          let buffers = RMSpropKernel.Buffers<T>(
            param: param.rawPointer(T.self), grad: grad.rawPointer(T.self),
            squareAvg: squareAvg.rawPointer(T.self), gradAvg: gradAvg?.rawPointer(T.self),
            buffer: buffer?.rawPointer(T.self))
          kernel.blas(count: param.count, buffers)
        }
      }
      if param.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    }
    if fused {
      kernel.runFused(fusedTables)
      fusedTables.reset()
    }
  }
}
