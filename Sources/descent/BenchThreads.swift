import ArgumentParser
import Descent
import DescentNN
import DescentOptim
import DescentWorkbench
import Foundation

/// `descent bench threads`: the threading targets (a fused step after BLAS calls, thread
/// scaling of fused steps and of the MLP step) in one interleaved run.
///
/// For each fused optimizer step it times, in a rotating order within every round:
/// the step alone at N threads; the step right after a BLAS-path step of the same optimizer
/// on other parameters (no wait in between, so OpenBLAS's workers, if any, are still
/// spinning); the step alone at one thread. The MLP training step is timed at N threads
/// and at one. Each condition runs with Descent's BLAS calls on its pool and, with
/// `--blas-pool on off`, handed to OpenBLAS's threads, so that both are measured under the
/// same machine load. Before every measurement it waits until no other thread of the
/// process is runnable; then an "alone" measurement runs one untimed step of its own kind
/// first (unless `--no-warm`: threads awake and the clock up, as in a training loop), and
/// "after BLAS" runs the BLAS step instead, with no wait before the timed step.
struct BenchThreads: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "threads",
    abstract: "Fused steps alone, right after BLAS calls and at one thread; the MLP step at N and 1 threads."
  )

  @Option(
    parsing: .upToNextOption,
    help: "Optimizers (fused steps), NAME[:key=value,...] from the registry; plain sgd means momentum 0.9.")
  var optimizers: [String] = ["sgd", "adam"]

  @Option(help: "Parameter count of the optimizer cases.")
  var size: String = "10M"

  @Option(help: "Threads of the multi-threaded conditions (default: all cores).")
  var threads: Int?

  @Option(help: "Timed rounds; medians are reported.")
  var rounds: Int = 15

  @Option(
    parsing: .upToNextOption,
    help: "Where Descent's BLAS calls run: on (its pool), off (OpenBLAS's threads); both interleave.")
  var blasPool: [String] = ["on", "off"]

  @Flag(help: "Leave out the MLP step.")
  var noMLP = false

  @Flag(
    inversion: .prefixedNo,
    help:
      "Run one untimed step of the same kind right before each timed \"alone\" step, as in a training loop (threads awake, clock up); without, each such step starts from an idle pause."
  )
  var warm = true

  func validate() throws {
    for name in optimizers { _ = try OptimizerSpec(parsing: name) }
    if parseCount(size) == nil { throw ValidationError("invalid --size '\(size)'") }
    for mode in blasPool where mode != "on" && mode != "off" {
      throw ValidationError("--blas-pool takes on and/or off, got '\(mode)'")
    }
    if rounds < 1 { throw ValidationError("--rounds must be at least 1") }
    if let threads, threads < 2 { throw ValidationError("--threads must be at least 2, got \(threads)") }
  }

  struct Condition: Hashable {
    var subject: String
    var situation: String
    var pool: Bool
  }

  func run() throws {
    BLASCore.prepare()
    let wide = threads ?? Swift.max(2, Threads.count)
    Threads.set(wide)
    let count = parseCount(size)!
    let layout = BenchLayout(tensors: 1, elementsPerTensor: count)
    let pools = blasPool.map { $0 == "on" }
    let quiet = QuietThreads()

    struct Case {
      var name: String
      var fused: Optimizer
      var blas: Optimizer
    }
    var cases: [Case] = []
    for name in optimizers {
      // SGD with momentum 0.9, as `bench optimizers` runs it; others with their defaults.
      let kind =
        name.lowercased() == "sgd"
        ? OptimizerSpec(.sgd, ["momentum": 0.9]) : try OptimizerSpec(parsing: name)
      let fusedParameters = BenchParameters(layout, dtype: .float32, seed: 1)
      let blasParameters = BenchParameters(layout, dtype: .float32, seed: 2)
      let fused = try kind.make(fusedParameters.params, implementation: .fused)
      let blas = try kind.make(blasParameters.params, implementation: .blas)
      for _ in 0..<3 {
        try fused.step()
        try blas.step()
      }
      cases.append(Case(name: "\(kind.description) \(layout.label)", fused: fused, blas: blas))
    }
    let mlp = noMLP ? nil : try MLPStep()

    var times: [Condition: [Double]] = [:]
    typealias Item = (Condition, () throws -> Double)
    var items: [Item] = []
    for pool in pools {
      for c in cases {
        items.append(
          (
            Condition(subject: c.name, situation: "alone, \(wide) threads", pool: pool),
            {
              quiet.wait()
              if warm { try c.fused.step() }
              return try timeMilliseconds { try c.fused.step() }
            }
          ))
        items.append(
          (
            Condition(subject: c.name, situation: "right after a BLAS step, \(wide) threads", pool: pool),
            {
              quiet.wait()
              try c.blas.step()
              return try timeMilliseconds { try c.fused.step() }
            }
          ))
        items.append(
          (
            Condition(subject: c.name, situation: "alone, 1 thread", pool: pool),
            {
              Threads.set(1)
              defer { Threads.set(wide) }
              quiet.wait()
              if warm { try c.fused.step() }
              return try timeMilliseconds { try c.fused.step() }
            }
          ))
      }
      if let mlp {
        for n in [wide, 1] {
          items.append(
            (
              Condition(
                subject: "MLP step", situation: n == 1 ? "alone, 1 thread" : "alone, \(wide) threads",
                pool: pool),
              {
                Threads.set(n)
                defer { Threads.set(wide) }
                quiet.wait()
                if warm { try mlp.step() }
                return try timeMilliseconds { try mlp.step() }
              }
            ))
        }
      }
    }
    let cpuBefore = ThreadCPU.snapshot()
    for round in 0..<rounds {
      for k in items.indices {
        let (condition, measure) = items[(k + round) % items.count]
        Threads.blasOnPool = condition.pool
        times[condition, default: []].append(try measure())
      }
    }
    Threads.blasOnPool = true
    let cpuAfter = ThreadCPU.snapshot()

    print(
      "descent bench threads — \(wide) threads, median of \(rounds) interleaved rounds; \(Machine.current().cpu); BLAS: \(BLASSummary.line)"
    )
    print(
      "load average: \(Machine.loadAverage()); \(quiet.summary); an untimed step before each alone step: \(warm)"
    )
    for pool in pools {
      print(
        "\nDescent's BLAS calls \(pool ? "on Descent's pool (default)" : "on OpenBLAS's threads (DESCENT_BLAS_POOL=off)"):"
      )
      var subjects = cases.map(\.name)
      if mlp != nil { subjects.append("MLP step") }
      for subject in subjects {
        func ms(_ situation: String) -> Double {
          median(times[Condition(subject: subject, situation: situation, pool: pool)] ?? [])
        }
        let alone = ms("alone, \(wide) threads")
        let one = ms("alone, 1 thread")
        var line = "  \(subject.padding(34)) alone \(String(format: "%7.3f", alone)) ms"
        if subject != "MLP step" {
          let after = ms("right after a BLAS step, \(wide) threads")
          line += String(format: "   after BLAS %7.3f ms (%.2f×, target ≤ 1.10)", after, after / alone)
        }
        let target = subject == "MLP step" ? 1.3 : 1.7
        line += String(
          format: "   1 thread %7.3f ms (%d threads %.2f× faster, target ≥ %.1f)", one, wide, one / alone,
          target)
        print(line)
      }
    }
    print("\nCPU seconds of each thread during the run (/proc/self/task/*/stat, user+system):")
    for line in ThreadCPU.difference(cpuBefore, cpuAfter) { print("  \(line)") }
  }
}

