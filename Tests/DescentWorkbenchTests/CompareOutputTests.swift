import DescentWorkbench
import Foundation
import Testing

/// Checks that `descent compare`'s printed table, results.json and curves.csv agree, from
/// the files the command wrote.
@Suite("descent compare: table, JSON and CSV")
struct CompareOutputTests {
  /// One CSV row of curves.csv.
  struct CurveRow {
    var optimizer: String
    var epoch: Int
    var lr: Double
    var trainLoss: Double
    var testLoss: Double
    var testAccuracy: Double
  }

  /// Splits a CSV line, honouring double-quoted fields.
  static func fields(_ line: Substring) -> [String] {
    var out: [String] = []
    var current = ""
    var quoted = false
    for c in line {
      if c == "\"" {
        quoted.toggle()
      } else if c == "," && !quoted {
        out.append(current)
        current = ""
      } else {
        current.append(c)
      }
    }
    out.append(current)
    return out
  }

  static func curves(_ csv: String) throws -> [CurveRow] {
    var lines = csv.split(separator: "\n")
    #expect(lines.removeFirst() == "optimizer,epoch,lr,train_loss,test_loss,test_accuracy")
    return try lines.map { line in
      let f = fields(line)
      guard f.count == 6, let epoch = Int(f[1]), let lr = Double(f[2]), let train = Double(f[3]),
        let test = Double(f[4]), let accuracy = Double(f[5])
      else { throw TestFailure("bad CSV row: \(line)") }
      return CurveRow(
        optimizer: f[0], epoch: epoch, lr: lr, trainLoss: train, testLoss: test, testAccuracy: accuracy)
    }
  }

  /// The table's row for `optimizer`: the cells after the name, split on runs of spaces.
  static func tableRow(_ table: String, _ optimizer: String) throws -> [String] {
    guard let line = table.split(separator: "\n").first(where: { $0.hasPrefix(optimizer + " ") }) else {
      throw TestFailure("no row for \(optimizer) in\n\(table)")
    }
    return line.dropFirst(optimizer.count).split(separator: " ").map(String.init)
  }

  /// The command line tool, with the speed section, writes files that agree with what it
  /// printed.
  @Test func filesAgreeWithThePrintedTable() throws {
    let out = try temporaryFolder("compare-out")
    defer { try? FileManager.default.removeItem(at: out) }
    let run = try runProduct(
      "descent",
      [
        "compare", "--epochs", "4", "--hidden", "8", "--opt", "sgd:lr=0.1,momentum=0.9",
        "--opt", "adam:lr=0.01", "--opt", "rmsprop", "--params", "20k", "--out", out.path,
      ])
    #expect(run.status == 0, "\(run.stderr)")
    let table = run.stdout
    let json = try Data(contentsOf: out.appendingPathComponent("results.json"))
    let report = try CompareReport.decode(json: json)
    let rows = try Self.curves(String(contentsOf: out.appendingPathComponent("curves.csv"), encoding: .utf8))

    #expect(report.results.map(\.optimizer) == ["sgd:lr=0.1,momentum=0.9", "adam:lr=0.01", "rmsprop"])
    // results.json is the report the command printed as --json would.
    #expect(try report.json() == String(decoding: json, as: UTF8.self))
    for result in report.results {
      let cells = try Self.tableRow(table, result.optimizer)
      #expect(cells.count == 5, "\(cells)")
      let curve = rows.filter { $0.optimizer == result.optimizer }
      #expect(curve.map(\.epoch) == Array(0...4))
      let last = try #require(curve.last)
      // The JSON holds the CSV's values exactly, and the table prints them rounded.
      #expect(result.finalTrainLoss == last.trainLoss)
      #expect(result.finalTestLoss == last.testLoss)
      #expect(result.testAccuracy == last.testAccuracy)
      #expect(result.bestTrainLoss == curve.map(\.trainLoss).min())
      #expect(cells[0] == CompareReport.formatLoss(last.trainLoss))
      #expect(cells[1] == CompareReport.formatAccuracy(last.testAccuracy))
      let epochs = CompareReport.epochsToReach(fraction: 0.95, of: curve.map(\.trainLoss))
      #expect(result.epochsTo95 == epochs)
      #expect(cells[2] == (epochs.map(String.init) ?? "-"))
      #expect(cells[3] == String(format: "%.2f", result.timing.wallSeconds))
      #expect(cells[4] == String(format: "%.0f", result.timing.stepsPerSecond))
      #expect(zip(result.curve, curve).allSatisfy { $0.trainLoss == $1.trainLoss && $0.lr == $1.lr })
    }
    // The speed section: one row per optimizer in the table and in the JSON.
    let speed = try #require(report.speed)
    #expect(speed.params == 20_000)
    #expect(speed.rows.map(\.optimizer) == report.results.map(\.optimizer))
    let section = try #require(table.range(of: "Speed on a large parameter vector"))
    let speedTable = String(table[section.lowerBound...])
    for row in speed.rows {
      let cells = try Self.tableRow(speedTable, row.optimizer)
      #expect(cells[0] == String(format: "%.3f", row.medianMs))
      #expect(cells[1] == String(format: "%.1f", row.gbps))
      #expect(cells[2] == String(format: "%.0f%%", row.fractionOfStream * 100))
      #expect(row.medianMs > 0 && row.gbps > 0)
    }
    #expect(report.machine?.cores ?? 0 > 0)
  }

  /// `--json` prints what results.json holds.
  @Test func jsonFlagPrintsTheReport() throws {
    let run = try runProduct(
      "descent",
      ["compare", "--epochs", "1", "--hidden", "4", "--opt", "adam", "--params", "0", "--json", "--out", ""])
    #expect(run.status == 0, "\(run.stderr)")
    let report = try CompareReport.decode(json: Data(run.stdout.utf8))
    #expect(report.results.map(\.optimizer) == ["adam"])
    #expect(report.speed == nil)
  }
}
