/// The per-group functions of ``LambdaLR`` and ``MultiplicativeLR`` (`lr_lambdas`).
enum EpochFunctions {
  /// `function` for each of `optimizer`'s groups.
  static func repeated(_ function: @escaping (Int) -> Double, for optimizer: Optimizer) -> [(Int) -> Double] {
    Array(repeating: function, count: optimizer.paramGroups.count)
  }

  /// `functions`, which must have one per group (PyTorch's message otherwise).
  static func checked(_ functions: [(Int) -> Double], for optimizer: Optimizer) throws -> [(Int) -> Double] {
    guard functions.count == optimizer.paramGroups.count else {
      throw SchedulerError("Expected \(optimizer.paramGroups.count) lr_lambdas, but got \(functions.count)")
    }
    return functions
  }

  /// Their state-dict entry: `None` for each, as PyTorch saves no lambda.
  static func stateValue(count: Int) -> SchedulerStateValue {
    .list(Array(repeating: .null, count: count))
  }
}
