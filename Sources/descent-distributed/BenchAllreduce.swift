import ArgumentParser
import Descent
import DescentDistributed
import Foundation

/// `descent bench allreduce`: time `ProcessGroup.allReduce` over message sizes and report
/// algorithm and bus bandwidth as nccl-tests define them.
struct BenchAllreduce: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "allreduce",
    abstract: "All-reduce time, algorithm bandwidth and bus bandwidth per message size.",
    discussion: """
      Each size is all-reduced (sum, in place) --iterations times after --warmup untimed \
      calls, with a barrier before each timed call; the time of a call is the slowest \
      rank's, and the table shows the median over calls. As in nccl-tests: algbw = bytes / \
      time, busbw = algbw × 2(n−1)/n, the traffic each rank's link carries in a ring \
      all-reduce, which is comparable across rank counts and with the link's bandwidth. \
      For the cost model of a ring all-reduce, t = 2(n−1)·α + 2(n−1)/n · bytes / β, it also \
      measures on rank 0 a copy of the message between two buffers (memcpy, median over \
      calls; on one host the ranks' "link" is memory, and shared-memory transport copies \
      through it) and prints the model's time with β = that copy bandwidth and α = the \
      smallest message's time / 2(n−1). Without an MPI launcher it starts itself under \
      mpirun -np --np.
      """
  )

  @Option(help: "Ranks to launch when not started by mpirun.")
  var np: Int = 2

  @Option(help: "Smallest message in bytes.")
  var minBytes: Int = 8

  @Option(help: "Largest message in bytes.")
  var maxBytes: Int = 256 << 20

  @Option(help: "Factor between successive sizes.")
  var factor: Int = 4

  @Option(help: "Element type: float32 or float64.")
  var dtype: String = "float32"

  @Option(help: "Timed calls per size.")
  var iterations: Int = 20

  @Option(help: "Untimed calls per size.")
  var warmup: Int = 5

  func validate() throws {
    guard dtype == "float32" || dtype == "float64" else {
      throw ValidationError("--dtype must be float32 or float64, got \(dtype)")
    }
    guard minBytes > 0, maxBytes >= minBytes, factor >= 2, iterations > 0, warmup >= 0, np > 0 else {
      throw ValidationError("need 0 < --min-bytes <= --max-bytes, --factor >= 2, --iterations > 0, --np > 0")
    }
  }

  func run() throws {
    try relaunchUnderMPIRun(ranks: np)
    try runRanked { group in
      let type = DType(rawValue: dtype)!
      let n = group.worldSize
      say(
        group,
        "descent bench allreduce: \(n) ranks, \(dtype), \(Machine.cpuModel), \(iterations) timed calls per size (median of the slowest rank's time)"
      )
      say(
        group,
        pad(["bytes", "elements", "time (µs)", "algbw (GB/s)", "busbw (GB/s)", "copy (GB/s)", "model (µs)"]))
      var alpha: Double?
      var bytes = minBytes
      while bytes <= maxBytes {
        let count = max(1, bytes / type.byteSize)
        let t = Tensor.ones([count], dtype: type)
        for _ in 0..<warmup { try group.allReduce(t) }
        var times: [Double] = []
        let slowest = Tensor.zeros([1], dtype: .float64)
        for _ in 0..<iterations {
          try group.barrier()
          let start = DispatchTime.now().uptimeNanoseconds
          try group.allReduce(t)
          let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
          slowest.withUnsafeMutablePointer(Double.self) { $0[0] = seconds }
          try group.allReduce(slowest, op: .max)
          times.append(slowest.item())
        }
        times.sort()
        let time = times[times.count / 2]
        let size = Double(count * type.byteSize)
        let algbw = size / time / 1e9
        let busbw = algbw * 2 * Double(n - 1) / Double(n)
        let copy = copyBandwidth(bytes: count * type.byteSize)
        let steps = Double(2 * max(n - 1, 1))
        if alpha == nil { alpha = time / steps }
        let model = steps * alpha! + 2 * Double(n - 1) / Double(n) * size / (copy * 1e9)
        say(
          group,
          pad([
            "\(count * type.byteSize)", "\(count)", String(format: "%.1f", time * 1e6),
            String(format: "%.3f", algbw), String(format: "%.3f", busbw),
            String(format: "%.2f", copy), String(format: "%.1f", model * 1e6),
          ]))
        bytes *= factor
      }
    }
  }

  /// GB/s of a memcpy of `bytes` between two fresh buffers (median over the iterations).
  private func copyBandwidth(bytes: Int) -> Double {
    let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    let target = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer {
      source.deallocate()
      target.deallocate()
    }
    memset(source, 1, bytes)
    memset(target, 0, bytes)
    var times: [Double] = []
    for _ in 0..<iterations {
      let start = DispatchTime.now().uptimeNanoseconds
      memcpy(target, source, bytes)
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return Double(bytes) / max(times[times.count / 2], 1e-9) / 1e9
  }

  private func pad(_ columns: [String]) -> String {
    columns.map { $0.padding(toLength: max(14, $0.count), withPad: " ", startingAt: 0) }.joined(
      separator: " ")
  }
}

/// Facts about the machine for report headers.
enum Machine {
  /// `lscpu`'s model name, from /proc/cpuinfo.
  static var cpuModel: String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
      let colon = line.firstIndex(of: ":")
    else { return "unknown CPU" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
  }
}
