import ArgumentParser
import Descent
import DescentDistributed
import DescentOptim
import DescentWorkbench
import Foundation

/// `descent bench optimizers --zero`: per-rank step time and optimizer-state memory of
/// each optimizer, unsharded and sharded with ZeroRedundancyOptimizer.
struct BenchOptimizersZero: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "optimizers",
    abstract: "Per-rank step time and state memory, unsharded and with ZeRO-1 (--zero).",
    discussion: """
      Every rank builds the same parameters with fixed gradients, then times --steps steps \
      (after --warmup) of the plain optimizer (every rank updates everything; no \
      communication) and of ZeroRedundancyOptimizer (each rank updates the parameters it \
      owns, then all ranks all-gather the parameters). It reports, per rank, the median \
      ms/step, the bytes of optimizer state the rank holds, and the parameter elements it \
      owns. ZeRO assigns whole tensors (PyTorch's partition), so the single layout, one \
      tensor, is not sharded. Without an MPI launcher it starts itself under mpirun -np --np.
      """
  )

  enum LayoutChoice: String, ExpressibleByArgument, CaseIterable {
    case single, many
  }

  @Flag(help: "Shard the optimizer state with ZeroRedundancyOptimizer (what this command measures).")
  var zero = false

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp("Optimizers, each NAME or NAME:key=value,... (default: all).", valueName: "optimizer"))
  var optimizers: [OptimizerSpec] = OptimizerKind.allCases.map { OptimizerSpec($0) }

  @Option(parsing: .upToNextOption, help: "Parameter counts of the single layout (1M, 10M).")
  var sizes: [String] = ["10M"]

  @Option(parsing: .upToNextOption, help: "Layouts: many (--many-shape), single (one tensor per size).")
  var layouts: [LayoutChoice] = [.many, .single]

  @Option(help: "Tensors × elements per tensor of the many layout.")
  var manyShape: String = "1000x10000"

  @Option(help: "Element type: float32 or float64.")
  var dtype: String = "float32"

  @Option(help: "Threads per rank for Descent and OpenBLAS (default: cores ÷ ranks on this host).")
  var threads: Int?

  @Option(help: "Timed steps per case.")
  var steps: Int = 10

  @Option(help: "Untimed steps per case (the first allocates the state).")
  var warmup: Int = 2

  @Option(help: "Ranks to launch when not started by mpirun.")
  var np: Int = 2

  func validate() throws {
    guard dtype == "float32" || dtype == "float64" else {
      throw ValidationError("--dtype must be float32 or float64, got \(dtype)")
    }
    for size in sizes where count(size) == nil {
      throw ValidationError("invalid parameter count '\(size)'; expected e.g. 1M, 2.5M, 50000000")
    }
    if layouts.contains(.many) && manyLayout == nil {
      throw ValidationError("invalid --many-shape '\(manyShape)'; expected TENSORSxELEMENTS")
    }
    guard steps > 0, warmup > 0, np > 0 else {
      throw ValidationError("--steps, --warmup and --np must be positive")
    }
  }

  private var manyLayout: (tensors: Int, elements: Int)? {
    let parts = manyShape.lowercased().split(separator: "x")
    guard parts.count == 2, let t = count(String(parts[0])), let e = count(String(parts[1])) else {
      return nil
    }
    return (t, e)
  }

  private func count(_ text: String) -> Int? {
    let lower = text.lowercased()
    var scale = 1.0
    var digits = Substring(lower)
    if let last = lower.last, let factor = ["k": 1e3, "m": 1e6, "g": 1e9][String(last)] {
      scale = factor
      digits = lower.dropLast()
    }
    guard let value = Double(digits), value > 0, (value * scale).rounded() == value * scale else {
      return nil
    }
    return Int(value * scale)
  }

  func run() throws {
    try relaunchUnderMPIRun(ranks: np)
    try runRanked { group in
      let type = DType(rawValue: dtype)!
      let localRanks = Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? 1
      Threads.set(threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / localRanks))
      var cases: [(label: String, shapes: [[Int]])] = []
      if layouts.contains(.many), let many = manyLayout {
        cases.append(
          ("many \(many.tensors)x\(many.elements)", Array(repeating: [many.elements], count: many.tensors)))
      }
      if layouts.contains(.single) {
        for size in sizes { cases.append(("single \(size)", [[count(size)!]])) }
      }
      say(
        group,
        "descent bench optimizers --zero: \(group.worldSize) ranks, \(dtype), \(Threads.count) threads per rank, \(Machine.cpuModel); median of \(steps) steps"
      )
      say(group, row(["optimizer", "layout", "mode", "rank", "ms/step", "state MB", "owned elements"]))
      for spec in optimizers {
        for layoutCase in cases {
          for sharded in [false, true] {
            let params = layoutCase.shapes.enumerated().map { index, shape -> Tensor in
              let g = Generator(seed: UInt64(index))
              let p = Tensor.randn(shape, dtype: type, generator: g).requiresGrad(true)
              p.grad = Tensor.randn(shape, dtype: type, generator: g) * 1e-3
              return p
            }
            let optimizer = try spec.make(params, implementation: .default)
            let zeroOptimizer = sharded ? try ZeroRedundancyOptimizer(optimizer, group: group) : nil
            let step = { try zeroOptimizer?.step() ?? optimizer.step() }
            for _ in 0..<warmup { try step() }
            var times: [Double] = []
            for _ in 0..<steps {
              try group.barrier()
              let start = DispatchTime.now().uptimeNanoseconds
              try step()
              times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            let stateBytes =
              zeroOptimizer?.localStateByteCount
              ?? params.reduce(0) { total, p in
                total + optimizer.state(for: p).values.reduce(0) { $0 + $1.count * $1.dtype.byteSize }
              }
            let owned =
              zeroOptimizer.map { $0.elementsPerRank[group.rank] } ?? params.reduce(0) { $0 + $1.count }
            let mine = Tensor([times[times.count / 2], Double(stateBytes), Double(owned)], dtype: .float64)
            let all = try group.allGather(mine)
            for (r, values) in all.enumerated() {
              let v = values.asArray(Double.self)
              say(
                group,
                row([
                  spec.label, layoutCase.label, sharded ? "zero" : "plain", "\(r)",
                  String(format: "%.2f", v[0]), String(format: "%.1f", v[1] / 1e6), "\(Int(v[2]))",
                ]))
            }
          }
        }
      }
    }
  }

  private func row(_ columns: [String]) -> String {
    columns.map { $0.padding(toLength: max(16, $0.count), withPad: " ", startingAt: 0) }.joined(
      separator: " ")
  }
}
