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
/// State: `momentum_buffer` (only with momentum).
public final class SGD: Optimizer {
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
  ///   - implementation: BLAS or fused kernels (default ``OptimizerImplementation/default``).
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

  // PyTorch's comparisons, in PyTorch's order: `lr < 0` lets NaN through, as in PyTorch.
  public override class func checkHyperparameters(_ h: [String: HyperValue]) throws {
    let lr = h["lr"]!.number!
    let momentum = h["momentum"]!.number!
    let dampening = h["dampening"]!.number!
    let weightDecay = h["weight_decay"]!.number!
    if lr < 0 { throw OptimizerError("Invalid learning rate: \(lr)") }
    if momentum < 0 { throw OptimizerError("Invalid momentum value: \(momentum)") }
    if weightDecay < 0 { throw OptimizerError("Invalid weight_decay value: \(weightDecay)") }
    if h["nesterov"]!.bool! && (momentum <= 0 || dampening != 0) {
      throw OptimizerError("Nesterov momentum requires a momentum and zero dampening")
    }
  }

  private static let bufferKey = ["momentum_buffer"]

  /// The fused path's entries, reused from step to step.
  private let fusedTables = KernelTables<descent_sgd_tensor>()

  public override func update(_ group: ParamGroup) throws {
    let kernel = SGDKernel(group)
    let fused = implementation == .fused
    if fused { fusedTables.reset() }
    forEachParameterWithGrad(in: group) { param, grad, state in
      var buffer: Tensor?
      var firstStep = false
      if kernel.momentum != 0 {
        if let existing = state.slots(Self.bufferKey)[0] {
          buffer = existing
        } else {
          let fresh = Tensor.zerosLike(param)
          state.values["momentum_buffer"] = fresh
          buffer = fresh
          firstStep = true
        }
      }
      if fused {
        // One pass over the whole group after the loop.
        let table = fusedTables.table(for: param.dtype)
        if grad !== param.grad { table.keepAlive(grad) }
        table.append(
          kernel.fusedEntry(
            start: table.nextStart, param: param, grad: grad, buffer: buffer, firstStep: firstStep),
          elements: param.count)
        return
      }
      func run<T: TensorScalar>(_ type: T.Type) {
        withExtendedLifetime((param, grad, buffer)) {
          kernel.blas(
            count: param.count, param: param.rawPointer(T.self), grad: grad.rawPointer(T.self),
            buffer: buffer?.rawPointer(T.self), firstStep: firstStep)
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
