import CDescentKernels
import Descent
import Foundation

/// What `descent bench optimizers` measured, and its table, CSV, JSON and SVG forms.
struct BenchReport: Encodable {
  struct TorchInfo: Encodable {
    var version: String
    var python: String
    var threads: Int
  }

  /// The streaming yardstick of one layout: `y ← y + a·x` over its element count.
  struct Baseline: Encodable {
    var layout: String
    var params: Int
    var dtype: String
    var bytes: Double
    var blasMs: Double
    var blasGBps: Double
    var descentMs: Double
    var descentGBps: Double
    /// The faster of the two: what the optimizers' fractions are relative to.
    var streamGBps: Double

    init(layout: BenchLayout, dtype: String, bytes: Double, blasMs: Double, descentMs: Double) {
      self.layout = layout.label
      self.params = layout.total
      self.dtype = dtype
      self.bytes = bytes
      self.blasMs = blasMs
      self.descentMs = descentMs
      blasGBps = bytes / blasMs / 1e6
      descentGBps = bytes / descentMs / 1e6
      streamGBps = max(blasGBps, descentGBps)
    }
  }

  struct Torch: Encodable {
    /// Median ms/step of each implementation that exists.
    var medians: [String: Double]
    /// Implementations PyTorch refused, with its message.
    var unavailable: [String: String]
    /// What PyTorch runs by default on this device (its `_default_to_fused_or_foreach`).
    var defaultImpl: String

    var best: (impl: String, ms: Double)? {
      medians.min { $0.value < $1.value }.map { ($0.key, $0.value) }
    }
    var defaultMs: Double? { medians[defaultImpl] }
  }

  struct Result: Encodable {
    var optimizer: String
    var layout: String
    var layoutLabel: String
    var tensors: Int
    var params: Int
    var dtype: String
    var threads: Int
    var implementation: String
    var isDefault: Bool
    var medianMs: Double
    var minMs: Double
    var bytesPerStep: Double
    var gbps: Double
    var streamGBps: Double?
    var fractionOfStream: Double?
    /// Mean malloc calls per timed step, and the most in any one step.
    var allocationsPerStep: Double
    var maxAllocationsPerStep: UInt64
    var torch: Torch?
    var torchBestImpl: String?
    var ratioToTorchBest: Double?
    var ratioToTorchDefault: Double?
    var ratioToTorchFused: Double?

    init(
      optimizer: String, layout: BenchLayout, dtype: DType, threads: Int, implementation: String,
      isDefault: Bool, times: [Double], allocations: [UInt64], bytesPerStep: Double, torch: Torch?
    ) {
      self.optimizer = optimizer
      self.layout = layout.name
      self.layoutLabel = layout.label
      self.tensors = layout.tensors
      self.params = layout.total
      self.dtype = dtype == .float64 ? "float64" : "float32"
      self.threads = threads
      self.implementation = implementation
      self.isDefault = isDefault
      medianMs = median(times)
      minMs = times.min() ?? .nan
      self.bytesPerStep = bytesPerStep
      gbps = bytesPerStep / medianMs / 1e6
      allocationsPerStep = Double(allocations.reduce(0, +)) / Double(max(1, allocations.count))
      maxAllocationsPerStep = allocations.max() ?? 0
      self.torch = torch
      if let torch {
        if let best = torch.best {
          torchBestImpl = best.impl
          ratioToTorchBest = medianMs / best.ms
        }
        ratioToTorchDefault = torch.defaultMs.map { medianMs / $0 }
        ratioToTorchFused = torch.medians["fused"].map { medianMs / $0 }
      }
    }
  }

  /// One of the throughput targets, checked on this run's numbers.
  struct Target: Encodable {
    var target: String
    var subject: String
    var value: String
    var met: Bool
  }

  var machine: Machine
  var dtype: String
  var threads: Int
  var defaultImplementation: String
  var steps: Int
  var allocations = 1
  var mallocCounting = false
  var torch: TorchInfo?
  var baselines: [Baseline] = []
  var results: [Result] = []
  var targets: [Target] = []
  var notes: [String] = []

  init(machine: Machine, dtype: String, threads: Int, defaultImplementation: String, steps: Int) {
    self.machine = machine
    self.dtype = dtype
    self.threads = threads
    self.defaultImplementation = defaultImplementation
    self.steps = steps
  }

  mutating func fillStreamFractions() {
    for i in results.indices where results[i].streamGBps == nil {
      guard let baseline = baselines.first(where: { $0.layout == results[i].layoutLabel }) else {
        continue
      }
      results[i].streamGBps = baseline.streamGBps
      results[i].fractionOfStream = results[i].gbps / baseline.streamGBps
    }
  }

