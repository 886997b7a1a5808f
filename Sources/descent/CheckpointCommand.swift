import ArgumentParser
import Descent
import Foundation

/// `descent checkpoint`: tools for safetensors files and checkpoints.
struct CheckpointCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "checkpoint",
    abstract: "Inspect safetensors files and Descent checkpoints.",
    subcommands: [Inspect.self]
  )

  /// `descent checkpoint inspect FILE`: the tensors, their dtypes and shapes, and the
  /// metadata, read from the header only (no tensor data is loaded).
  struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List a safetensors file's tensors (dtype, shape, bytes) and its metadata.",
      discussion: """
        The file is checked as the reference reader (safetensors 0.8) checks it; a malformed \
        file prints what is wrong and where, and exits with status 1. Tensors whose type \
        Descent can't load (F16, BF16, ...) are listed and marked.
        """
    )

    @Argument(help: "The safetensors file.")
    var file: String

    @Flag(help: "Print the metadata values in full instead of shortening long ones.")
    var full = false

    func run() throws {
      let header: SafetensorsHeader
      do {
        header = try readSafetensorsHeader(from: URL(fileURLWithPath: file))
      } catch let error as SafetensorsError {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        throw ExitCode.failure
      }
      let totalBytes = header.entries.reduce(UInt64(0)) { $0 + ($1.dataOffsets.end - $1.dataOffsets.begin) }
      print(
        "\(file): \(header.fileSize) bytes, header \(header.headerLength) bytes, \(header.entries.count) tensors, \(totalBytes) data bytes"
      )
      if header.metadata["descent.checkpoint"] != nil {
        let step = header.metadata["step"] ?? "?"
        let optimizer = header.metadata["optimizer.class"] ?? "optimizer"
        let scheduler = header.metadata["scheduler.class"].map { ", scheduler \($0)" } ?? ""
        print(
          "Descent checkpoint (format \(header.metadata["descent.checkpoint"]!)): step \(step), \(optimizer)\(scheduler)"
        )
      }
      print("")
      let names = header.entries.map(\.name).sorted()
      let width = min(max(names.map(\.count).max() ?? 0, 4), 60)
      print("name".padding(toLength: width, withPad: " ", startingAt: 0) + "  dtype   shape")
      for entry in header.entries.sorted(by: { $0.name < $1.name }) {
        let name =
          entry.name.count > width
          ? entry.name : entry.name.padding(toLength: width, withPad: " ", startingAt: 0)
        let dtype = entry.dtype.padding(toLength: 6, withPad: " ", startingAt: 0)
        let shape = "[" + entry.shape.map(String.init).joined(separator: ", ") + "]"
        let note = entry.isSupported ? "" : "  (Descent can't load this dtype)"
        print("\(name)  \(dtype)  \(shape)  \(entry.dataOffsets.end - entry.dataOffsets.begin) bytes\(note)")
      }
      guard !header.metadata.isEmpty else {
        print("\nno metadata")
        return
      }
      print("\nmetadata:")
      for key in header.metadata.keys.sorted() {
        var value = header.metadata[key]!
        if !full && value.count > 200 { value = String(value.prefix(200)) + "… (\(value.count) characters)" }
        print("  \(key): \(value)")
      }
    }
  }
}
