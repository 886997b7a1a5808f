import DescentWorkbench
import Foundation
import Testing

/// The folder of the built executables (`descent` and the examples): the test runner's own
/// folder, where `swift build --build-tests` and `swift test` put every product.
let productsFolder: URL = {
  let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
  var folder = runner.deletingLastPathComponent()
  // On Linux the runner is `<products>/DescentPackageTests.xctest`; on macOS it is a
  // bundle inside the products folder.
  while folder.path != "/"
    && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("descent").path)
  {
    folder = folder.deletingLastPathComponent()
  }
  return folder
}()

/// What a finished child process left.
struct ProcessOutput {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs the built product `name` with `arguments` and waits for it.
func runProduct(_ name: String, _ arguments: [String]) throws -> ProcessOutput {
  let executable = productsFolder.appendingPathComponent(name)
  guard FileManager.default.isExecutableFile(atPath: executable.path) else {
    throw TestFailure(
      "\(name) is not built in \(productsFolder.path) (run swift build --build-tests or swift test)")
  }
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  // Read both pipes to the end before waiting, so that a full pipe can't block the child.
  final class Collected: @unchecked Sendable { var data = Data() }
  let errData = Collected()
  let group = DispatchGroup()
  group.enter()
  DispatchQueue.global().async {
    errData.data = err.fileHandleForReading.readDataToEndOfFile()
    group.leave()
  }
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  process.waitUntilExit()
  return ProcessOutput(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData.data, as: UTF8.self))
}

struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// A new empty folder under the temporary directory, removed by the caller.
func temporaryFolder(_ label: String) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "descent-\(label)-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// Parses `descent compare`'s arguments.
func compareOptions(_ arguments: [String]) throws -> CompareOptions {
  try CompareOptions.parse(arguments)
}

/// A report's JSON object without the fields the clock and the machine decide: `timing` in
/// every result, `speed` and `machine`.
func reproducibleJSON(_ data: Data) throws -> NSDictionary {
  guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
    throw TestFailure("results.json is not an object")
  }
  object["speed"] = nil
  object["machine"] = nil
  if let results = object["results"] as? [[String: Any]] {
    object["results"] = results.map { r -> [String: Any] in
      var r = r
      r["timing"] = nil
      return r
    }
  }
  return object as NSDictionary
}
