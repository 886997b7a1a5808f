import ArgumentParser
import CMallocCounter
import Descent
import DescentNN
import DescentOptim
import Foundation

/// `descent bench mlp`: steps per second of a whole training step (zeroGrad, forward,
/// cross-entropy, backward, Adam) on an MLP, side by side with PyTorch eager.
struct BenchMLP: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mlp",
    abstract: "MLP training steps per second (Adam, float32) against PyTorch eager, in one run.",
    discussion: """
      Each round times one Descent step and, with --compare-torch, one step of PyTorch's \
      default Adam (the for-loop on CPU) and of Adam(fused=True), in a rotating order with a \
      pause before each that ends when no other thread of either process is runnable (no \
      pool still spinning after the previous step). The same layer sizes, batch and learning rate on both sides; inputs \
      and targets are fixed random tensors.
      """
  )

  @Option(parsing: .upToNextOption, help: "Layer sizes, input first.")
  var layers: [Int] = [784, 512, 256, 10]

  @Option(help: "Batch size.")
  var batch: Int = 128

  @Flag(
    inversion: .prefixedNo,
    help: "Wait before each measured round until no other thread of this process (or PyTorch's) is runnable."
  )
  var quietWait = true

  @Option(help: "Threads for Descent, OpenBLAS and PyTorch (default: all cores).")
  var threads: Int?

  @Option(help: "Timed rounds; medians are reported.")
  var steps: Int = 30

  @Option(help: "Untimed steps first.")
  var warmup: Int = 5

  @OptionGroup var torchOptions: TorchComparisonOptions

  @Option(
    help:
      "Milliseconds to sleep before each timed step; then it waits until no other thread of this process or PyTorch's is runnable."
  )
  var settleMs: Int = 20

  func validate() throws {
    if layers.count < 2 || layers.contains(where: { $0 < 1 }) {
      throw ValidationError("--layers needs at least two positive sizes, got \(layers)")
    }
    if batch < 1 { throw ValidationError("--batch must be positive, got \(batch)") }
    if steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
  }

  func run() throws {
    // The core is chosen before any BLAS call, the benchmark's own raw calls included.
    BLASCore.prepare()
    if let threads { Threads.set(threads) }
    manualSeed(0)
    var modules: [Module] = []
    for i in 0..<(layers.count - 1) {
      modules.append(Linear(layers[i], layers[i + 1]))
      if i < layers.count - 2 { modules.append(ReLU()) }
    }
    let model = Sequential(modules)
    let optimizer = try Adam(model.parameters(), lr: 1e-3)
    let criterion = CrossEntropyLoss()
    let x = Tensor.randn([batch, layers[0]], generator: Generator(seed: 1))
    let y = Tensor.randint(0, layers.last!, shape: [batch], generator: Generator(seed: 2))
    // Heap allocations of each phase, summed over the timed steps, and its times.
    var phaseAllocations = [UInt64](repeating: 0, count: 5)
    var phaseTimes = [[Double]](repeating: [], count: 5)
    func step() throws {
      var mark = descent_malloc_count()
      var clock = DispatchTime.now().uptimeNanoseconds
      func phase(_ i: Int) {
        let now = descent_malloc_count()
        phaseAllocations[i] &+= now - mark
        mark = now
        let time = DispatchTime.now().uptimeNanoseconds
        phaseTimes[i].append(Double(time - clock) / 1e6)
        clock = time
      }
      optimizer.zeroGrad()
      phase(0)
      let output = model(x)
      phase(1)
      let loss = criterion(output, y)
      phase(2)
      loss.backward()
      phase(3)
      try optimizer.step()
      phase(4)
    }
    for _ in 0..<warmup { try step() }
    phaseAllocations = [UInt64](repeating: 0, count: 5)
    phaseTimes = [[Double]](repeating: [], count: 5)

    var torch: TorchStepServer?
    let torchImpls = ["default", "fused"]
    do {
      torch = try torchOptions.startServer()
      try torch?.mlpSetup(layers: layers, batch: batch, impls: torchImpls, warmup: warmup)
    } catch {
      print("PyTorch comparison skipped: \(error)")
      torch = nil
    }

    var descentTimes: [Double] = []
    var allocations: [UInt64] = []
    var torchTimes: [String: [Double]] = [:]
    let items = ["descent"] + (torch == nil ? [] : torchImpls)
    let quiet = QuietThreads()
    for round in 0..<steps {
      for k in items.indices {
        if settleMs > 0 { usleep(UInt32(settleMs) * 1000) }
        if quietWait { quiet.wait(others: torch.map { [$0.pid] } ?? []) }
        let item = items[(k + round) % items.count]
        if item == "descent" {
          let before = descent_malloc_count()
          let ms = try timeMilliseconds { try step() }
          let after = descent_malloc_count()
          descentTimes.append(ms)
          allocations.append(after - before)
        } else {
          torchTimes[item, default: []] += try torch!.call(item)
        }
      }
    }

    let sizes = layers.map(String.init).joined(separator: "-")
    print(
      "MLP \(sizes), batch \(batch), Adam(lr=1e-3), float32, \(Threads.count) threads, median of \(steps) interleaved rounds"
    )
    print("load average: \(Machine.loadAverage()); BLAS: \(BLASSummary.line)")
    print(quiet.summary)
    let ms = median(descentTimes)
    print(
      "Descent              \(String(format: "%8.3f", ms)) ms/step  \(String(format: "%7.1f", 1000 / ms)) steps/s  (\(String(format: "%.0f", Double(allocations.reduce(0, +)) / Double(allocations.count))) mallocs/step)"
    )
    let phases = ["zeroGrad", "forward", "loss", "backward", "step"].enumerated().map { i, name in
      "\(name) \(String(format: "%.0f", Double(phaseAllocations[i]) / Double(steps)))"
    }
    print("  mallocs/step by phase: \(phases.joined(separator: ", "))")
    let times = ["zeroGrad", "forward", "loss", "backward", "step"].enumerated().map { i, name in
      "\(name) \(String(format: "%.3f", median(phaseTimes[i])))"
    }
    print("  median ms by phase:    \(times.joined(separator: ", "))")
    if let torch {
      print("PyTorch \(torch.torchVersion), eager:")
      for impl in torchImpls {
        guard let times = torchTimes[impl] else { continue }
        let t = median(times)
        print(
          "  Adam \(impl.padding(12)) \(String(format: "%8.3f", t)) ms/step  \(String(format: "%7.1f", 1000 / t)) steps/s  Descent ÷ PyTorch steps/s: \(String(format: "%.2f", t / ms))×"
        )
      }
    }
  }
}
