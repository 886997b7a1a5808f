import DescentDistributed
import Foundation

/// Runs one rank's part of a command. An error ends the whole job at once
/// (`MPI_Abort`) after printing it with this rank's number, so that no other rank waits
/// in a collective for a rank that has stopped.
func runRanked(_ body: (ProcessGroup) throws -> Void) throws {
  let group = try ProcessGroup.world()
  do {
    try body(group)
    try ProcessGroup.finalize()
  } catch {
    FileHandle.standardError.write(
      Data("descent-distributed: rank \(group.rank) of \(group.worldSize) failed: \(error)\n".utf8))
    group.abort(code: 1)
  }
}

/// Starts this program again under `mpirun -np ranks` with the same arguments, unless it
/// already runs under an MPI launcher: what lets `descent bench allreduce` run without
/// typing mpirun. Returns only when already launched.
func relaunchUnderMPIRun(ranks: Int) throws {
  if ProcessGroup.isLaunchedByMPI { return }
  var arguments = ["mpirun", "--oversubscribe"]
  if getuid() == 0 { arguments.append("--allow-run-as-root") }
  arguments += ["-np", "\(ranks)", executablePath()] + CommandLine.arguments.dropFirst()
  FileHandle.standardError.write(Data("running: \(arguments.joined(separator: " "))\n".utf8))
  let argv = arguments.map { strdup($0) } + [nil]
  execvp("mpirun", argv)
  throw DistributedError(
    "could not start mpirun: \(String(cString: strerror(errno))); is openmpi-bin installed?")
}

/// The path of this executable (`/proc/self/exe`).
func executablePath() -> String {
  (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    ?? CommandLine.arguments[0]
}

/// Prints on rank 0 only.
func say(_ group: ProcessGroup, _ line: String) {
  if group.rank == 0 { print(line) }
}
