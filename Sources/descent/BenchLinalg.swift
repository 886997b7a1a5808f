import ArgumentParser
import Descent
import Foundation

/// `descent bench linalg`: milliseconds of `solve`, `cholesky`, `svd` and `eigh` on n × n
/// matrices, Descent (OpenBLAS + its LAPACK) against PyTorch (MKL) in the same run.
struct BenchLinalg: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "linalg",
    abstract: "Milliseconds of Linalg.solve, cholesky, svd and eigh against torch.linalg, in one run.",
    discussion: """
      Inputs: solve takes a well-conditioned A (Gaussian + n·I) and one right-hand side; \
      cholesky a symmetric positive-definite matrix (X·Xᵀ + n·I); eigh a symmetric one \
      (X + Xᵀ); svd a Gaussian matrix, reduced (full_matrices=False). Each round times one \
      Descent call and, with --compare-torch, one PyTorch call, alternating which goes first, \
      with a pause before each that ends when no thread of either process is runnable (a \
      side still spinning after its call would slow the other by up to 20× at n = 256); \
      medians are reported. The ratio is Descent's time over \
      PyTorch's (below 1: Descent is faster).
      """
  )

  @Option(parsing: .upToNextOption, help: "Functions to time: solve, cholesky, svd, eigh.")
  var functions: [String] = ["solve", "cholesky", "svd", "eigh"]

  @Option(parsing: .upToNextOption, help: "Matrix sizes n (n × n).")
  var sizes: [Int] = [256, 1024, 2048]

  @Option(help: "float32 or float64.")
  var dtype: String = "float32"

  @Option(help: "Timed rounds per case (default: 15 below n = 1024, 5 from there, 3 from 2048).")
  var repeats: Int?

  @Option(help: "Threads for Descent, OpenBLAS and PyTorch (default: all cores).")
  var threads: Int?

  @Option(help: "Milliseconds to sleep before each timed call.")
  var settleMs: Int = 20

  @Flag(
    inversion: .prefixedNo,
    help: """
      After the sleep, wait until no other thread of this process or PyTorch's is runnable: \
      OpenMP and OpenBLAS workers spin for a while after a call, on the cores the other \
      side needs next.
      """)
  var quietWait = true

  @OptionGroup var torchOptions: TorchComparisonOptions

  func validate() throws {
    let known = Set(["solve", "cholesky", "svd", "eigh"])
    if let bad = functions.first(where: { !known.contains($0) }) {
      throw ValidationError("unknown function \(bad); choose from solve, cholesky, svd, eigh")
    }
    if DType(rawValue: dtype).map({ !$0.isFloatingPoint }) ?? true {
      throw ValidationError("--dtype must be float32 or float64, got \(dtype)")
    }
    if sizes.contains(where: { $0 < 1 }) { throw ValidationError("--sizes must be positive") }
  }

  func run() throws {
    if let threads { Threads.set(threads) }
    let dtype = DType(rawValue: self.dtype)!
    let comparison = CallComparison(
      torchOptions, settleMs: settleMs, quietWait: quietWait, detail: "; \(dtype)")
    print(
      "function".padding(10) + "n".padding(7) + "Descent ms".padding(13) + "PyTorch ms".padding(13)
        + "Descent ÷ PyTorch")
    for function in functions {
      for n in sizes {
        let call = try makeCall(function, n: n, dtype: dtype)
        try call()
        let rounds = repeats ?? (n >= 2048 ? 3 : (n >= 1024 ? 5 : 15))
        let prepared = try comparison.setUp([
          "op": "linalg_setup", "fn": function, "n": n, "dtype": self.dtype, "warmup": 1,
        ])
        let times = try comparison.medians(
          rounds: rounds, calls: 1, torchImpl: prepared ? function : nil, call)
        comparison.printRow(function.padding(10) + "\(n)".padding(7), times)
      }
    }
    comparison.finish()
  }

  /// One Descent call of `function` on fresh n × n inputs.
  private func makeCall(_ function: String, n: Int, dtype: DType) throws -> () throws -> Void {
    let g = Generator(seed: 0)
    let x = Tensor.randn([n, n], dtype: dtype, generator: g)
    switch function {
    case "solve":
      let a = x + Tensor.eye(n, dtype: dtype) * Double(n)
      let b = Tensor.randn([n, 1], dtype: dtype, generator: g)
      return { _ = try Linalg.solve(a, b) }
    case "cholesky":
      let a = x.matmul(x.mT) + Tensor.eye(n, dtype: dtype) * Double(n)
      return { _ = try Linalg.cholesky(a) }
    case "eigh":
      let a = x + x.mT
      return { _ = try Linalg.eigh(a) }
    default:
      return { _ = try Linalg.svd(x, fullMatrices: false) }
    }
  }
}
