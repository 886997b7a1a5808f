import ArgumentParser

@main
struct DescentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "descent",
    abstract: "Descent: PyTorch's torch.optim experience in Swift, on OpenBLAS.",
    subcommands: [Compare.self, LRFind.self, Bench.self, Train.self, CheckpointCommand.self, Info.self]
  )

  /// Hands the commands that run over MPI to `descent-distributed` before parsing (see
  /// ``DistributedForwarding``), then parses and runs as usual.
  static func main() {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if DistributedForwarding.isDistributed(arguments) { DistributedForwarding.forward(arguments) }
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
    } catch {
      exit(withError: error)
    }
  }
}

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure Descent against its baselines, in one run.",
    subcommands: [
      BenchMatmul.self, BenchOptimizers.self, BenchMLP.self, BenchLinalg.self, BenchLayers.self,
      BenchThreads.self, BenchAllreduceForward.self,
    ]
  )
}
