import ArgumentParser

@main
struct DescentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "descent",
    abstract: "Descent: PyTorch's torch.optim experience in Swift, on OpenBLAS.",
    subcommands: [Bench.self, Train.self, Info.self]
  )
}

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure Descent against its baselines, in one run.",
    subcommands: [BenchMatmul.self, BenchOptimizers.self, BenchTrainingStep.self, BenchThreads.self]
  )
}
