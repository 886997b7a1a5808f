import Descent

/// AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay, which shrinks the
/// parameter by `lr · weight_decay` each step instead of adding an L2 term to the gradient.
///
/// As in PyTorch 2.13, it is ``Adam`` with `decoupled_weight_decay` set to `true`, and a
/// default weight decay of 1e-2. Loading a state dict keeps `decoupled_weight_decay` true.
public final class AdamW: Adam {
  /// Creates AdamW over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-3). Must be ≥ 0.
  ///   - betas: coefficients of the running averages (default (0.9, 0.999)), each in [0, 1).
  ///   - eps: added to the denominator (default 1e-8). Must be ≥ 0.
  ///   - weightDecay: decoupled weight decay (default 1e-2). Must be ≥ 0.
  ///   - amsgrad: use the maximum of past square averages (default `false`).
  ///   - maximize: maximize the objective (default `false`).
  ///   - stateDType: the dtype of the moments (default `nil`: the parameter's); see
  ///     ``Adam``.
  ///   - stateRounding: how half-precision state is rounded (default
  ///     ``StateRounding/nearest``); see ``Adam``.
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false,
    maximize: Bool = false, stateDType: DType? = nil, stateRounding: StateRounding = .nearest,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
      maximize: maximize, decoupledWeightDecay: true, stateDType: stateDType,
      stateRounding: stateRounding, implementation: implementation)
  }

  // PyTorch's `AdamW.__setstate__`.
  override func adjustLoadedGroup(_ group: inout ParamGroup) {
    group["decoupled_weight_decay"] = true
  }
}
