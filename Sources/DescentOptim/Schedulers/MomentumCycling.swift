/// Which hyperparameter the cyclic schedules (``CyclicLR``, ``OneCycleLR``) move against
/// the learning rate: `momentum` (SGD, RMSprop) or the first of `betas` (Adam, AdamW),
/// whichever the param groups have; `betas` wins when both exist, as in PyTorch. (PyTorch
/// looks at `optimizer.defaults`, from which every group is completed, so the groups have
/// the same keys.)
enum CycledMomentum {
  /// Throws PyTorch's message when the optimizer has neither.
  static func usesBeta1(_ optimizer: Optimizer) throws -> Bool {
    let groups = optimizer.paramGroups
    if groups.allSatisfy({ $0["betas"]?.numbers?.isEmpty == false }) { return true }
    if groups.allSatisfy({ $0["momentum"]?.number != nil }) { return false }
    throw SchedulerError(
      "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
  }

  /// Sets group `index`'s momentum, or the first of its betas, to `value`.
  static func set(_ value: Double, group index: Int, of optimizer: Optimizer, useBeta1: Bool) throws {
    if useBeta1 {
      guard let betas = optimizer.paramGroups[index]["betas"]?.numbers, !betas.isEmpty else {
        throw SchedulerError("param group \(index) has no 'betas' to cycle")
      }
      optimizer.paramGroups[index]["betas"] = .numbers([value] + betas.dropFirst())
    } else {
      optimizer.paramGroups[index]["momentum"] = .number(value)
    }
  }

  /// Group `index`'s number under `key` (a key that a cyclic schedule wrote).
  static func number(_ key: String, group index: Int, of optimizer: Optimizer) throws -> Double {
    guard let value = optimizer.paramGroups[index][key]?.number else {
      throw SchedulerError("param group \(index) has no '\(key)'")
    }
    return value
  }
}
