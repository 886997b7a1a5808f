import ArgumentParser
import Descent
import DescentDistributed
import Foundation

/// All-reduces in a loop until rank `--rank` fails at iteration `--at`: by throwing (the
/// command's error path ends the job naming the rank) or, with `--crash`, by exiting at
/// once (`_exit`, as a crash would) without a word to MPI (the launcher must end the job).
struct FailureWorker: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "fail")

  @Option var rank: Int
  @Option var at: Int
  @Flag var crash = false

  func run() throws {
    try runRanked { group in
      let t = Tensor.ones([1000], dtype: .float64)
      for iteration in 0..<1_000_000 {
        if group.rank == rank && iteration == at {
          if crash {
            FileHandle.standardError.write(Data("rank \(rank): crashing at iteration \(at)\n".utf8))
            _exit(3)
          }
          throw WorkerError("injected failure at iteration \(at)")
        }
        try group.allReduce(t, op: .avg)
      }
    }
  }
}
