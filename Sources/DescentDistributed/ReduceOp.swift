/// How ``ProcessGroup/allReduce(_:op:)`` and ``ProcessGroup/reduceScatter(_:into:op:counts:)``
/// combine the ranks' values (`torch.distributed.ReduceOp`).
public enum ReduceOp: String, Sendable, CaseIterable {
  /// The elementwise sum over ranks (`SUM`).
  case sum
  /// The elementwise mean over ranks: the sum, then multiplied by `1 / worldSize` (`AVG`).
  case avg
  /// The elementwise maximum over ranks (`MAX`).
  case max
}
