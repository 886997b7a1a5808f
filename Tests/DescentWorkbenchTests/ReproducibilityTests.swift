import DescentWorkbench
import Foundation
import Testing

/// The same `descent compare` command gives the same losses and accuracies, whatever the
/// thread count: JSON identical apart from its timing fields, CSV identical byte for byte.
/// Each run is its own process, so nothing else in the test run can change its threads.
@Suite("descent compare: reproducible")
struct ReproducibilityTests {
  struct Run {
    var json: NSDictionary
    var csv: String
    var table: String
  }

  static func compare(_ arguments: [String]) throws -> Run {
    let out = try temporaryFolder("repro")
    defer { try? FileManager.default.removeItem(at: out) }
    let run = try runProduct("descent", ["compare"] + arguments + ["--out", out.path])
    guard run.status == 0 else { throw TestFailure("descent compare failed: \(run.stderr)") }
    return Run(
      json: try reproducibleJSON(Data(contentsOf: out.appendingPathComponent("results.json"))),
      csv: try String(contentsOf: out.appendingPathComponent("curves.csv"), encoding: .utf8),
      table: run.stdout)
  }

  /// Digits with batch 128 and 64 hidden units: products large enough that OpenBLAS splits
  /// them across threads when it may (128 × 64 × 64 in every step).
  @Test(
    arguments: [
      ["--epochs", "3", "--hidden", "32"],
      ["--data", "digits", "--epochs", "2", "--hidden", "64", "--batch-size", "128"],
    ])
  func sameCommandSameResultsWithOneOrTwoThreads(arguments: [String]) throws {
    let common =
      arguments + ["--opt", "sgd:lr=0.05,momentum=0.9", "--opt", "adam:lr=0.01", "--params", "20k"]
    let one = try Self.compare(common + ["--threads", "1"])
    let two = try Self.compare(common + ["--threads", "2"])
    #expect(one.json == two.json)
    #expect(one.csv == two.csv)
    #expect(one.csv.split(separator: "\n").count > 3)
  }

  /// The comparison above can fail: another seed changes the JSON.
  @Test func anotherSeedChangesTheResults() throws {
    let common = ["--epochs", "2", "--hidden", "8", "--opt", "adam", "--params", "0"]
    let a = try Self.compare(common + ["--seed", "0"])
    let b = try Self.compare(common + ["--seed", "1"])
    #expect(a.json != b.json)
  }
}
