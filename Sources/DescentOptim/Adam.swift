import CDescentKernels
import Descent

/// Adam (`torch.optim.Adam`), with AMSGrad and optional decoupled weight decay.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update at step `t` (counted per
/// parameter):
///
/// ```
/// g ← -g                                      if maximize
/// θ ← θ · (1 - lr · weight_decay)             if decoupled_weight_decay (AdamW)
/// g ← g + weight_decay · θ                    otherwise, if weight_decay ≠ 0
/// m ← lerp(m, g, 1 - β₁)                      (exp_avg)
/// v ← β₂ · v + (1 - β₂) · g²                  (exp_avg_sq)
/// v̂ ← max(v̂, v); use v̂ instead of v          if amsgrad (max_exp_avg_sq)
/// θ ← θ - lr / (1 - β₁ᵗ) · m / (sqrt(v) / sqrt(1 - β₂ᵗ) + eps)
/// ```
///
/// State: `step` (float32 scalar), `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` (AMSGrad),
/// zero-initialised on a parameter's first step.
public class Adam: Optimizer {
  /// Creates Adam over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-3). Must be ≥ 0.
  ///   - betas: coefficients of the running averages of the gradient and its square
  ///     (default (0.9, 0.999)). Each must be in [0, 1).
  ///   - eps: added to the denominator (default 1e-8). Must be ≥ 0.
  ///   - weightDecay: weight decay (default 0): an L2 penalty added to the gradient, or,
  ///     with `decoupledWeightDecay`, a shrink of the parameter. Must be ≥ 0.
  ///   - amsgrad: use the maximum of past square averages (default `false`).
  ///   - maximize: maximize the objective (default `false`).
  ///   - decoupledWeightDecay: decay the parameter directly, as AdamW (default `false`).
  ///   - implementation: BLAS or fused kernels (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false,
    maximize: Bool = false, decoupledWeightDecay: Bool = false,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "betas": .numbers([betas.0, betas.1]), "eps": .number(eps),
        "weight_decay": .number(weightDecay), "amsgrad": .bool(amsgrad),
        "maximize": .bool(maximize), "decoupled_weight_decay": .bool(decoupledWeightDecay),
      ], implementation: implementation)
  }

  // `!(0 <= x)` as in PyTorch, so NaN is rejected; PyTorch's order.
  public override class func checkHyperparameters(_ h: [String: HyperValue]) throws {
    let lr = h["lr"]!.number!
    let eps = h["eps"]!.number!
    let betas = h["betas"]!.numbers!
    let weightDecay = h["weight_decay"]!.number!
    if !(0 <= lr) { throw OptimizerError("Invalid learning rate: \(lr)") }
    if !(0 <= eps) { throw OptimizerError("Invalid epsilon value: \(eps)") }
    if !(0 <= betas[0] && betas[0] < 1) {
      throw OptimizerError("Invalid beta parameter at index 0: \(betas[0])")
    }
    if !(0 <= betas[1] && betas[1] < 1) {
      throw OptimizerError("Invalid beta parameter at index 1: \(betas[1])")
    }
    if !(0 <= weightDecay) { throw OptimizerError("Invalid weight_decay value: \(weightDecay)") }
  }

  public override func requiredStateKeys(for group: ParamGroup) -> [String] {
    group.amsgrad ? Self.amsgradStateKeys : Self.stateKeys
  }
  // Stored, so that the check before each step does not allocate.
  private static let stateKeys = ["step", "exp_avg", "exp_avg_sq"]
  private static let amsgradStateKeys = ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]

  /// The fused path's entries, reused from step to step.
  private let fusedTables = KernelTables<descent_adam_tensor>()

  public override func update(_ group: ParamGroup) throws {
    let kernel = AdamKernel(group)
    let fused = implementation == .fused
    if fused { fusedTables.reset() }
    let keys = requiredStateKeys(for: group)
    // Steps are counted per parameter but are almost always equal: the bias corrections
    // (two `pow`s) are computed once per distinct step.
    var scalarsStep = -1.0
    var scalars = AdamKernel.StepScalars(stepSize: 0, biasCorrection2Sqrt: 1)
    forEachParameterWithGrad(in: group) { param, grad, state in
      if state.values.isEmpty {
        state.values["step"] = Tensor(scalar: 0, dtype: .float32)
        state.values["exp_avg"] = Tensor.zerosLike(param)
        state.values["exp_avg_sq"] = Tensor.zerosLike(param)
        if kernel.amsgrad { state.values["max_exp_avg_sq"] = Tensor.zerosLike(param) }
      }
      let slots = state.slots(keys)
      let step = ParamState.increment(slots[0]!)
      let expAvg = slots[1]!
      let expAvgSq = slots[2]!
      let maxExpAvgSq = kernel.amsgrad ? slots[3]! : nil
      if step != scalarsStep {
        scalarsStep = step
        scalars = kernel.scalars(step: step)
      }
      if fused {
        // One pass over the whole group after the loop; the tensors stay alive in the
        // group, the gradients and the state (or the table, for a copied gradient).
        let table = fusedTables.table(for: param.dtype)
        if grad !== param.grad { table.keepAlive(grad) }
        table.append(
          kernel.fusedEntry(
            start: table.nextStart, param: param, grad: grad, expAvg: expAvg, expAvgSq: expAvgSq,
            maxExpAvgSq: maxExpAvgSq, scalars: scalars),
          elements: param.count)
        return
      }
      func run<T: TensorScalar>(_: T.Type) {
        withExtendedLifetime((param, grad, expAvg, expAvgSq, maxExpAvgSq)) {
          let buffers = AdamKernel.Buffers<T>(
            param: param.rawPointer(T.self), grad: grad.rawPointer(T.self),
            expAvg: expAvg.rawPointer(T.self), expAvgSq: expAvgSq.rawPointer(T.self),
            maxExpAvgSq: maxExpAvgSq?.rawPointer(T.self))
          kernel.blas(count: param.count, buffers, scalars)
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
