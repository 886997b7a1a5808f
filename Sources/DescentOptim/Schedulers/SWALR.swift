import Foundation

/// Anneals each group's learning rate to a fixed `swa_lr` over `annealEpochs` epochs and
/// keeps it there (`torch.optim.swa_utils.SWALR`): the schedule of stochastic weight
/// averaging, used with ``AveragedTensors`` or DescentSWA's `AveragedModel`.
///
/// Each step works backwards from the group's current `lr` to the rate the previous step
/// started from, then forwards, so that a rate changed by hand or by another scheduler is
/// carried along, as in PyTorch:
///
/// ```
/// s = _step_count − 1                        (at least 1 when anneal_epochs = 0)
/// α(t) = (1 − cos(π·t)) / 2   (cos)   or   t   (linear)
/// α_prev = α(clamp((s − 1) / max(1, anneal_epochs), 0, 1))
/// lr_prev = swa_lr  if α_prev = 1,  else  (lr − α_prev·swa_lr) / (1 − α_prev)
/// α = α(clamp(s / max(1, anneal_epochs), 0, 1))
/// lr ← swa_lr · α + lr_prev · (1 − α)
/// ```
///
/// Construction writes `swa_lr` into every param group, as PyTorch does.
public final class SWALR: LRSchedulerBase {
  /// How the rate moves from its value to `swa_lr` (`anneal_strategy`).
  public enum AnnealStrategy: String, Sendable {
    /// `α(t) = (1 − cos(π·t)) / 2`.
    case cos
    /// `α(t) = t`.
    case linear
  }

  /// The number of epochs of the annealing phase (`anneal_epochs`).
  public private(set) var annealEpochs: Int
  /// The annealing curve (`_anneal_strategy`).
  public private(set) var annealStrategy: AnnealStrategy

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - swaLR: the rate to anneal to: one for every group, or a list with one per group.
  ///   - annealEpochs: the number of epochs of the annealing phase (default 10). Must be
  ///     ≥ 0; 0 jumps to `swaLR` at once.
  ///   - annealStrategy: ``AnnealStrategy/cos`` (default) or ``AnnealStrategy/linear``.
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  /// - Throws: PyTorch's messages for a list of the wrong length or a negative
  ///   `annealEpochs`; nothing in the optimizer changes then.
  public init(
    _ optimizer: Optimizer, swaLR: some GroupValuesConvertible, annealEpochs: Int = 10,
    annealStrategy: AnnealStrategy = .cos, lastEpoch: Int = -1
  ) throws {
    let swaLRs = try swaLR.groupValues.perGroup("swa_lr", optimizer)
    if annealEpochs < 0 {
      throw SchedulerError("anneal_epochs must be equal or greater than 0, got \(annealEpochs)")
    }
    let snapshot = optimizer.paramGroups.map(\.hyperparameters)
    for (i, value) in swaLRs.enumerated() { optimizer.paramGroups[i]["swa_lr"] = .number(value) }
    self.annealEpochs = annealEpochs
    self.annealStrategy = annealStrategy
    try super.init(optimizer, lastEpoch: lastEpoch, snapshot: snapshot)
  }

  private func anneal(_ t: Double) -> Double {
    switch annealStrategy {
    case .cos: (1 - cos(Double.pi * t)) / 2
    case .linear: t
    }
  }

  override func computeLRs() throws -> [Double] {
    var step = stepCount - 1
    if annealEpochs == 0 { step = max(1, step) }
    let epochs = Double(max(1, annealEpochs))
    let prevAlpha = anneal(max(0, min(1, Double(step - 1) / epochs)))
    let alpha = anneal(max(0, min(1, Double(step) / epochs)))
    return try optimizer.paramGroups.enumerated().map { i, group in
      guard let swaLR = group["swa_lr"]?.number else {
        throw SchedulerError("param 'swa_lr' is not specified in param_groups[\(i)]")
      }
      // _get_initial_lr
      let prevLR = prevAlpha == 1 ? swaLR : (group.lr - prevAlpha * swaLR) / (1 - prevAlpha)
      return swaLR * alpha + prevLR * (1 - alpha)
    }
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["anneal_epochs"] = .int(annealEpochs)
    dict["_anneal_strategy"] = .string(annealStrategy.rawValue)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let annealEpochs = try reader.int("anneal_epochs", or: self.annealEpochs)
    let strategyName = try reader.string("_anneal_strategy", or: annealStrategy.rawValue)
    guard let strategy = AnnealStrategy(rawValue: strategyName) else {
      throw SchedulerError(
        "anneal_strategy must be one of 'cos' or 'linear', instead got \(strategyName)")
    }
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.annealEpochs = annealEpochs
      self.annealStrategy = strategy
    }
  }
}
