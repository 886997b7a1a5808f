import ArgumentParser
import Foundation

/// The commands that run over MPI live in `descent-distributed`, a separate program built
/// beside this one, so that `descent` never loads libmpi (a program that linked
/// DescentDistributed would need Open MPI's libraries just to start). `descent` hands them
/// over by replacing itself with that program (`execv`, same process, same arguments), which
/// keeps `mpirun -np 2 descent train --distributed` working: each rank's process becomes a
/// `descent-distributed` process under the same launcher.
enum DistributedForwarding {
  /// Whether `arguments` (without the program name) name a command of `descent-distributed`:
  /// `train --distributed`, `bench allreduce`, `bench optimizers --zero`.
  static func isDistributed(_ arguments: [String]) -> Bool {
    guard let first = arguments.first else { return false }
    if first == "train" { return arguments.contains("--distributed") }
    guard first == "bench", arguments.count > 1 else { return false }
    return arguments[1] == "allreduce" || (arguments[1] == "optimizers" && arguments.contains("--zero"))
  }

  /// Replaces this process with `descent-distributed` and the same arguments; returns only
  /// by exiting with an error message when that program is missing or cannot start.
  static func forward(_ arguments: [String]) -> Never {
    let exe =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    let sibling = URL(fileURLWithPath: exe).deletingLastPathComponent()
      .appendingPathComponent("descent-distributed").path
    guard FileManager.default.isExecutableFile(atPath: sibling) else {
      fail(
        "descent: '\(arguments.prefix(2).joined(separator: " "))' runs in descent-distributed, which is not built beside \(exe); build it with `swift build -c release --product descent-distributed` (it needs Open MPI: scripts/ensure-system-deps.sh)"
      )
    }
    let argv = ([sibling] + arguments).map { strdup($0) } + [nil]
    execv(sibling, argv)
    fail("descent: could not start \(sibling): \(String(cString: strerror(errno)))")
  }

  private static func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
  }
}

/// `descent bench allreduce`, listed here for `descent bench --help`; it always runs in
/// `descent-distributed` (see ``DistributedForwarding``).
struct BenchAllreduceForward: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "allreduce",
    abstract: "All-reduce time, algorithm and bus bandwidth per message size (runs over MPI).",
    discussion: "Runs in descent-distributed: see `descent-distributed bench allreduce --help`."
  )

  @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

  func run() throws {
    DistributedForwarding.forward(["bench", "allreduce"] + arguments)
  }
}
