import ArgumentParser
import CDescentKernels
import Descent
import Foundation

/// `descent info`: what a user needs to answer "why is it slow?".
struct Info: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Descent's version, BLAS library and core, threads, CPU and kernel dispatch.",
    discussion: """
      The BLAS core is the kernel set OpenBLAS runs (openblas_get_corename). Descent switches \
      it when the library fell back to kernels below what the CPU can run; see BLASCore in \
      the documentation. OPENBLAS_CORETYPE set by the user is never overridden, and \
      DESCENT_BLAS_CORE=keep turns the selection off.
      """
  )

  func run() {
    print(Self.text(), terminator: "")
  }

  static func text() -> String {
    let blas = BLASCore.report
    let cpu = CPUFeatures.current
    var lines: [(String, String)] = []
    lines.append(("Descent", DescentLibrary.version))
    lines.append(("BLAS library", blas.libraryPath ?? "unknown"))
    lines.append(("BLAS config", blas.config ?? "not reported (not OpenBLAS?)"))
    lines.append(("BLAS core", BLASSummary.core(blas)))
    lines.append(("  why", blas.reason))
    let userCore = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
    let setting = ProcessInfo.processInfo.environment["DESCENT_BLAS_CORE"]
    lines.append(
      (
        "  environment",
        "OPENBLAS_CORETYPE=\(userCore ?? "(unset)"), DESCENT_BLAS_CORE=\(setting ?? "(unset)")"
      ))
    lines.append(
      (
        "Threads",
        "\(Threads.count) (Descent's kernels and BLAS), \(ProcessInfo.processInfo.activeProcessorCount) cores available"
      ))
    lines.append(("CPU", cpu.brand.isEmpty ? "unknown" : cpu.brand))
    lines.append(("  model", cpu.modelDescription))
    lines.append(("  features", cpu.featureNames.joined(separator: " ")))
    lines.append(("Fused optimizer kernels", KernelClone.description))
    lines.append(
      (
        "Element types",
        "float32 (default), float64 (arithmetic, autograd, BLAS, fused kernels); bfloat16, float16 (stored in 16 bits, computed in float32, fused kernels); int64, bool (indices, masks); uint8 (storage: 8-bit optimizer state)"
      ))
    let width = lines.map(\.0.count).max()! + 2
    return lines.map { $0.0.padding(width) + $0.1 + "\n" }.joined()
  }
}

/// The fused optimizer kernels' `target_clones` choice on this CPU.
enum KernelClone {
  static var description: String {
    switch String(cString: descent_kernels_isa()) {
    case "avx512f": "AVX-512 clone (avx512f)"
    case "x86-64-v3": "AVX2 clone (x86-64-v3: AVX2, FMA)"
    default: "baseline clone (SSE2)"
    }
  }
}

/// The BLAS core in one line, for `descent info` and the benchmarks' headers.
enum BLASSummary {
  static func core(_ report: BLASCore.Report = BLASCore.report) -> String {
    guard let core = report.core else { return "not reported" }
    if report.switched, let original = report.coreAtLoad {
      return "\(core) (switched by Descent from \(original))"
    }
    if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil {
      return "\(core) (set by OPENBLAS_CORETYPE)"
    }
    return "\(core) (the library's choice)"
  }

  /// `OpenBLAS 0.3.21, core Zen (the library's choice)`.
  static var line: String {
    let report = BLASCore.report
    let version =
      report.config.flatMap { config -> String? in
        let words = config.split(separator: " ")
        return words.count >= 2 ? "\(words[0]) \(words[1])" : nil
      } ?? "BLAS"
    return "\(version), core \(core(report))"
  }
}
