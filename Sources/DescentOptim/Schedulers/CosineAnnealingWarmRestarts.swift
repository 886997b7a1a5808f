import Foundation

/// Cosine annealing with warm restarts, SGDR (`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`).
///
/// ```
/// lr = η_min + (initial_lr − η_min) · (1 + cos(π · T_cur / T_i)) / 2
/// ```
///
/// `T_cur` counts the epochs since the last restart and `T_i` is the length of the
/// current cycle: `T_0` at first, multiplied by `T_mult` at each restart.
///
/// ``step()`` adds one epoch; ``step(epoch:)`` jumps to an epoch, which may be fractional,
/// so the schedule can advance every batch:
///
/// ```swift
/// let scheduler = try CosineAnnealingWarmRestarts(optimizer, t0: 10, tMult: 2)
/// for epoch in 0..<20 {
///   for (i, batch) in batches.enumerated() {
///     try train(batch)
///     try scheduler.step(epoch: Double(epoch) + Double(i) / Double(batches.count))
///   }
/// }
/// ```
public final class CosineAnnealingWarmRestarts: LRSchedulerBase {
  /// The length of the first cycle (`T_0`).
  public private(set) var t0: Int
  /// The length of the current cycle (`T_i`).
  public private(set) var tI: Int
  /// The factor by which cycles grow at each restart (`T_mult`).
  public private(set) var tMult: Int
  /// The minimum learning rate (`eta_min`).
  public private(set) var etaMin: Double
  /// The epochs since the last restart, possibly fractional (`T_cur`).
  public private(set) var tCur: Double

  /// - Parameters:
  ///   - optimizer: the optimizer whose groups' `lr` is scheduled.
  ///   - t0: the length of the first cycle, in epochs; positive.
  ///   - tMult: the growth of the cycle length at each restart, ≥ 1 (default 1).
  ///   - etaMin: the minimum learning rate (default 0).
  ///   - lastEpoch: the index of the last epoch when resuming (default -1: start).
  /// - Throws: PyTorch's messages for a non-positive `t0` or a `tMult` below 1.
  public init(
    _ optimizer: Optimizer, t0: Int, tMult: Int = 1, etaMin: Double = 0.0, lastEpoch: Int = -1
  ) throws {
    if t0 <= 0 { throw SchedulerError("Expected positive integer T_0, but got \(t0)") }
    if tMult < 1 { throw SchedulerError("Expected integer T_mult >= 1, but got \(tMult)") }
    self.t0 = t0
    self.tI = t0
    self.tMult = tMult
    self.etaMin = etaMin
    self.tCur = Double(lastEpoch)
    try super.init(optimizer, lastEpoch: lastEpoch)
  }

  override func computeLRs() throws -> [Double] {
    let cosine = cos(Double.pi * tCur / Double(tI))
    return baseLRs.map { etaMin + ($0 - etaMin) * (1 + cosine) / 2 }
  }

  /// Advances by one epoch; a cycle that reaches `T_i` restarts.
  public override func step() throws {
    if lastEpoch < 0 {
      try step(at: 0)
      return
    }
    tCur += 1
    if tCur >= Double(tI) {
      tCur = try Py.modulo(tCur, Double(tI), "CosineAnnealingWarmRestarts' T_i")
      tI *= tMult
    }
    try apply(epoch: Double(lastEpoch + 1))
  }

  /// Jumps to `epoch` (≥ 0), which may be fractional: `T_cur` and `T_i` are recomputed
  /// from `T_0` and `T_mult`, and ``LRSchedulerBase/lastEpoch`` becomes `⌊epoch⌋`.
  ///
  /// - Throws: `"Expected non-negative epoch, but got -1.0"` for a negative epoch.
  public func step(epoch: Double) throws {
    try step(at: epoch)
  }

  private func step(at epoch: Double) throws {
    if epoch < 0 { throw SchedulerError("Expected non-negative epoch, but got \(Py.repr(epoch))") }
    if epoch >= Double(t0) {
      if tMult == 1 {
        tCur = try Py.modulo(epoch, Double(t0), "CosineAnnealingWarmRestarts' T_0")
      } else {
        let m = Double(tMult)
        let n = Int(log(epoch / Double(t0) * (m - 1) + 1) / log(m))
        let grown = t0 * power(tMult, n)
        tCur = epoch - Double(t0 * (power(tMult, n) - 1)) / (m - 1)
        tI = grown
      }
    } else {
      tI = t0
      tCur = epoch
    }
    try apply(epoch: epoch)
  }

  private func apply(epoch: Double) throws {
    lastEpoch = Int(epoch.rounded(.down))
    try setGroupLRs(try computeLRs())
  }

  private func power(_ base: Int, _ exponent: Int) -> Int {
    var result = 1
    for _ in 0..<exponent { result *= base }
    return result
  }

  override func encodeState(into dict: inout SchedulerStateDict) {
    super.encodeState(into: &dict)
    dict["T_0"] = .int(t0)
    dict["T_i"] = .int(tI)
    dict["T_mult"] = .int(tMult)
    dict["eta_min"] = .double(etaMin)
    // PyTorch keeps an int until a fractional epoch makes it a float.
    dict["T_cur"] = tCur.rounded() == tCur && abs(tCur) < 1e15 ? .int(Int(tCur)) : .double(tCur)
  }

  override func decodeState(_ reader: StateReader) throws -> () -> Void {
    let t0 = try reader.int("T_0", or: self.t0)
    let tI = try reader.int("T_i", or: self.tI)
    let tMult = try reader.int("T_mult", or: self.tMult)
    let etaMin = try reader.double("eta_min", or: self.etaMin)
    let tCur = try reader.double("T_cur", or: self.tCur)
    let base = try super.decodeState(reader)
    return { [self] in
      base()
      self.t0 = t0
      self.tI = tI
      self.tMult = tMult
      self.etaMin = etaMin
      self.tCur = tCur
    }
  }
}
