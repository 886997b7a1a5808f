import Foundation
import Testing

/// Runs `descent-distributed` under `mpirun` as the tests' child processes: the tests do
/// not import DescentDistributed (so this test binary never loads libmpi); they launch its
/// workers on N ranks of this machine and check what the workers write.
struct MPIJob {
  /// What a job left behind.
  struct Outcome {
    let status: Int32
    let output: String
    let seconds: Double
    let timedOut: Bool
  }

  /// The build folder that holds this test binary and, beside it, `descent-distributed`.
  static var buildFolder: URL {
    let exe =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    var folder = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // On Linux the test binary is `<build>/DescentPackageTests.xctest` itself.
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("descent-distributed").path),
      folder.path != "/"
    {
      folder = folder.deletingLastPathComponent()
    }
    return folder
  }

  static var worker: String { buildFolder.appendingPathComponent("descent-distributed").path }

  /// A fresh folder for one job's files.
  static func scratch(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("descent-mpi-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Runs `mpirun --oversubscribe --allow-run-as-root -np ranks descent-distributed
  /// arguments...`, killing it after `timeout` seconds. The default bound is generous: the
  /// jobs take seconds alone, but the whole suite runs beside them on two cores (a training
  /// job was seen to pass 120 s there); the failure tests pass their own, tighter bound.
  ///
  /// `--oversubscribe` lets 3 ranks share CI's 2 cores, and `OPENBLAS_NUM_THREADS=1` (which
  /// Descent's thread count starts from) keeps each rank on one thread.
  static func run(ranks: Int, _ arguments: [String], timeout: Double = 600) throws -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      ["mpirun", "--oversubscribe", "--allow-run-as-root", "-np", "\(ranks)", worker] + arguments
    var environment = ProcessInfo.processInfo.environment
    // One OpenBLAS thread per rank: ranks already share the cores.
    environment["OPENBLAS_NUM_THREADS"] = "1"
    process.environment = environment
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("mpirun-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    let start = Date()
    try process.run()
    var timedOut = false
    while process.isRunning {
      if Date().timeIntervalSince(start) > timeout {
        timedOut = true
        process.terminate()
        Thread.sleep(forTimeInterval: 2)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        break
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
    process.waitUntilExit()
    let seconds = Date().timeIntervalSince(start)
    try handle.close()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(at: log)
    return Outcome(status: process.terminationStatus, output: output, seconds: seconds, timedOut: timedOut)
  }

  /// Each rank's JSON file `rank<r>.json` in `folder`.
  static func rankFiles(_ folder: URL, ranks: Int) throws -> [[String: Any]] {
    try (0..<ranks).map { r in
      let data = try Data(contentsOf: folder.appendingPathComponent("rank\(r).json"))
      return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
  }
}