/// The MLP of `descent bench mlp` (784-512-256-10, batch 128, Adam, float32).
final class MLPStep {
  let model: Sequential
  let optimizer: Adam
  let criterion = CrossEntropyLoss()
  let x: Tensor
  let y: Tensor

  init(layers: [Int] = [784, 512, 256, 10], batch: Int = 128) throws {
    manualSeed(0)
    var modules: [Module] = []
    for i in 0..<(layers.count - 1) {
      modules.append(Linear(layers[i], layers[i + 1]))
      if i < layers.count - 2 { modules.append(ReLU()) }
    }
    model = Sequential(modules)
    optimizer = try Adam(model.parameters(), lr: 1e-3)
    x = Tensor.randn([batch, layers[0]], generator: Generator(seed: 1))
    y = Tensor.randint(0, layers.last!, shape: [batch], generator: Generator(seed: 2))
    for _ in 0..<3 { try step() }
  }

  func step() throws {
    optimizer.zeroGrad()
    criterion(model(x), y).backward()
    try optimizer.step()
  }
}

/// Per-thread CPU time from /proc/self/task/*/stat.
enum ThreadCPU {
  struct Entry {
    var name: String
    var seconds: Double
  }

  static func snapshot() -> [String: Entry] {
    var result: [String: Entry] = [:]
    let folder = "/proc/self/task"
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [:] }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    for tid in tasks {
      guard let stat = try? String(contentsOfFile: "\(folder)/\(tid)/stat", encoding: .utf8),
        let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
      else { continue }
      let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
      guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
        continue
      }
      result[tid] = Entry(
        name: String(stat[stat.index(after: open)..<close]), seconds: (user + system) / ticks)
    }
    return result
  }

  /// `tid name: seconds` for threads that used CPU between the snapshots, busiest first.
  static func difference(_ before: [String: Entry], _ after: [String: Entry]) -> [String] {
    after.map { tid, entry in (tid, entry.name, entry.seconds - (before[tid]?.seconds ?? 0)) }
      .filter { $0.2 > 0 }
      .sorted { $0.2 > $1.2 }
      .map { "\($0.0) \($0.1): \(String(format: "%.2f", $0.2)) s" }
  }
}
