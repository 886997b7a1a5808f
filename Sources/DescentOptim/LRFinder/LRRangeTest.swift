import Foundation

/// What an ``LRFinder`` run recorded, and the learning rates it suggests.
///
/// Both suggestions are fastai's and read the smoothed losses of a window that leaves out
/// the first tenth of the planned steps (`steps / 10`, rounded down: the average is still
/// settling) and the last 5 recorded steps (where a diverging loss shoots up); steps after a
/// non-finite smoothed loss are left out as well.
///
/// - ``steepest``: the rate where the smoothed loss falls fastest against `log lr`: the
///   `lr_i` of the most negative `(s_{i+1} − s_i) / (log lr_{i+1} − log lr_i)` (fastai's
///   `steep`).
/// - ``minimum``: the rate of the lowest smoothed loss; its ``Suggestion/suggestedLR`` is that
///   rate ÷ 10, one order of magnitude below the point where the loss stops falling (fastai's
///   `minimum`).
public struct LRRangeTest: Sendable, Equatable {
  /// The learning rate of each step that ran.
  public let learningRates: [Double]
  /// Each step's loss, as the closure returned it.
  public let losses: [Double]
  /// Each step's debiased exponential moving average of ``losses``.
  public let smoothedLosses: [Double]
  /// The steps the sweep would have run without diverging.
  public let plannedSteps: Int
  /// Whether the sweep stopped early because the smoothed loss exceeded the divergence
  /// factor times its minimum, or was not finite.
  public let diverged: Bool

  /// A suggested learning rate and the point of the curve it comes from.
  public struct Suggestion: Sendable, Equatable {
    /// The step the suggestion reads.
    public let index: Int
    /// The learning rate at that step.
    public let lr: Double
    /// The smoothed loss at that step.
    public let smoothedLoss: Double
    /// The rate to train with: ``lr`` for ``LRRangeTest/steepest``, ``lr`` ÷ 10 for
    /// ``LRRangeTest/minimum``.
    public let suggestedLR: Double
  }

  /// The indices the suggestions read: `plannedSteps / 10 ..< count − 5`, cut before the
  /// first non-finite smoothed loss.
  public var window: Range<Int> {
    let start = plannedSteps / 10
    var end = smoothedLosses.count - 5
    if let bad = smoothedLosses.firstIndex(where: { !$0.isFinite }) { end = min(end, bad) }
    return start..<max(start, end)
  }

  /// The steepest descent of the smoothed loss against `log lr`, or `nil` when the window
  /// holds fewer than two steps.
  public var steepest: Suggestion? {
    let w = window
    guard w.count >= 2 else { return nil }
    var best: (index: Int, slope: Double)?
    for i in w.lowerBound..<(w.upperBound - 1) {
      let slope =
        (smoothedLosses[i + 1] - smoothedLosses[i]) / (log(learningRates[i + 1]) - log(learningRates[i]))
      if best == nil || slope < best!.slope { best = (i, slope) }
    }
    let i = best!.index
    return Suggestion(
      index: i, lr: learningRates[i], smoothedLoss: smoothedLosses[i], suggestedLR: learningRates[i])
  }

  /// The lowest smoothed loss, with ``Suggestion/suggestedLR`` its rate ÷ 10, or `nil` when
  /// the window is empty.
  public var minimum: Suggestion? {
    let w = window
    guard !w.isEmpty else { return nil }
    var i = w.lowerBound
    for j in w where smoothedLosses[j] < smoothedLosses[i] { i = j }
    return Suggestion(
      index: i, lr: learningRates[i], smoothedLoss: smoothedLosses[i], suggestedLR: learningRates[i] / 10)
  }

  /// A record of a sweep, as ``LRFinder/run(_:preserving:loss:)`` makes it: one learning
  /// rate, loss and smoothed loss per step that ran.
  public init(
    learningRates: [Double], losses: [Double], smoothedLosses: [Double], plannedSteps: Int,
    diverged: Bool
  ) {
    self.learningRates = learningRates
    self.losses = losses
    self.smoothedLosses = smoothedLosses
    self.plannedSteps = plannedSteps
    self.diverged = diverged
  }
}
