/// What ``Optimizer/hasFusedKernels`` asks of a ``RuleOptimizer`` without knowing its rule.
protocol FusedKernelReporting {
  var ruleHasFusedKernels: Bool { get }
}

extension RuleOptimizer: FusedKernelReporting {
  var ruleHasFusedKernels: Bool { Rule.fusedKernels != nil }
}

extension Optimizer {
  /// Whether the optimizer has fused C kernels (``OptimizerImplementation/fused``). Those
  /// whose update is not elementwise (``Adafactor``) have none, and run their BLAS form
  /// when the fused kernels are selected.
  public var hasFusedKernels: Bool {
    (self as? FusedKernelReporting)?.ruleHasFusedKernels ?? false
  }
}
