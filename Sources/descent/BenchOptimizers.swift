import ArgumentParser
import CDescentKernels
import CMallocCounter
import Descent
import DescentOptim
import DescentWorkbench
import Foundation

/// `descent bench optimizers`: ms per optimizer step against the machine's streaming
/// bandwidth and, with `--compare-torch`, against PyTorch's for-loop, foreach and fused
/// implementations, all in one run.
struct BenchOptimizers: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "optimizers",
    abstract: "Optimizer steps against streaming bandwidth and PyTorch, in one run.",
    discussion: """
      For every optimizer × layout it steps each Descent implementation, an in-place axpy over \
      the same number of elements (BLAS and Descent's threaded kernel; the faster is the \
      bandwidth yardstick) and, with --compare-torch, each PyTorch implementation, one step of \
      each per round, so that load from other processes hits all of them alike. It reports \
      the median ms/step, the effective GB/s from the bytes the optimizer must move, the \
      fraction of the yardstick, heap allocations per step (malloc calls in this process \
      during the step), and PyTorch's times with the ratios Descent ÷ PyTorch's best and \
      Descent ÷ PyTorch's default.
      """
  )

  enum LayoutChoice: String, ExpressibleByArgument, CaseIterable {
    case single, many
  }

  enum ImplementationChoice: String, ExpressibleByArgument, CaseIterable {
    case blas, fused, `default`
    var implementation: OptimizerImplementation {
      switch self {
      case .blas: .blas
      case .fused: .fused
      case .default: .default
      }
    }
  }

  enum DTypeChoice: String, ExpressibleByArgument, CaseIterable {
    case float32, float64, bfloat16, float16
    var dtype: DType { DType(rawValue: rawValue)! }
  }

  enum StateDTypeChoice: String, ExpressibleByArgument, CaseIterable {
    case param, bfloat16, float16
  }

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp(
      "Optimizers, each NAME or NAME:key=value,... (PyTorch's keyword arguments): \(OptimizerKind.allCases.map { $0.name.lowercased() }.joined(separator: ", ")).",
      valueName: "optimizer"))
  var optimizers: [OptimizerSpec] = OptimizerSpec.benchDefaults

  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp(
      "8-bit optimizers (bitsandbytes' block-wise state, float32 only), timed beside PyTorch's float32 fused Adam/AdamW: \(EightBitChoice.allCases.map(\.rawValue).joined(separator: ", ")).",
      valueName: "optimizer"))
  var eightBit: [EightBitChoice] = [.adam8bit]

  @Option(
    parsing: .upToNextOption, help: "Parameter counts of the single-tensor layout (1M, 2.5M, 50000000).")
  var sizes: [String] = ["1M", "10M", "50M"]

  @Option(parsing: .upToNextOption, help: "Layouts: single (one tensor per size), many (--many-shape).")
  var layouts: [LayoutChoice] = [.single, .many]

  @Option(help: "Tensors × elements per tensor of the many layout.")
  var manyShape: String = "2000x1000"

  @Option(help: "Element type of the parameters: float32, float64, bfloat16 or float16.")
  var dtype: DTypeChoice = .float32

  @Option(
    name: .customLong("state-dtype"),
    help:
      "Adam's and AdamW's state dtype: param (the parameter's, as PyTorch), bfloat16 or float16 (Descent's stateDType:). PyTorch runs with its own state."
  )
  var stateDType: StateDTypeChoice = .param

  @Flag(help: "With --state-dtype bfloat16: stochastic rounding (seed 0) instead of round to nearest.")
  var stochasticRounding = false

  @Option(
    parsing: .upToNextOption,
    help: "Descent implementations: blas, fused, default (= \(OptimizerImplementation.default.rawValue)).")
  var implementations: [ImplementationChoice] = [.blas, .fused]

  @Flag(
    inversion: .prefixedNo,
    help: "Wait before each measured round until no other thread of this process (or PyTorch's) is runnable."
  )
  var quietWait = true

  @Option(help: "Threads for Descent, OpenBLAS and PyTorch (default: Descent's default, all cores).")
  var threads: Int?

  @Option(
    help:
      "Timed rounds per allocation (one step of every implementation each); medians over all allocations are reported."
  )
  var steps: Int = 7

  @Option(
    name: .customLong("allocations"),
    help: "Times each case allocates its tensors afresh, on both sides (placement in memory moves bandwidth)."
  )
  var allocationsPerCase: Int = 3

  @Option(help: "Untimed steps per optimizer before timing (the first one allocates the state).")
  var warmup: Int = 3

  @OptionGroup var torchOptions: TorchComparisonOptions

  @Option(parsing: .upToNextOption, help: "PyTorch implementations to time: forloop, foreach, fused.")
  var torchImpls: [String] = ["forloop", "foreach", "fused"]

  @Option(
    help:
      "Milliseconds to sleep before each timed step; then it waits until no other thread of this process or PyTorch's is runnable (pools spinning after the previous step)."
  )
  var settleMs: Int = 50

  // Handled before parsing: `bench optimizers --zero` runs in descent-distributed.
  @Flag(help: "Per-rank step time and state memory with ZeRO-1 over MPI ranks (runs in descent-distributed).")
  var zero = false

  @Flag(help: "Print JSON instead of the table.")
  var json = false

  @Flag(help: "Print CSV instead of the table.")
  var csv = false

  @Option(help: "Write an SVG plot of ms/step by optimizer and size here ('' for none).")
  var plot: String = "bench-out/optimizers.svg"

  func validate() throws {
    for size in sizes where parseCount(size) == nil {
      throw ValidationError("invalid parameter count '\(size)'; expected e.g. 1M, 2.5M, 50000000")
    }
    if layouts.contains(.many) && manyLayout == nil {
      throw ValidationError("invalid --many-shape '\(manyShape)'; expected TENSORSxELEMENTS, e.g. 2000x1000")
    }
    if steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
    if allocationsPerCase < 1 {
      throw ValidationError("--allocations must be at least 1, got \(allocationsPerCase)")
    }
    if warmup < 1 {
      throw ValidationError("--warmup must be at least 1 (the first step allocates state), got \(warmup)")
    }
    if let threads, threads < 1 { throw ValidationError("--threads must be positive, got \(threads)") }
    for impl in torchImpls where !["forloop", "foreach", "fused"].contains(impl) {
      throw ValidationError("unknown PyTorch implementation '\(impl)'; expected forloop, foreach or fused")
    }
  }

  var manyLayout: BenchLayout? {
    let parts = manyShape.lowercased().split(whereSeparator: { $0 == "x" || $0 == "×" })
    guard parts.count == 2, let tensors = parseCount(String(parts[0])),
      let elements = parseCount(String(parts[1]))
    else { return nil }
    return BenchLayout(tensors: tensors, elementsPerTensor: elements)
  }

  func run() throws {
    // The core is chosen before any BLAS call, the benchmark's own raw calls included.
    BLASCore.prepare()
    if let threads { Threads.set(threads) }
    var report = BenchReport(
      machine: .current(), dtype: dtype.rawValue, threads: Threads.count,
      defaultImplementation: OptimizerImplementation.default.rawValue, steps: steps)
    // Adam's state dtype rides in the spec (and so in its label); PyTorch gets the spec
    // without it (BenchSubject).
    let kinds = optimizers.map { spec -> OptimizerSpec in
      guard stateDType != .param, spec.kind == .adam || spec.kind == .adamw else { return spec }
      var options = spec.options
      options["state_dtype"] = .string(stateDType.rawValue)
      if stochasticRounding { options["state_rounding_seed"] = .string("0") }
      return OptimizerSpec(spec.kind, options)
    }
    var subjects = kinds.map(BenchSubject.init)
    let eightBitSubjects = eightBit.compactMap(\.subject)
    if dtype == .float32 {
      subjects += eightBitSubjects
    } else if !eightBitSubjects.isEmpty {
      report.notes.append("8-bit optimizers skipped: they keep float32 parameters only")
    }
    var caseLayouts: [BenchLayout] = []
    if layouts.contains(.single) {
      caseLayouts += sizes.map { BenchLayout(tensors: 1, elementsPerTensor: parseCount($0)!) }
    }
    if layouts.contains(.many), let many = manyLayout { caseLayouts.append(many) }
    var chosen: [OptimizerImplementation] = []
    for choice in implementations where !chosen.contains(choice.implementation) {
      chosen.append(choice.implementation)
    }

    report.mallocCounting = Self.mallocCountingWorks()
    report.allocations = allocationsPerCase

    var torch: TorchStepServer?
    do {
      torch = try torchOptions.startServer()
      if let torch {
        report.torch = .init(
          version: torch.torchVersion, python: torch.pythonVersion, threads: torch.threads)
      }
    } catch {
      report.notes.append("PyTorch comparison skipped: \(error)")
      log("PyTorch comparison skipped: \(error)")
    }
    log(
      "descent bench optimizers: \(dtype.rawValue), \(Threads.count) threads, kernels: \(report.machine.kernelISA), BLAS: \(report.machine.blas), load average \(report.machine.loadAverageStart)"
    )

    let quiet = QuietThreads()
    for layout in caseLayouts {
      var blasAxpy: [Double] = []
      var threadedAxpy: [Double] = []
      for subject in subjects {
        let chosen = subject.implementations ?? chosen
        let torchImpls = subject.torchImpls ?? torchImpls
        var times = [[Double]](repeating: [], count: chosen.count)
        var allocations = [[UInt64]](repeating: [], count: chosen.count)
        var torchTimes: [String: [Double]] = [:]
        var torchSetup: TorchStepServer.Setup?
        var bytesPerElementOfCase = 0.0
        // Where the kernel places a buffer in physical memory moves its bandwidth by tens
        // of percent from one allocation to the next on a virtual machine, so every side
        // allocates its tensors afresh several times and the medians pool all of them.
        for allocation in 0..<allocationsPerCase {
          log("  \(layout.label) \(subject.label): allocation \(allocation + 1) of \(allocationsPerCase)")
          let parameters = BenchParameters(layout, dtype: dtype.dtype, seed: UInt64(allocation))
          let axpy = BenchAxpy(count: layout.total, dtype: dtype.dtype)
          let optimizers = try chosen.map { implementation -> Optimizer in
            let optimizer = try subject.make(parameters.params, implementation)
            for _ in 0..<warmup { try optimizer.step() }
            return optimizer
          }
          if let first = optimizers.first {
            bytesPerElementOfCase = bytesPerElement(first, parameters.params[0])
          }
          if let torch {
            torchSetup = try torch.setup(
              optimizer: subject.torch, layout: layout, dtype: dtype.rawValue, impls: torchImpls,
              warmup: warmup)
          }
          // Everything timed in a round, in an order that rotates from round to round, so
          // that each measurement follows each other one equally often (a threaded BLAS
          // call leaves OpenBLAS's workers spinning for a while, PyTorch's OpenMP workers
          // too).
          enum Item {
            case descent(Int)
            case blasAxpy, threadedAxpy
            case torch(String)
          }
          let items: [Item] =
            chosen.indices.map { .descent($0) } + [.blasAxpy, .threadedAxpy]
            + (torchSetup?.available ?? []).map { .torch($0) }
          for round in 0..<steps {
            for k in items.indices {
              settle()
              if quietWait { quiet.wait(others: torch.map { [$0.pid] } ?? []) }
              switch items[(k + round) % items.count] {
              case .descent(let i):
                let before = descent_malloc_count()
                let ms = try timeMilliseconds { try optimizers[i].step() }
                let after = descent_malloc_count()
                times[i].append(ms)
                allocations[i].append(after - before)
              case .blasAxpy: blasAxpy.append(axpy.blas())
              case .threadedAxpy: threadedAxpy.append(axpy.threaded())
              case .torch(let impl): torchTimes[impl, default: []].append(try torch!.step(impl))
              }
            }
          }
        }
        for (i, implementation) in chosen.enumerated() {
          report.results.append(
            BenchReport.Result(
              optimizer: subject.label, layout: layout, dtype: dtype.dtype, threads: Threads.count,
              implementation: implementation.rawValue,
              isDefault: implementation == .default, times: times[i],
              allocations: allocations[i],
              bytesPerStep: bytesPerElementOfCase * Double(layout.total),
              torch: torchSetup.map { setup in
                BenchReport.Torch(
                  medians: torchTimes.mapValues(median), unavailable: setup.unavailable,
                  defaultImpl: setup.defaultImpl)
              }))
        }
      }
      report.baselines.append(
        BenchReport.Baseline(
          layout: layout, dtype: dtype.rawValue,
          bytes: Double(3 * layout.total * (dtype.dtype.isReducedPrecision ? 4 : dtype.dtype.byteSize)),
          blasMs: median(blasAxpy),
          descentMs: median(threadedAxpy)))
      report.fillStreamFractions()
    }
    report.machine.loadAverageEnd = Machine.loadAverage()
    report.notes.append(quiet.summary)
    report.evaluateTargets()

    if json {
      print(try report.json())
    } else if csv {
      print(report.csv(), terminator: "")
    } else {
      print(report.table(), terminator: "")
    }
    if !plot.isEmpty {
      let url = URL(fileURLWithPath: plot)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try report.svg().write(to: url, atomically: true, encoding: .utf8)
      log("plot: \(plot)")
    }
  }

  private func settle() {
    if settleMs > 0 { usleep(UInt32(settleMs) * 1000) }
  }

  private func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
  }

  /// scripts/bench_torch.py in the current folder or one of its parents.
  static func findTorchScript() throws -> String {
    var folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    while true {
      let candidate = folder.appendingPathComponent("scripts/bench_torch.py")
      if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
      let parent = folder.deletingLastPathComponent()
      if parent.path == folder.path {
        throw BenchError("scripts/bench_torch.py not found from the current folder; pass --torch-script")
      }
      folder = parent
    }
  }

  /// Whether the malloc counter sees allocations made by the Swift runtime (it interposes
  /// malloc in this executable; a static build or another libc would not).
  static func mallocCountingWorks() -> Bool {
    guard descent_malloc_counting_supported() != 0 else { return false }
    let before = descent_malloc_count()
    let probe = withExtendedLifetime(Tensor.zeros([3])) { descent_malloc_count() }
    return probe > before
  }
}
