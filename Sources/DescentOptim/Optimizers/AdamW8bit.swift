import Descent

/// AdamW with 8-bit state (bitsandbytes' `bnb.optim.AdamW8bit`): ``Adam8bit`` with a
/// default weight decay of 1e-2.
///
/// bitsandbytes runs the same "adam" kernels for both classes and decays the parameter
/// directly in both (`θ ← θ·(1 - lr·weight_decay)` before the update, when
/// `weight_decay > 0`); the classes differ only in that default. The update, the block-wise
/// quantization and the state are ``Adam8bit``'s.
public final class AdamW8bit: Adam8bit {
  /// Creates 8-bit AdamW over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-3). Must be ≥ 0.
  ///   - betas: coefficients of the running averages (default (0.9, 0.999)), each in [0, 1).
  ///   - eps: added to the denominator (default 1e-8). Must be ≥ 0.
  ///   - weightDecay: decoupled weight decay (default 1e-2). Must be ≥ 0.
  ///   - minEightBitSize: parameters with fewer elements keep float32 state (default 4096).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` for an invalid value, a parameter that is not float32, or
  ///   an invalid parameter list.
  public override init(
    _ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 1e-2, minEightBitSize: Int = 4096,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
      minEightBitSize: minEightBitSize, implementation: implementation)
  }
}
