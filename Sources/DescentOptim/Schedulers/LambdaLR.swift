/// Sets each group's learning rate to its initial value times a function of the epoch
/// (`torch.optim.lr_scheduler.LambdaLR`).
///
/// ```
/// lr = initial_lr · lr_lambda(last_epoch)
/// ```
///
/// ```swift
/// let warmUp = try LambdaLR(optimizer) { epoch in min(1.0, Double(epoch + 1) / 10) }
/// let perGroup = try LambdaLR(optimizer, lrLambda: [{ $0 < 30 ? 1 : 0.1 }, { pow(0.95, Double($0)) }])
/// ```
///
/// The closures are not part of ``LRSchedulerBase/stateDict()`` (PyTorch does not save lambdas either):
/// pass the same closures to the new scheduler before loading its state.
public final class LambdaLR: LRSchedulerBase {
  /// One function per group (`lr_lambdas`).
  public let lrLambdas: [(Int) -> Double]

  /// One function for every group.
  ///
  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - lrLambda: the factor for an epoch index.
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  public convenience init(
    _ optimizer: Optimizer, lrLambda: @escaping (Int) -> Double, lastEpoch: Int = -1
  ) throws {
    try self.init(
      optimizer, lrLambda: EpochFunctions.repeated(lrLambda, for: optimizer), lastEpoch: lastEpoch)
  }

  /// One function per group.
  ///
  /// - Throws: `"Expected 2 lr_lambdas, but got 3"` when the count differs from the
  ///   number of groups.
  public init(_ optimizer: Optimizer, lrLambda: [(Int) -> Double], lastEpoch: Int = -1) throws {
    self.lrLambdas = try EpochFunctions.checked(lrLambda, for: optimizer)
    try super.init(optimizer, lastEpoch: lastEpoch)
  }

  override func computeLRs() throws -> [Double] {
    guard lrLambdas.count == baseLRs.count else {
      throw SchedulerError("LambdaLR has \(lrLambdas.count) lr_lambdas, but \(baseLRs.count) base_lrs")
    }
    return zip(lrLambdas, baseLRs).map { lambda, baseLR in baseLR * lambda(lastEpoch) }
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["lr_lambdas"] = EpochFunctions.stateValue(count: lrLambdas.count)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    try reader.closures("lr_lambdas", count: lrLambdas.count)
    return try super.decodeState(reader)
  }
}
