import Foundation
import Testing

/// Every collective against values computed here by hand from the formulas the worker
/// uses for its inputs (see Sources/descent-distributed/CollectivesWorker.swift), on 2 and
/// 3 ranks, in float32 and float64, with sizes that do not divide evenly among the ranks.
@Suite struct CollectiveTests {
  @Test(arguments: [2, 3])
  func collectivesMatchHandComputedResults(ranks n: Int) throws {
    let folder = try MPIJob.scratch("collectives")
    let outcome = try MPIJob.run(ranks: n, ["worker", "collectives", "--out", folder.path])
    try #require(outcome.status == 0, "mpirun failed: \(outcome.output)")
    for (r, file) in try MPIJob.rankFiles(folder, ranks: n).enumerated() {
      #expect(file["rank"] as? Int == r)
      #expect(file["worldSize"] as? Int == n)
      for dtype in ["float32", "float64"] {
        let got = try #require(file[dtype] as? [String: Any])
        // Rounds like the worker's tensors do: exact small values, and the mean's division
        // in the tensor's precision.
        func typed(_ v: Double) -> Double { dtype == "float32" ? Double(Float(v)) : v }
        func avg(_ sum: Double) -> Double {
          dtype == "float32" ? Double(Float(sum) / Float(n)) : sum / Double(n)
        }
        for size in [1, 7, 1000] {
          func a(_ q: Int, _ i: Int) -> Double { Double((q + 1) * (i % 13 + 1)) + 0.5 * Double(q) }
          let sum = (0..<size).map { i in (0..<n).reduce(0.0) { $0 + a($1, i) } }
          #expect(values(got["allReduce.sum.\(size)"]) == sum.map(typed), "\(dtype) sum \(size) rank \(r)")
          #expect(values(got["allReduce.avg.\(size)"]) == sum.map(avg), "\(dtype) avg \(size) rank \(r)")
          let max = (0..<size).map { i in (0..<n).map { a($0, i) }.max()! }
          #expect(values(got["allReduce.max.\(size)"]) == max.map(typed), "\(dtype) max \(size) rank \(r)")
          let root = (0..<size).map { Double((n - 1) * 1000 + $0) }
          #expect(values(got["broadcast.\(size)"]) == root, "\(dtype) broadcast \(size) rank \(r)")
        }
        let gathered = (0..<n).flatMap { q in (0..<(q + 2)).map { Double(q * 100 + $0) } }
        #expect(values(got["allGather.counts"]) == gathered, "\(dtype) allGather rank \(r)")
        let list = try #require(got["allGather.list"] as? [[String: Any]])
        #expect(list.count == n)
        for (q, record) in list.enumerated() {
          #expect(record["shape"] as? [Int] == [q + 1, 2])
          #expect(values(record["values"]) == (0..<(q + 1) * 2).map { Double(q * 10 + $0) })
          #expect(record["dtype"] as? String == dtype)
        }
        let shares = (0..<n).map { 2 * $0 + 1 }
        let start = shares[..<r].reduce(0, +)
        let mine = (start..<start + shares[r]).map { Double($0 + 1) }
        let rankSum = Double(n * (n + 1) / 2)
        #expect(values(got["reduceScatter.sum"]) == mine.map { $0 * rankSum }, "\(dtype) rank \(r)")
        #expect(values(got["reduceScatter.avg"]) == mine.map { avg($0 * rankSum) }, "\(dtype) rank \(r)")
        #expect(values(got["reduceScatter.max"]) == mine.map { $0 * Double(n) }, "\(dtype) rank \(r)")
      }
      let errors = try #require(file["errors"] as? [String: String])
      #expect(
        errors["broadcastFromMissingRank"]
          == "broadcast from rank \(n) (MPI_Bcast) failed: MPI_ERR_ROOT: invalid root")
      #expect(
        errors["allReduceInt64"]
          == "allReduce: tensors must be torch.float32 or torch.float64, got torch.int64")
      #expect(
        errors["reduceScatterUneven"]
          == "reduceScatter: input of \(n + 1) elements does not split evenly over \(n) ranks; pass counts")
      #expect(errors["allGatherWrongCount"] == "allGather: rank \(r) gives 3 elements, but counts[\(r)] is 2")
    }
  }

  private func values(_ object: Any?) -> [Double] {
    (object as? [String] ?? []).compactMap(Double.init)
  }
}
