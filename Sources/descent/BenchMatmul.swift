import ArgumentParser
import CBLAS
import Descent
import Foundation

/// `descent bench matmul`: Tensor.matmul against raw cblas_sgemm on the same sizes.
struct BenchMatmul: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "matmul",
    abstract: "GFLOP/s of Tensor.matmul and raw cblas_sgemm on square float32 matrices.",
    discussion: """
      Tensor.matmul is timed twice: as it runs by default (the product cut into blocks on \
      Descent's pool, see Threads.blasOnPool) and handed to OpenBLAS whole, on its own \
      threads ("tensor, OpenBLAS threads"), the way raw cblas_sgemm runs.
      """
  )

  @Option(name: .long, parsing: .upToNextOption, help: "Square sizes to run.")
  var sizes: [Int] = [64, 128, 256, 512, 1024, 2048]

  @Flag(
    inversion: .prefixedNo,
    help: "Wait before each measured round until no other thread of this process is runnable."
  )
  var quietWait = true

  @Option(name: .long, help: "Threads for OpenBLAS and Descent (default: all cores).")
  var threads: Int?

  @Option(name: .long, help: "Timed repetitions per size; the median is reported.")
  var repeats: Int = 15

  func run() throws {
    // The core is chosen before any BLAS call, the benchmark's own raw calls included.
    BLASCore.prepare()
    if let threads { Threads.set(threads) }
    print("threads: \(Threads.count); BLAS: \(BLASSummary.line)")
    print(
      "size".padding(7) + "tensor GFLOP/s".padding(16) + "OpenBLAS-threads".padding(18)
        + "sgemm GFLOP/s".padding(16) + "tensor/sgemm".padding(14) + "OpenBLAS-threads/sgemm")
    let quiet = QuietThreads()
    for n in sizes {
      let a = Tensor.randn([n, n])
      let b = Tensor.randn([n, n])
      let flops = 2.0 * Double(n) * Double(n) * Double(n)
      // Enough inner iterations that each sample takes a few milliseconds.
      let inner = max(1, Int(2e8 / flops))
      let raw = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
      defer { raw.deallocate() }
      var tensorTimes: [Double] = []
      var blasTimes: [Double] = []
      var wholeTimes: [Double] = []
      func tensorProduct() { _ = a.matmul(b) }
      func wholeProduct() {
        let pooled = Threads.blasOnPool
        Threads.blasOnPool = false
        defer { Threads.blasOnPool = pooled }
        _ = a.matmul(b)
      }
      func rawProduct() {
        a.withUnsafePointer(Float.self) { pa in
          b.withUnsafePointer(Float.self) { pb in
            cblas_sgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(n), blasint(n), 1,
              pa, blasint(n), pb, blasint(n), 0, raw, blasint(n))
          }
        }
      }
      // Interleave the three so that machine noise hits both alike. Each sample follows one
      // untimed product of its own kind: after the quiet wait, threads asleep on an idle
      // (virtual) CPU take up to a millisecond to wake, which would otherwise be timed.
      for _ in 0..<(repeats + 2) {
        if quietWait { quiet.wait() }
        tensorProduct()
        tensorTimes.append(time(inner) { tensorProduct() })
        if quietWait { quiet.wait() }
        rawProduct()
        blasTimes.append(time(inner) { rawProduct() })
        if quietWait { quiet.wait() }
        wholeProduct()
        wholeTimes.append(time(inner) { wholeProduct() })
      }
      let t = median(Array(tensorTimes.dropFirst(2)))
      let r = median(Array(blasTimes.dropFirst(2)))
      let w = median(Array(wholeTimes.dropFirst(2)))
      let gt = flops / t / 1e9
      let gr = flops / r / 1e9
      let gw = flops / w / 1e9
      print(
        "\(n)".padding(7) + String(format: "%.1f", gt).padding(16)
          + String(format: "%.1f", gw).padding(18) + String(format: "%.1f", gr).padding(16)
          + String(format: "%.3f", gt / gr).padding(14) + String(format: "%.3f", gw / gr))
    }
    print(quiet.summary)
  }

  private func time(_ iterations: Int, _ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations { body() }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations)
  }
}

func median(_ values: [Double]) -> Double {
  let s = values.sorted()
  if s.isEmpty { return .nan }
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

extension String {
  func padding(_ width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }
}
