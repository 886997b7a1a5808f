import DescentOptim
import DescentWorkbench
import Foundation
import Testing

@Suite("descent lr-find")
struct LRFindTests {
  /// The suggestion of a default `descent lr-find` (Adam on breast cancer), used as Adam's
  /// learning rate in a default-length `descent compare`, reaches at least 95% test
  /// accuracy.
  @Test func suggestionTrainsAdamToAtLeast95Percent() throws {
    let finder = try LRFindRunner(options: LRFindOptions.parse([])).run()
    let lr = try #require(finder.suggestion)
    #expect(finder.steepestLR == lr)
    #expect(lr > 1e-7 && lr < 10)
    let options = try compareOptions(["--opt", "adam:lr=\(lr)", "--params", "0"])
    let report = try CompareRunner(options: options, progress: .silent).run()
    let accuracy = report.results[0].testAccuracy
    #expect(accuracy >= 0.95, "lr \(lr): test accuracy \(accuracy)")
  }

  /// The command prints both suggestions and writes its files; its JSON holds the sweep.
  @Test func commandPrintsTheSuggestions() throws {
    let out = try temporaryFolder("lr-find")
    defer { try? FileManager.default.removeItem(at: out) }
    let run = try runProduct(
      "descent",
      ["lr-find", "--data", "digits", "--opt", "sgd:momentum=0.9", "--steps", "150", "--out", out.path])
    #expect(run.status == 0, "\(run.stderr)")
    let report = try LRFindReport.decode(json: Data(contentsOf: out.appendingPathComponent("lr-find.json")))
    let steepest = try #require(report.steepestLR)
    let minimum = try #require(report.minimumOverTen)
    #expect(run.stdout.contains("suggested learning rate: \(String(format: "%.3g", steepest))"))
    #expect(run.stdout.contains("minimum ÷ 10:            \(String(format: "%.3g", minimum))"))
    #expect(report.learningRates.count <= 150)
    let csv = try String(contentsOf: out.appendingPathComponent("lr-find.csv"), encoding: .utf8)
    #expect(csv.split(separator: "\n").count == report.learningRates.count + 1)
  }

  @Test func badOptionsAreRefused() {
    for (arguments, mention) in [
      (["--start-lr", "0"], "startLR"), (["--end-lr", "1e-8"], "endLR"), (["--steps", "1"], "steps"),
      (["--smoothing", "1"], "smoothing"), (["--divergence", "1"], "divergenceFactor"),
      (["--opt", "adam:foo=1"], "foo"),
    ] {
      do {
        _ = try LRFindOptions.parse(arguments)
        Issue.record("\(arguments) parsed")
      } catch {
        #expect(LRFindOptions.message(for: error).contains(mention), "\(LRFindOptions.message(for: error))")
      }
    }
  }
}
