import ArgumentParser

/// `descent-distributed`: the `descent` commands that run over MPI. `descent` hands
/// `train --distributed`, `bench allreduce` and `bench optimizers --zero` to this program
/// (it sits beside `descent` in the build folder), so that `descent` itself never loads
/// libmpi; it can also be launched directly: `mpirun -np 4 descent-distributed train ...`.
@main
struct DistributedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "descent-distributed",
    abstract: "Descent's commands that run over MPI (launch with mpirun).",
    subcommands: [DistributedTrain.self, DistributedBench.self, Worker.self]
  )
}

struct DistributedBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure collectives and sharded optimizers.",
    subcommands: [BenchAllreduce.self, BenchOptimizersZero.self]
  )
}

/// Test workers: each runs one scenario under mpirun and writes what it computed as JSON
/// for the tests (Tests/DescentDistributedTests) to check.
struct Worker: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Scenarios that the distributed tests launch under mpirun.",
    shouldDisplay: false,
    subcommands: [CollectivesWorker.self, TrainingWorker.self, FailureWorker.self]
  )
}
