import Foundation

/// Anneals each group's learning rate along a cosine from its initial value to `etaMin`
/// over `tMax` epochs (`torch.optim.lr_scheduler.CosineAnnealingLR`), without restarts:
/// past `tMax` the cosine climbs back.
///
/// The update is PyTorch's recursive form, which starts from the group's current `lr`:
///
/// ```
/// lr ← η_min + (lr − η_min) · (1 + cos(π·t/T_max)) / (1 + cos(π·(t−1)/T_max))
/// lr ← lr + (η_max − η_min) · (1 − cos(π/T_max)) / 2     when (t − 1 − T_max) mod 2·T_max = 0
/// ```
///
/// with `t = last_epoch` and `η_max` the group's `initial_lr`. Without outside changes to
/// `lr` it follows the closed form of SGDR,
/// `η_t = η_min + (η_max − η_min) · (1 + cos(π·t/T_max)) / 2`; after a change by hand it
/// does not, exactly as PyTorch's does not.
public final class CosineAnnealingLR: LRSchedulerBase {
  /// Half the period, in epochs (`T_max`).
  public private(set) var tMax: Int
  /// The minimum learning rate (`eta_min`).
  public private(set) var etaMin: Double

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - tMax: the number of epochs from the initial rate down to `etaMin`. A step with
  ///     `tMax` 0 throws, as PyTorch's raises `ZeroDivisionError`.
  ///   - etaMin: the minimum learning rate (default 0).
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  public init(_ optimizer: Optimizer, tMax: Int, etaMin: Double = 0.0, lastEpoch: Int = -1) throws {
    self.tMax = tMax
    self.etaMin = etaMin
    try super.init(optimizer, lastEpoch: lastEpoch)
  }

  override func computeLRs() throws -> [Double] {
    if isInitial { return currentLRs }
    let context = "CosineAnnealingLR's T_max is 0"
    let t = Double(tMax)
    if stepCount == 1 && lastEpoch > 0 {
      let cosine = cos(try Py.divide(Double(lastEpoch) * Double.pi, t, context))
      return try baseLRsByGroup().map { baseLR, _ in etaMin + (baseLR - etaMin) * (1 + cosine) / 2 }
    }
    if try Py.isMultiple(lastEpoch - 1 - tMax, of: 2 * tMax, "CosineAnnealingLR's T_max is 0") {
      let rise = 1 - cos(try Py.divide(Double.pi, t, context))
      return try baseLRsByGroup().map { baseLR, lr in lr + (baseLR - etaMin) * rise / 2 }
    }
    let ratio = try Py.divide(
      1 + cos(try Py.divide(Double.pi * Double(lastEpoch), t, context)),
      1 + cos(try Py.divide(Double.pi * Double(lastEpoch - 1), t, context)),
      "CosineAnnealingLR at epoch \(lastEpoch) of T_max \(tMax)")
    return currentLRs.map { lr in ratio * (lr - etaMin) + etaMin }
  }

  override func closedFormLRs() throws -> [Double]? {
    let cosine = cos(
      try Py.divide(Double.pi * Double(lastEpoch), Double(tMax), "CosineAnnealingLR's T_max is 0"))
    return baseLRs.map { etaMin + ($0 - etaMin) * (1 + cosine) / 2 }
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["T_max"] = .int(tMax)
    dict["eta_min"] = .double(etaMin)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let tMax = try reader.int("T_max", or: self.tMax)
    let etaMin = try reader.double("eta_min", or: self.etaMin)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.tMax = tMax
      self.etaMin = etaMin
    }
  }
}
