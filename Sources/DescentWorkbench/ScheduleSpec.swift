import ArgumentParser
import DescentOptim

/// A learning-rate schedule named on the command line, stepped once per epoch:
///
/// - `none`: a constant rate (the default);
/// - `step:STEP_SIZE,GAMMA`: `StepLR(stepSize: STEP_SIZE, gamma: GAMMA)`, e.g. `step:20,0.5`;
/// - `cosine`, `cosine:T_MAX` or `cosine:T_MAX,ETA_MIN`: `CosineAnnealingLR`, with `T_MAX`
///   the number of epochs unless given and `ETA_MIN` 0 unless given;
/// - `exponential:GAMMA`: `ExponentialLR(gamma: GAMMA)`.
public enum ScheduleSpec: Equatable, Sendable, CustomStringConvertible {
  /// A constant learning rate.
  case none
  /// `StepLR`.
  case step(stepSize: Int, gamma: Double)
  /// `CosineAnnealingLR`; `tMax` `nil` means the run's epoch count.
  case cosine(tMax: Int?, etaMin: Double)
  /// `ExponentialLR`.
  case exponential(gamma: Double)

  /// Parses the forms listed on the type, throwing a message that names what is wrong.
  public init(parsing text: String) throws {
    let lower = text.lowercased()
    let (name, rest) =
      lower.firstIndex(of: ":").map { (String(lower[..<$0]), String(lower[lower.index(after: $0)...])) }
      ?? (lower, "")
    let values =
      rest.isEmpty ? [] : rest.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    func number(_ index: Int, _ what: String) throws -> Double {
      guard let value = Double(values[index].trimmingCharacters(in: .whitespaces)), value.isFinite else {
        throw ValidationError("schedule '\(text)': \(what) '\(values[index])' is not a number")
      }
      return value
    }
    func count(_ index: Int, _ what: String) throws -> Int {
      guard let value = Int(values[index].trimmingCharacters(in: .whitespaces)), value > 0 else {
        throw ValidationError("schedule '\(text)': \(what) '\(values[index])' is not a positive whole number")
      }
      return value
    }
    switch (name, values.count) {
    case ("none", 0), ("constant", 0):
      self = .none
    case ("step", 2):
      self = .step(stepSize: try count(0, "STEP_SIZE"), gamma: try number(1, "GAMMA"))
    case ("cosine", 0):
      self = .cosine(tMax: nil, etaMin: 0)
    case ("cosine", 1):
      self = .cosine(tMax: try count(0, "T_MAX"), etaMin: 0)
    case ("cosine", 2):
      self = .cosine(tMax: try count(0, "T_MAX"), etaMin: try number(1, "ETA_MIN"))
    case ("exponential", 1):
      self = .exponential(gamma: try number(0, "GAMMA"))
    default:
      throw ValidationError(
        "unknown schedule '\(text)'; expected none, step:STEP_SIZE,GAMMA, cosine[:T_MAX[,ETA_MIN]] or exponential:GAMMA"
      )
    }
  }

  /// The scheduler over `optimizer` for a run of `epochs` epochs, or `nil` for ``none``.
  public func make(_ optimizer: Optimizer, epochs: Int) throws -> (any LRScheduler)? {
    switch self {
    case .none: nil
    case .step(let stepSize, let gamma): try StepLR(optimizer, stepSize: stepSize, gamma: gamma)
    case .cosine(let tMax, let etaMin):
      try CosineAnnealingLR(optimizer, tMax: tMax ?? max(1, epochs), etaMin: etaMin)
    case .exponential(let gamma): try ExponentialLR(optimizer, gamma: gamma)
    }
  }

  /// The spelling that parses back to this schedule (`step:20,0.5`).
  public var description: String {
    switch self {
    case .none: "none"
    case .step(let stepSize, let gamma): "step:\(stepSize),\(gamma)"
    case .cosine(nil, 0): "cosine"
    case .cosine(let tMax?, 0): "cosine:\(tMax)"
    case .cosine(let tMax, let etaMin): "cosine:\(tMax.map(String.init) ?? "epochs"),\(etaMin)"
    case .exponential(let gamma): "exponential:\(gamma)"
    }
  }
}
