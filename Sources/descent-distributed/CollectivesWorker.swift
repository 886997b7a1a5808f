import ArgumentParser
import Descent
import DescentDistributed
import Foundation

/// Runs every collective on inputs that each rank computes from its rank, in float32 and
/// float64, with uneven sizes, and writes what it got; the test computes the expected
/// values by hand from the same formulas.
struct CollectivesWorker: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "collectives")

  @Option(help: "Folder for rank<r>.json.")
  var out: String

  func run() throws {
    try runRanked { group in
      let r = group.rank
      let n = group.worldSize
      var results: [String: Any] = ["rank": r, "worldSize": n]
      for dtype in [DType.float32, .float64] {
        var got: [String: Any] = [:]
        for size in [1, 7, 1000] {
          // a(r, i) = (r + 1)(i mod 13 + 1) + r / 2
          let a = (0..<size).map { i in Double((r + 1) * (i % 13 + 1)) + 0.5 * Double(r) }
          for op in ReduceOp.allCases {
            let t = Tensor(a, dtype: dtype)
            try group.allReduce(t, op: op)
            got["allReduce.\(op.rawValue).\(size)"] = WorkerJSON.values(t)
          }
          // b(r, i) = 1000 r + i, from the last rank
          let b = Tensor((0..<size).map { Double(r * 1000 + $0) }, dtype: dtype)
          try group.broadcast(b, from: n - 1)
          got["broadcast.\(size)"] = WorkerJSON.values(b)
        }
        // Uneven all-gather: rank q gives q + 2 elements 100 q + i.
        let counts = (0..<n).map { $0 + 2 }
        let mine = Tensor((0..<counts[r]).map { Double(r * 100 + $0) }, dtype: dtype)
        let gathered = Tensor.zeros([counts.reduce(0, +)], dtype: dtype)
        try group.allGather(mine, into: gathered, counts: counts)
        got["allGather.counts"] = WorkerJSON.values(gathered)
        // Shapes differ by rank: [q + 1, 2] holding 10 q + i.
        let shaped = Tensor((0..<(r + 1) * 2).map { Double(r * 10 + $0) }, shape: [r + 1, 2], dtype: dtype)
        let list = try group.allGather(shaped)
        got["allGather.list"] = list.map { WorkerJSON.record($0) }
        // Uneven reduce-scatter: rank q gets 2q + 1 elements; s(r, j) = (r + 1)(j + 1).
        let shares = (0..<n).map { 2 * $0 + 1 }
        for op in ReduceOp.allCases {
          let input = Tensor((0..<shares.reduce(0, +)).map { Double((r + 1) * ($0 + 1)) }, dtype: dtype)
          let output = Tensor.zeros([shares[r]], dtype: dtype)
          try group.reduceScatter(input, into: output, op: op, counts: shares)
          got["reduceScatter.\(op.rawValue)"] = WorkerJSON.values(output)
        }
        try group.barrier()
        results[dtype.rawValue] = got
      }
      var errors: [String: String] = [:]
      func record(_ key: String, _ body: () throws -> Void) {
        do {
          try body()
          errors[key] = "no error"
        } catch {
          errors[key] = "\(error)"
        }
      }
      record("broadcastFromMissingRank") { try group.broadcast(Tensor([1.0]), from: n) }
      record("allReduceInt64") { try group.allReduce(Tensor([1, 2])) }
      record("reduceScatterUneven") {
        try group.reduceScatter(Tensor.zeros([n + 1]), into: Tensor.zeros([1]))
      }
      record("allGatherWrongCount") {
        try group.allGather(
          Tensor.zeros([3]), into: Tensor.zeros([3 * n]), counts: Array(repeating: 2, count: n))
      }
      results["errors"] = errors
      try group.barrier()
      try WorkerJSON.write(results, to: "\(out)/rank\(r).json")
    }
  }
}
