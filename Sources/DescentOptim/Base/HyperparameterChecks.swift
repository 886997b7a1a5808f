/// The range checks that PyTorch's optimizer constructors repeat, with their messages.
/// Each is written `!(0 <= x)` as PyTorch's `not 0.0 <= x`, so NaN is rejected too; a
/// rule's `validate()` calls them in its PyTorch constructor's order.
enum HyperparameterChecks {
  /// `Invalid learning rate: …`
  static func learningRate(_ lr: Double) throws {
    if !(0 <= lr) { throw OptimizerError("Invalid learning rate: \(lr)") }
  }

  /// `Invalid epsilon value: …`
  static func epsilon(_ eps: Double) throws {
    if !(0 <= eps) { throw OptimizerError("Invalid epsilon value: \(eps)") }
  }

  /// `Invalid beta parameter at index 0: …`, then index 1: each must be in [0, 1).
  static func betas(_ beta1: Double, _ beta2: Double) throws {
    if !(0 <= beta1 && beta1 < 1) {
      throw OptimizerError("Invalid beta parameter at index 0: \(beta1)")
    }
    if !(0 <= beta2 && beta2 < 1) {
      throw OptimizerError("Invalid beta parameter at index 1: \(beta2)")
    }
  }

  /// `Invalid weight_decay value: …`
  static func weightDecay(_ weightDecay: Double) throws {
    if !(0 <= weightDecay) { throw OptimizerError("Invalid weight_decay value: \(weightDecay)") }
  }
}
