import ArgumentParser
import Descent
import DescentOptim
import Dispatch
import Foundation

/// `descent bench optimizers-quick`: one optimizer step on a large float32 parameter, BLAS
/// path against fused path, with a `saxpy` over the same size as the bandwidth yardstick.
///
/// A quick check that settles ``OptimizerImplementation/default``; the full benchmark with
/// PyTorch alongside is `descent bench optimizers`.
struct BenchOptimizersQuick: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "optimizers-quick",
    abstract: "ms/step of the BLAS and fused optimizer paths on one large float32 tensor."
  )

  @Option(name: .long, help: "Parameter count (one float32 tensor).")
  var count: Int = 10_000_000

  @Option(name: .long, help: "Timed steps per case; the median is reported.")
  var steps: Int = 15

  @Option(name: .long, help: "Threads for OpenBLAS and Descent (default: all cores).")
  var threads: Int?

  @Option(
    name: .long, parsing: .upToNextOption,
    help: "Optimizers: sgd-momentum, adam, adamw, rmsprop.")
  var optimizers: [String] = ["sgd-momentum", "adam"]

  func run() throws {
    if let threads { Threads.set(threads) }
    print("parameters: \(count) float32, threads: \(Threads.count), steps: \(steps) (median)")
    let axpy = axpyMilliseconds()
    print(
      "saxpy yardstick: \(format(axpy)) ms, \(format(gigabytes(12, axpy))) GB/s (12 B/element)")
    print(
      "optimizer".padding(14) + "path".padding(7) + "ms/step".padding(10) + "GB/s".padding(8)
        + "B/element")
    for name in optimizers {
      guard let bytes = Self.bytesPerElement[name] else {
        throw ValidationError(
          "unknown optimizer \(name); expected one of \(Self.bytesPerElement.keys.sorted())")
      }
      var cases = try OptimizerImplementation.allCases.map { implementation in
        (implementation, try StepCase(name, count: count, implementation: implementation), [Double]())
      }
      // Interleaved, so that noise from other processes hits both paths alike.
      for round in 0..<(steps + 2) {
        for i in cases.indices {
          let ms = try cases[i].1.timedStep()
          if round >= 2 { cases[i].2.append(ms) }
        }
      }
      for (implementation, _, times) in cases {
        let ms = median(times)
        print(
          name.padding(14) + implementation.rawValue.padding(7) + format(ms).padding(10)
            + format(gigabytes(bytes, ms)).padding(8) + "\(bytes)")
      }
    }
  }

  /// Bytes each optimizer must move per element: its reads and writes of the parameter,
  /// gradient and state.
  static let bytesPerElement: [String: Int] = [
    "sgd-momentum": 4 * 5,  // read p, g, buf; write p, buf
    "adam": 4 * 7,  // read p, g, m, v; write p, m, v
    "adamw": 4 * 7,
    "rmsprop": 4 * 5,  // read p, g, v; write p, v
  ]

  private func gigabytes(_ bytesPerElement: Int, _ ms: Double) -> Double {
    Double(bytesPerElement * count) / (ms / 1e3) / 1e9
  }

  private func format(_ x: Double) -> String { String(format: "%.2f", x) }

  private func axpyMilliseconds() -> Double {
    let x = Tensor.randn([count])
    let y = Tensor.randn([count])
    var times: [Double] = []
    for round in 0..<(steps + 2) {
      let start = DispatchTime.now().uptimeNanoseconds
      x.withUnsafePointer(Float.self) { px in
        y.withUnsafeMutablePointer(Float.self) { py in Float.axpy(count, 1e-3, px, 1, py, 1) }
      }
      let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
      if round >= 2 { times.append(ms) }
    }
    return median(times)
  }
}

/// One parameter with a gradient and its optimizer, stepped repeatedly.
private struct StepCase {
  let param: Tensor
  let optimizer: Optimizer

  init(_ name: String, count: Int, implementation: OptimizerImplementation) throws {
    let generator = Generator(seed: 1)
    param = Tensor.randn([count], generator: generator).requiresGrad(true)
    param.grad = Tensor.randn([count], generator: generator) * 1e-3
    switch name {
    case "sgd-momentum":
      optimizer = try SGD([param], lr: 1e-3, momentum: 0.9, implementation: implementation)
    case "adam": optimizer = try Adam([param], implementation: implementation)
    case "adamw": optimizer = try AdamW([param], implementation: implementation)
    default: optimizer = try RMSprop([param], implementation: implementation)
    }
    // The first step allocates the state; it is not timed.
    try optimizer.step()
  }

  func timedStep() throws -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try optimizer.step()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
  }
}
