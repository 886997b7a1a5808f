import Foundation

extension LRFindReport {
  /// What `descent lr-find` prints.
  public func summary() -> String {
    var out =
      "descent lr-find: \(optimizer) on \(modelTitle), \(data), batch \(batchSize), seed \(seed): \(learningRates.count) of \(plannedSteps) steps, lr from \(sci(startLR)) towards \(sci(endLR))"
    if diverged, let last = learningRates.last {
      out +=
        " (stopped at lr \(sci(last)): the smoothed loss exceeded \(String(format: "%g", divergenceFactor)) × its minimum)"
    }
    out += "\n"
    if let steepestLR {
      out += "suggested learning rate: \(sci(steepestLR))   (steepest descent of the smoothed loss)\n"
    } else {
      out += "suggested learning rate: none (the sweep stopped before the window the suggestions read)\n"
    }
    if let minimumOverTen, let minimumLossLR, let minimumLoss {
      out +=
        "minimum ÷ 10:            \(sci(minimumOverTen))   (lowest smoothed loss \(String(format: "%.4g", minimumLoss)) at lr \(sci(minimumLossLR)))\n"
    }
    if let suggestion {
      out += "try: descent compare --opt \(optimizerName):lr=\(sci(suggestion))\n"
    }
    return out
  }

  private var optimizerName: String {
    optimizer.split(separator: ":", maxSplits: 1).first.map(String.init) ?? optimizer
  }

  private func sci(_ v: Double) -> String { String(format: "%.3g", v) }

  /// `lr-find.csv`: step, lr, loss, smoothed loss, at full precision.
  public func csv() -> String {
    var lines = ["step,lr,loss,smoothed_loss"]
    for i in learningRates.indices {
      lines.append("\(i),\(learningRates[i]),\(losses[i]),\(smoothedLosses[i])")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `lr-find.json`.
  public func json() throws -> String { try encodeJSON(self) }

  /// Reads `lr-find.json` back.
  public static func decode(json: Data) throws -> LRFindReport { try decodeJSON(Self.self, from: json) }

  /// `lr-find.svg`: the loss (faint) and the smoothed loss against the learning rate on a
  /// log axis, with both suggestions marked. The y axis stops at the divergence threshold.
  public func svg() -> String {
    var chart = LinePlot(
      title: "Learning-rate range test: \(optimizer)",
      subtitle:
        "\(modelTitle) on \(data), batch \(batchSize), seed \(seed); lr grows ×\(String(format: "%.3g", pow(endLR / startLR, 1 / Double(plannedSteps)))) per step",
      xLabel: "learning rate (log scale)", yLabel: "training loss of the batch", xScale: .log, yScale: .linear
    )
    chart.series = [
      LinePlot.Series(
        name: "loss", points: zip(learningRates, losses).map { ($0, $1) }, color: "#1f77b4", width: 1,
        opacity: 0.35),
      LinePlot.Series(
        name: "smoothed (β = \(smoothing))", points: zip(learningRates, smoothedLosses).map { ($0, $1) },
        color: "#1f77b4", width: 2.5),
    ]
    if let steepestLR, let i = learningRates.firstIndex(of: steepestLR) {
      chart.markers.append(
        .init(label: "steepest: \(sci(steepestLR))", x: steepestLR, y: smoothedLosses[i], color: "#d62728"))
    }
    if let minimumLossLR, let minimumLoss, let minimumOverTen {
      chart.markers.append(
        .init(
          label: "minimum \(sci(minimumLossLR)) ÷ 10 = \(sci(minimumOverTen))", x: minimumLossLR,
          y: minimumLoss,
          color: "#2ca02c"))
    }
    // Past the start's loss the curve only shows the divergence, which would squash the
    // part that matters.
    if let start = smoothedLosses.first(where: \.isFinite) { chart.yLimits = (nil, start * 1.3) }
    return chart.svg()
  }

  /// Writes `lr-find.svg`, `lr-find.csv` and `lr-find.json` into `folder` (created when
  /// missing) and returns their paths.
  @discardableResult
  public func write(to folder: String) throws -> [String] {
    try writeFiles(
      [("lr-find.svg", svg()), ("lr-find.csv", csv()), ("lr-find.json", try json())], to: folder)
  }
}
