import Foundation
import Testing

/// Only programs that use DescentDistributed load Open MPI: not this test binary (which
/// imports every other library target) and not the `descent` command, which hands its MPI
/// commands to `descent-distributed`.
@Suite struct LinkageTests {
  @Test func thisTestBinaryDoesNotLoadLibmpi() throws {
    let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
    #expect(!maps.contains("libmpi"), "libmpi is mapped into the test process")
  }

  @Test func descentDoesNotLinkLibmpiButDescentDistributedDoes() throws {
    let folder = MPIJob.buildFolder
    let descent = folder.appendingPathComponent("descent").path
    try #require(FileManager.default.fileExists(atPath: descent), "no descent binary in \(folder.path)")
    #expect(!(try ldd(descent)).contains("libmpi"))
    #expect(try ldd(MPIJob.worker).contains("libmpi.so"))
  }

  private func ldd(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ldd", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }
}