  /// The throughput targets, on the rows of the default implementation.
  mutating func evaluateTargets() {
    targets = []
    let defaults = results.filter(\.isDefault)
    let float32 = dtype == "float32"
    for r in defaults
    where r.layout == "single" && r.params == 50_000_000 && float32 && !r.optimizer.contains("state_dtype=") {
      if let ratio = r.ratioToTorchBest {
        targets.append(
          Target(
            target: "50M float32, one tensor: ≤ 0.9 × PyTorch's best", subject: r.optimizer,
            value: String(format: "%.2f × ", ratio) + (r.torchBestImpl ?? "?"), met: ratio <= 0.9))
      }
      if let fraction = r.fractionOfStream {
        targets.append(
          Target(
            target: "50M float32, one tensor: ≥ 85% of streaming bandwidth", subject: r.optimizer,
            value: String(format: "%.0f%%", fraction * 100), met: fraction >= 0.85))
      }
    }
    for r in defaults where r.optimizer.hasSuffix("8bit") && r.layout == "single" && r.params == 50_000_000 {
      if let ratio = r.ratioToTorchFused {
        targets.append(
          Target(
            target: "50M, one tensor, 8-bit state: ≤ 0.6 × PyTorch's float32 fused", subject: r.optimizer,
            value: String(format: "%.2f", ratio), met: ratio <= 0.6))
      }
    }
    // Half-precision state and parameters against PyTorch's fused Adam.
    for r in defaults where r.layout == "single" && r.params == 50_000_000 {
      let adam = r.optimizer.hasPrefix("adam:") || r.optimizer == "adam"
      guard adam, let fused = r.torch?.medians["fused"] else { continue }
      // The label spells the option as the spec prints it: `state_dtype='bfloat16'`.
      let halfState = r.optimizer.contains("state_dtype=") && r.optimizer.contains("bfloat16")
      let ratio = r.medianMs / fused
      if halfState && float32 {
        targets.append(
          Target(
            target: "50M, bfloat16 state on float32 parameters: ≤ 0.75 × PyTorch's float32 Adam(fused=True)",
            subject: r.optimizer, value: String(format: "%.2f", ratio), met: ratio <= 0.75))
      } else if dtype == "bfloat16" && !r.optimizer.contains("state_dtype") {
        targets.append(
          Target(
            target: "50M, bfloat16 parameters and state: ≤ 0.9 × PyTorch's bfloat16 Adam(fused=True)",
            subject: r.optimizer, value: String(format: "%.2f", ratio), met: ratio <= 0.9))
      } else {
        continue
      }
      if let fraction = r.fractionOfStream {
        targets.append(
          Target(
            target: "50M half precision: ≥ 85% of streaming bandwidth for the bytes it moves",
            subject: r.optimizer, value: String(format: "%.0f%%", fraction * 100), met: fraction >= 0.85))
      }
    }
    for r in defaults where r.layout == "many" {
      if let ratio = r.ratioToTorchFused {
        targets.append(
          Target(
            target: "\(r.layoutLabel) tensors: ≤ 0.25 × PyTorch fused", subject: r.optimizer,
            value: String(format: "%.3f", ratio), met: ratio <= 0.25))
      } else if let ratio = r.ratioToTorchBest {
        targets.append(
          Target(
            target: "\(r.layoutLabel) tensors: ≤ 0.25 × PyTorch fused (no fused: its best)",
            subject: r.optimizer,
            value: String(format: "%.3f × ", ratio) + (r.torchBestImpl ?? "?"), met: ratio <= 0.25))
      }
    }
    for r in defaults {
      if let ratio = r.ratioToTorchDefault {
        targets.append(
          Target(
            target: "default ≥ 5× faster than PyTorch's default",
            subject: "\(r.optimizer) \(r.layoutLabel)",
            value: String(format: "%.1f×", 1 / ratio), met: ratio <= 0.2))
      }
    }
    if mallocCounting {
      for r in defaults {
        targets.append(
          Target(
            target: "zero heap allocations per step", subject: "\(r.optimizer) \(r.layoutLabel)",
            value: "\(r.maxAllocationsPerStep)", met: r.maxAllocationsPerStep == 0))
      }
    }
  }

  // MARK: Output

