import ArgumentParser
import Descent
import DescentWorkbench
import Foundation

/// scripts/bench_torch.py in `--serve` mode: a PyTorch process that times one optimizer step
/// per request, so that `descent bench optimizers --compare-torch` can interleave PyTorch's
/// steps with its own one at a time. Only one of the two processes runs at any moment.
final class TorchStepServer {
  struct Setup {
    /// The implementations that exist for the optimizer (`nil` for the others, with
    /// PyTorch's reason).
    var available: [String]
    var unavailable: [String: String]
    /// What PyTorch runs when neither `foreach` nor `fused` is given.
    var defaultImpl: String
  }

  let torchVersion: String
  let pythonVersion: String
  let threads: Int
  private let process: Process
  /// The server's process id, whose threads `descent bench` waits to be quiet.
  var pid: Int32 { process.processIdentifier }
  private let input: FileHandle
  private let output: FileHandle
  private var buffer = Data()

  /// Starts `python script --serve --threads N`; throws when Python or torch is missing.
  init(python: String, script: String, threads: Int) throws {
    process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, script, "--serve", "--threads", "\(threads)"]
    let stdin = Pipe()
    let stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = FileHandle.standardError
    try process.run()
    input = stdin.fileHandleForWriting
    output = stdout.fileHandleForReading
    let hello = try Self.request(["op": "hello"], input, output, &buffer)
    guard let version = hello["torch"] as? String else {
      throw BenchError("\(script) did not answer: \(hello)")
    }
    torchVersion = version
    pythonVersion = hello["python"] as? String ?? "?"
    self.threads = hello["threads"] as? Int ?? threads
  }

  deinit {
    _ = try? Self.request(["op": "quit"], input, output, &buffer, expectAnswer: false)
    try? input.close()
    process.waitUntilExit()
  }

  /// Builds `optimizer` in PyTorch: its class by name from `torch.optim`, with its options as
  /// keyword arguments.
  func setup(
    optimizer: OptimizerSpec, layout: BenchLayout, dtype: String, impls: [String], warmup: Int
  ) throws -> Setup {
    let answer = try request([
      "op": "setup", "optimizer": optimizer.kind.name, "kwargs": optimizer.jsonOptions,
      "params": layout.total, "layout": layout.name,
      "per_tensor": layout.elementsPerTensor, "dtype": dtype, "impls": impls, "warmup": warmup,
    ])
    guard let status = answer["impls"] as? [String: Any] else {
      throw BenchError("bench_torch.py setup failed: \(answer)")
    }
    var setup = Setup(
      available: [], unavailable: [:], defaultImpl: answer["default_impl"] as? String ?? "forloop")
    for impl in impls {
      if let reason = status[impl] as? String {
        setup.unavailable[impl] = reason
      } else {
        setup.available.append(impl)
      }
    }
    return setup
  }

  /// Milliseconds of one step of `impl`, timed inside the Python process.
  func step(_ impl: String) throws -> Double {
    let answer = try request(["op": "step", "impl": impl, "steps": 1])
    guard let ms = (answer["ms"] as? [Double])?.first else {
      throw BenchError("bench_torch.py step failed: \(answer)")
    }
    return ms
  }

  /// Builds PyTorch's MLP training step (zero_grad, forward, cross-entropy, backward,
  /// Adam) for each of `impls` ("default", "fused", "foreach").
  func mlpSetup(layers: [Int], batch: Int, impls: [String], warmup: Int) throws {
    let answer = try request([
      "op": "mlp_setup", "layers": layers, "batch": batch, "impls": impls, "warmup": warmup,
    ])
    guard answer["impls"] != nil else { throw BenchError("bench_torch.py mlp_setup failed: \(answer)") }
  }

  /// Milliseconds of `times` back-to-back calls of what a setup prepared under `impl` (an MLP
  /// training step, a torch.linalg call, a layer's forward and backward), each timed.
  func call(_ impl: String, times: Int = 1) throws -> [Double] {
    let answer = try request(["op": "call", "impl": impl, "steps": times])
    guard let ms = answer["ms"] as? [Double], ms.count == times else {
      throw BenchError("bench_torch.py call failed: \(answer)")
    }
    return ms
  }

  func request(_ body: [String: Any]) throws -> [String: Any] {
    try Self.request(body, input, output, &buffer)
  }

  private static func request(
    _ body: [String: Any], _ input: FileHandle, _ output: FileHandle, _ buffer: inout Data,
    expectAnswer: Bool = true
  ) throws -> [String: Any] {
    var line = try JSONSerialization.data(withJSONObject: body)
    line.append(0x0A)
    try input.write(contentsOf: line)
    guard expectAnswer else { return [:] }
    while true {
      if let newline = buffer.firstIndex(of: 0x0A) {
        let answer = buffer[buffer.startIndex..<newline]
        buffer = Data(buffer[(newline + 1)...])
        guard let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any] else {
          throw BenchError("bench_torch.py answered something that is not a JSON object")
        }
        return object
      }
      // `availableData` returns what the pipe has (`read(upToCount:)` would wait for the
      // whole count); empty means end of file.
      let chunk = output.availableData
      guard !chunk.isEmpty else {
        throw BenchError("bench_torch.py exited (is torch installed for this python?)")
      }
      buffer.append(chunk)
    }
  }
}

struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// The options both `bench optimizers` and `bench mlp` take to time PyTorch in the same run.
struct TorchComparisonOptions: ParsableArguments {
  @Flag(help: "Run scripts/bench_torch.py in the same session and add PyTorch's times and ratios.")
  var compareTorch = false

  @Option(help: "Python interpreter for --compare-torch.")
  var python: String = "python3"

  @Option(help: "Path of bench_torch.py (default: scripts/bench_torch.py in the current folder or above).")
  var torchScript: String?

  /// Starts the PyTorch side, or returns nil when `--compare-torch` was not given.
  func startServer() throws -> TorchStepServer? {
    guard compareTorch else { return nil }
    let script = try torchScript ?? BenchOptimizers.findTorchScript()
    return try TorchStepServer(python: python, script: script, threads: Threads.count)
  }
}
