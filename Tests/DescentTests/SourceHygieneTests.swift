import Foundation
import Testing

/// Programming-error checks in the library modules must keep their messages in release
/// builds. Swift's `precondition`/`assert` families drop the message under `-O` (and
/// `assert` drops the check), so the modules use Descent's `require`, which calls
/// `fatalError`. A release build can't run under `swift test`, so the sources are read
/// instead.
@Suite("Source hygiene")
struct SourceHygieneTests {
  /// The package root, found from this file's path (`Tests/DescentTests/<file>`).
  static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func swiftFiles(in module: String) -> [URL] {
    let dir = packageRoot.appendingPathComponent("Sources/\(module)")
    guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
    else { return [] }
    return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
      .sorted { $0.path < $1.path }
  }

  @Test(
    "library checks use require, whose message survives -O",
    arguments: [
      "Descent", "DescentNN", "DescentOptim", "DescentData", "DescentWorkbench", "DescentSWA",
      "DescentCheckpoint", "DescentDistributed",
    ])
  func noMessageDroppingChecks(_ module: String) throws {
    let files = Self.swiftFiles(in: module)
    #expect(!files.isEmpty, "no sources found for \(module) under \(Self.packageRoot.path)")
    let banned = ["precondition(", "preconditionFailure(", "assert(", "assertionFailure("]
    var offenders: [String] = []
    for file in files {
      let lines = try String(contentsOf: file, encoding: .utf8).split(
        separator: "\n", omittingEmptySubsequences: false)
      for (i, line) in lines.enumerated() {
        let code = line.trimmingCharacters(in: .whitespaces)
        if code.hasPrefix("//") { continue }
        for call in banned
        where code.range(
          of: "\\b" + NSRegularExpression.escapedPattern(for: call), options: .regularExpression) != nil
        {
          offenders.append("\(file.lastPathComponent):\(i + 1): \(code)")
        }
      }
    }
    #expect(
      offenders.isEmpty, "use require/requirementFailure instead:\n\(offenders.joined(separator: "\n"))")
  }

  /// Library sources and their documentation speak to users, who have never seen the
  /// project's issue tracker or its seed document: "the issue" and "the seed's loop" mean
  /// nothing to them (a random seed is fine).
  @Test(
    "library sources and docs do not refer to the project's issues or seed",
    arguments: [
      "Descent", "DescentNN", "DescentOptim", "DescentData", "DescentWorkbench", "DescentSWA",
      "DescentCheckpoint", "DescentDistributed",
    ])
  func noInternalReferences(_ module: String) throws {
    let dir = Self.packageRoot.appendingPathComponent("Sources/\(module)")
    let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
    let files = (walker?.compactMap { $0 as? URL } ?? []).filter {
      ["swift", "md"].contains($0.pathExtension)
    }
    #expect(!files.isEmpty)
    var offenders: [String] = []
    for file in files {
      let text = try String(contentsOf: file, encoding: .utf8)
      for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
      where line.range(
        of: #"\bthe issues?('s)?\b|\bthe seed('s)? (loop|document|file)"#,
        options: [.regularExpression, .caseInsensitive]) != nil
      {
        offenders.append("\(file.lastPathComponent):\(i + 1): \(line)")
      }
    }
    #expect(offenders.isEmpty, "say what is meant instead:\n\(offenders.joined(separator: "\n"))")
  }
}
