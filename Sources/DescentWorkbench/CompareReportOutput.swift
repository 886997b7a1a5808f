import Foundation

extension CompareReport {
  /// The column header of "epochs to 95%" and its definition, as the table prints them.
  public static let epochsTo95Definition =
    "epochs to 95%: the first epoch whose training loss has made 95% of the run's total decrease (from epoch 0 to its lowest)"

  /// The printed table: the configuration, one row per optimizer, then the speed section.
  public func table() -> String {
    let c = configuration
    var out =
      "descent compare: \(c.modelTitle) on \(c.data) (\(c.trainRows) training / \(c.testRows) test rows), \(c.loss), batch \(c.batchSize), \(c.epochs) epochs of \(c.stepsPerEpoch) steps, schedule \(c.schedule), seed \(c.seed)\n"
    if let m = machine {
      out +=
        "machine: \(m.cpu), \(m.cores) cores, \(m.threads) threads; load average \(m.loadAverageStart) → \(m.loadAverageEnd)\n"
    }
    let nameWidth = max(12, (results.map(\.optimizer.count).max() ?? 0) + 2)
    let widths = [nameWidth, 12, 10, 15, 10, 9]
    out += "\n"
    out += row(["optimizer", "train loss", "test acc", "epochs to 95%", "wall s", "steps/s"], widths)
    for r in results {
      out += row(Self.tableCells(r), widths)
    }
    out +=
      "train loss: mean \(c.loss) over the training rows after the last epoch; test acc: after the last epoch\n"
    out += Self.epochsTo95Definition + "\n"
    if results.contains(where: \.diverged) {
      out += "(diverged: the loss became infinite or NaN; the run stopped)\n"
    }
    if let speed {
      out +=
        "\nSpeed on a large parameter vector: \(formatCount(speed.params)) \(speed.dtype) parameters in one tensor, \(speed.implementation) kernels, \(speed.threads) threads, median of \(speed.steps) steps\n"
      let speedWidths = [nameWidth, 10, 8, 11]
      out += row(["optimizer", "ms/step", "GB/s", "of stream"], speedWidths)
      for r in speed.rows {
        out += row(
          [
            r.optimizer, String(format: "%.3f", r.medianMs), String(format: "%.1f", r.gbps),
            String(format: "%.0f%%", r.fractionOfStream * 100),
          ], speedWidths)
      }
      out +=
        "GB/s: the bytes a step must move (parameter, gradient and state, each read and written once) per second; of stream: against an in-place axpy over the same elements (\(String(format: "%.1f", speed.streamGBps)) GB/s)\n"
    }
    return out
  }

  /// The table's cells for one result: optimizer, train loss (4 significant digits), test
  /// accuracy (percent, 2 decimals), epochs to 95%, wall seconds, steps per second.
  public static func tableCells(_ r: OptimizerResult) -> [String] {
    [
      r.optimizer, formatLoss(r.finalTrainLoss) + (r.diverged ? " (diverged)" : ""),
      formatAccuracy(r.testAccuracy), r.epochsTo95.map(String.init) ?? "-",
      String(format: "%.2f", r.timing.wallSeconds), String(format: "%.0f", r.timing.stepsPerSecond),
    ]
  }

  /// A loss as the table prints it: 4 significant digits.
  public static func formatLoss(_ loss: Double) -> String { String(format: "%.4g", loss) }

  /// An accuracy as the table prints it: a percentage with 2 decimals.
  public static func formatAccuracy(_ accuracy: Double) -> String { String(format: "%.2f%%", accuracy * 100) }

  /// `curves.csv`: one row per optimizer and epoch (0 is the initial model), with every
  /// value at full precision.
  public func curvesCSV() -> String {
    var lines = ["optimizer,epoch,lr,train_loss,test_loss,test_accuracy"]
    for r in results {
      for p in r.curve {
        lines.append(
          "\(csvField(r.optimizer)),\(p.epoch),\(p.lr),\(p.trainLoss),\(p.testLoss),\(p.testAccuracy)")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `results.json`: the report, keys sorted, non-finite numbers as strings.
  public func json() throws -> String { try encodeJSON(self) }

  /// Reads `results.json` back.
  public static func decode(json: Data) throws -> CompareReport { try decodeJSON(Self.self, from: json) }

  /// `loss.svg`: the training loss of every optimizer against the epoch, log scale.
  public func lossSVG() -> String {
    plot(
      title: "Training loss", yLabel: "mean \(configuration.loss) on the training rows (log scale)",
      yScale: .log
    ) { $0.trainLoss }
  }

  /// `accuracy.svg`: the test accuracy of every optimizer against the epoch.
  public func accuracySVG() -> String {
    plot(title: "Test accuracy", yLabel: "share of test rows classified correctly", yScale: .linear) {
      $0.testAccuracy
    }
  }

  private func plot(
    title: String, yLabel: String, yScale: LinePlot.Scale, value: (EpochPoint) -> Double
  ) -> String {
    let c = configuration
    var chart = LinePlot(
      title: title,
      subtitle:
        "\(c.modelTitle) on \(c.data), \(c.loss), batch \(c.batchSize), schedule \(c.schedule), seed \(c.seed)",
      xLabel: "epoch", yLabel: yLabel, yScale: yScale)
    chart.series = results.map { r in
      LinePlot.Series(name: r.optimizer, points: r.curve.map { (Double($0.epoch), value($0)) })
    }
    if yScale == .linear {
      // From the lowest value after epoch 0: the initial model's guesses would squash the
      // differences that matter.
      let later = results.flatMap { $0.curve.dropFirst().map(value) }.filter(\.isFinite)
      chart.yLimits = (later.min().map { max(0, $0 - 0.02) }, 1)
    }
    return chart.svg()
  }

  /// Writes `results.json`, `curves.csv`, `loss.svg` and `accuracy.svg` into `folder`
  /// (created when missing) and returns their paths.
  @discardableResult
  public func write(to folder: String) throws -> [String] {
    try writeFiles(
      [
        ("results.json", try json()), ("curves.csv", curvesCSV()), ("loss.svg", lossSVG()),
        ("accuracy.svg", accuracySVG()),
      ], to: folder)
  }

  private func row(_ cells: [String], _ widths: [Int]) -> String {
    var line = ""
    for (k, cell) in cells.enumerated() {
      let width = k < widths.count ? widths[k] : cell.count + 2
      line +=
        k == 0
        ? cell.padding(toLength: max(width, cell.count + 1), withPad: " ", startingAt: 0)
        : leftPad(cell, width)
    }
    return line + "\n"
  }

  private func leftPad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(1, width - text.count)) + text
  }

  private func csvField(_ text: String) -> String {
    text.contains(",") || text.contains("\"")
      ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
  }
}