  func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }

  func csv() -> String {
    var lines = [
      "optimizer,layout,tensors,params,dtype,threads,implementation,default,median_ms,min_ms,gbps,stream_gbps,fraction_of_stream,allocs_per_step,max_allocs_per_step,torch_forloop_ms,torch_foreach_ms,torch_fused_ms,torch_default_impl,ratio_torch_best,ratio_torch_default,ratio_torch_fused"
    ]
    func cell(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "" }
    for r in results {
      lines.append(
        [
          r.optimizer, r.layout, "\(r.tensors)", "\(r.params)", r.dtype, "\(r.threads)",
          r.implementation, r.isDefault ? "1" : "0", cell(r.medianMs), cell(r.minMs), cell(r.gbps),
          cell(r.streamGBps), cell(r.fractionOfStream), cell(r.allocationsPerStep),
          "\(r.maxAllocationsPerStep)", cell(r.torch?.medians["forloop"]),
          cell(r.torch?.medians["foreach"]), cell(r.torch?.medians["fused"]),
          r.torch?.defaultImpl ?? "", cell(r.ratioToTorchBest), cell(r.ratioToTorchDefault),
          cell(r.ratioToTorchFused),
        ].joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  func table() -> String {
    var out = ""
    out += "descent bench optimizers — \(dtype), \(threads) threads, kernels \(machine.kernelISA), "
    out += "median of \(steps) interleaved rounds × \(allocations) fresh allocations\n"
    out +=
      "machine: \(machine.cpu), \(machine.cores) cores; load average \(machine.loadAverageStart) → \(machine.loadAverageEnd)\n"
    out += "BLAS: \(machine.blas)\n"
    if let torch {
      out += "PyTorch \(torch.version) (Python \(torch.python)), \(torch.threads) threads, same session\n"
    }
    for note in notes { out += "note: \(note)\n" }
    out += "\nStreaming yardstick, y ← y + a·x in place (\(dtype == "float64" ? 24 : 12) B/element):\n"
    out += row(["size", "BLAS ms", "BLAS GB/s", "Descent ms", "Descent GB/s"], [10, 10, 10, 11, 12])
    for b in baselines {
      out += row(
        [b.layout, f(b.blasMs, 3), f(b.blasGBps, 1), f(b.descentMs, 3), f(b.descentGBps, 1)],
        [10, 10, 10, 11, 12])
    }
    let hasTorch = results.contains { $0.torch != nil }
    var headers = ["optimizer", "size", "impl", "ms/step", "B/elem", "GB/s", "stream", "allocs"]
    let nameWidth = Swift.max(10, (results.map(\.optimizer.count).max() ?? 0) + 2)
    var widths = [nameWidth, 12, 14, 9, 7, 7, 7, 7]
    if hasTorch {
      headers += ["torch loop", "foreach", "fused", "÷best", "÷default"]
      widths += [11, 9, 9, 7, 8]
    }
    out +=
      "\nOptimizer steps (GB/s from the bytes the update must move; stream: fraction of the yardstick; allocs: malloc calls per step, \(mallocCounting ? "counted" : "NOT counted on this system")):\n"
    out += row(headers, widths)
    for r in results {
      var cells = [
        r.optimizer, r.layoutLabel, r.implementation + (r.isDefault ? "*" : ""), f(r.medianMs, 3),
        f(r.bytesPerStep / Double(Swift.max(r.params, 1)), 0), f(r.gbps, 1),
        r.fractionOfStream.map { String(format: "%.0f%%", $0 * 100) } ?? "-",
        mallocCounting ? (r.allocationsPerStep == 0 ? "0" : f(r.allocationsPerStep, 1)) : "n/a",
      ]
      if hasTorch {
        let t = r.torch
        cells += [
          t?.medians["forloop"].map { f($0, 3) } ?? "-", t?.medians["foreach"].map { f($0, 3) } ?? "-",
          t?.medians["fused"].map { f($0, 3) } ?? "-", r.ratioToTorchBest.map { f($0, 2) } ?? "-",
          r.ratioToTorchDefault.map { f($0, 3) } ?? "-",
        ]
      }
      out += row(cells, widths)
    }
    out +=
      "(* = the default implementation; PyTorch's default on this device: \(results.compactMap { $0.torch?.defaultImpl }.first ?? "-"))\n"
    if !targets.isEmpty {
      out += "\nTargets:\n"
      for t in targets {
        out += "  [\(t.met ? "met" : "NOT met")] \(t.target): \(t.subject) \(t.value)\n"
      }
    }
    return out
  }

  private func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

  private func row(_ cells: [String], _ widths: [Int]) -> String {
    zip(cells, widths).map { $0.padding($1) }.joined() + "\n"
  }

  /// Grouped bars of ms/step (log scale) for every optimizer × size: Descent's
  /// implementations and PyTorch's.
  func svg() -> String {
    struct Bar {
      var label: String
      var ms: Double
    }
    var groups: [(String, [Bar])] = []
    var order: [String] = []
    for r in results {
      let key = "\(r.optimizer) \(r.layoutLabel)"
      if !order.contains(key) {
        order.append(key)
        var torchBars: [Bar] = []
        for impl in ["forloop", "foreach", "fused"] {
          if let ms = r.torch?.medians[impl] { torchBars.append(Bar(label: "PyTorch \(impl)", ms: ms)) }
        }
        groups.append((key, torchBars))
      }
      let index = order.firstIndex(of: key)!
      groups[index].1.insert(Bar(label: "Descent \(r.implementation)", ms: r.medianMs), at: 0)
    }
    let series = Array(Set(groups.flatMap { $0.1.map(\.label) })).sorted { a, b in
      (a.hasPrefix("Descent") ? 0 : 1, a) < (b.hasPrefix("Descent") ? 0 : 1, b)
    }
    let colors = ["#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
    let all = groups.flatMap { $0.1.map(\.ms) }.filter { $0 > 0 }
    guard let lo = all.min(), let hi = all.max() else {
      return "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"
    }
    let minLog = floor(log10(lo))
    let maxLog = ceil(log10(hi))
    let barWidth = 12.0
    let groupWidth = Double(series.count) * barWidth + 24
    let left = 70.0
    let top = 40.0
    let plotHeight = 360.0
    let width = left + Double(groups.count) * groupWidth + 200
    let height = top + plotHeight + 110
    func y(_ ms: Double) -> Double {
      top + plotHeight * (1 - (log10(ms) - minLog) / max(1e-9, maxLog - minLog))
    }
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="11">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(left)" y="20" font-size="14">Optimizer step, ms (log scale) — \(dtype), \(threads) threads, kernels \(machine.kernelISA)</text>

      """
    var decade = minLog
    while decade <= maxLog {
      let yy = y(pow(10, decade))
      s += "<line x1=\"\(left)\" y1=\"\(yy)\" x2=\"\(width - 200)\" y2=\"\(yy)\" stroke=\"#ddd\"/>\n"
      s += "<text x=\"\(left - 6)\" y=\"\(yy + 4)\" text-anchor=\"end\">\(formatMs(pow(10, decade)))</text>\n"
      decade += 1
    }
    for (g, (name, bars)) in groups.enumerated() {
      let x0 = left + Double(g) * groupWidth + 12
      for bar in bars {
        guard let k = series.firstIndex(of: bar.label), bar.ms > 0 else { continue }
        let x = x0 + Double(k) * barWidth
        let yy = y(bar.ms)
        s +=
          "<rect x=\"\(x)\" y=\"\(yy)\" width=\"\(barWidth - 2)\" height=\"\(top + plotHeight - yy)\" fill=\"\(colors[k % colors.count])\"><title>\(bar.label): \(String(format: "%.3f", bar.ms)) ms</title></rect>\n"
      }
      let cx = x0 + Double(series.count) * barWidth / 2
      s +=
        "<text x=\"\(cx)\" y=\"\(top + plotHeight + 14)\" text-anchor=\"end\" transform=\"rotate(-35 \(cx) \(top + plotHeight + 14))\">\(name)</text>\n"
    }
    s +=
      "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(width - 200)\" y2=\"\(top + plotHeight)\" stroke=\"black\"/>\n"
    for (k, label) in series.enumerated() {
      let ly = top + 10 + Double(k) * 18
      s +=
        "<rect x=\"\(width - 185)\" y=\"\(ly - 9)\" width=\"10\" height=\"10\" fill=\"\(colors[k % colors.count])\"/>\n"
      s += "<text x=\"\(width - 170)\" y=\"\(ly)\">\(label)</text>\n"
    }
    s += "</svg>\n"
    return s
  }

  private func formatMs(_ ms: Double) -> String {
    ms >= 1 ? String(format: "%.0f ms", ms) : String(format: "%g ms", ms)
  }
}

/// What the numbers were measured on.
struct Machine: Encodable {
  var cpu: String
  var cores: Int
  var kernelISA: String
  var blas: String
  var loadAverageStart: String
  var loadAverageEnd: String = ""

  static func current() -> Machine {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
      cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
      .flatMap { $0.split(separator: ":", maxSplits: 1).last }
      .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    return Machine(
      cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount,
      kernelISA: String(cString: descent_kernels_isa()), blas: BLASSummary.line,
      loadAverageStart: loadAverage())
  }

  static func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return text.split(separator: " ").prefix(3).joined(separator: " ")
  }
}
