import CDescentBLAS
import Foundation

/// Which OpenBLAS kernels ("core") run Descent's BLAS calls, and why.
///
/// OpenBLAS built with DYNAMIC_ARCH (Debian's, Ubuntu's) picks its kernels by CPU model when
/// it loads, and falls back to generic SSE3 kernels (`Prescott`) on a CPU newer than the
/// build: on an Emerald Rapids Xeon with Debian 12's OpenBLAS 0.3.21 a 2048² `sgemm` runs at
/// 30 instead of 188 GFLOP/s. So at the first BLAS call Descent compares the core the library
/// chose with what the CPU can run (`cpuid`: AVX-512 F/BW/VL/DQ/CD, AVX2+FMA, AVX). When the
/// library fell back below the CPU's level and ships a better core (Cooperlake or SkylakeX
/// for AVX-512, Zen or Haswell for AVX2, Sandybridge for AVX), Descent checks that core in a
/// forked child process (small `sgemm`/`dgemm` products against a double-precision
/// reference; a kernel that crashes or computes wrong results on this CPU can't harm the
/// program) and, if it passes, switches to it in-process (`gotoblas_dynamic_quit` and
/// `gotoblas_dynamic_init`, with `OPENBLAS_CORETYPE` set for that call only). The verdict
/// is cached per CPU model and library build in `$XDG_CACHE_HOME/descent` (or
/// `~/.cache/descent`), so that the check does not run at every start.
///
/// Nothing changes when:
/// - `OPENBLAS_CORETYPE` is set: the user chose a core;
/// - `DESCENT_BLAS_CORE=keep` is set: the opt-out;
/// - the library's core already suits the CPU, or the library is not an OpenBLAS with
///   DYNAMIC_ARCH (the entry points are looked up with `dlsym`, so any CBLAS links).
///
/// `descent info` prints ``report``.
public enum BLASCore {
  /// What the selection found and did.
  public struct Report: Sendable {
    /// The file the CBLAS library was loaded from.
    public var libraryPath: String?
    /// `openblas_get_config()` at load: version and build options.
    public var config: String?
    /// The core the library chose when it loaded (`nil`: it does not say).
    public var coreAtLoad: String?
    /// The core in use now.
    public var core: String?
    /// Whether Descent switched the core.
    public var switched: Bool
    /// Why the core is what it is, in words.
    public var reason: String
  }

  /// The selection's result; the first access runs it (as does the first BLAS call).
  public static var report: Report { selection }

  /// Runs the selection now if no BLAS call has yet. Call it before calling CBLAS directly
  /// in a program that uses Descent, so that those calls, too, run on the selected core.
  @inline(__always)
  public static func prepare() { _ = selection }

  // A `static let` runs once, and other threads reaching it meanwhile wait: no BLAS call
  // through Descent can run while the core switches.
  private static let selection: Report = select(
    cpu: .current, environment: { getenv($0).map { String(cString: $0) } },
    cache: .standard)

  /// The selection: decide, check (or read the cached verdict), switch.
  ///
  /// `DESCENT_BLAS_SIMULATE_CORE=NAME` is a testing aid: Descent first switches OpenBLAS to
  /// that core, then selects as if the library had chosen it, so that the fallback path
  /// can be exercised on a CPU the library knows.
  static func select(
    cpu: CPUFeatures, environment: (String) -> String?, cache: BLASCoreCheckCache
  ) -> Report {
    if let simulated = environment("DESCENT_BLAS_SIMULATE_CORE"), !simulated.isEmpty,
      environment("OPENBLAS_CORETYPE") == nil
    {
      switchCore(to: simulated)
    }
    let core = currentCore
    var report = Report(
      libraryPath: descent_blas_library_path().map { String(cString: $0) },
      config: descent_blas_config().map { String(cString: $0) }, coreAtLoad: core, core: core,
      switched: false, reason: "")
    let decision = BLASCoreSelection.decide(
      core: core, cpu: cpu, canSwitch: descent_blas_can_switch() != 0,
      ships: { descent_blas_ships_core($0) != 0 },
      userCoreType: environment("OPENBLAS_CORETYPE"), setting: environment("DESCENT_BLAS_CORE"))
    guard case .select(let target) = decision, let core else {
      if case .keep(let reason) = decision { report.reason = reason }
      return report
    }

    let key = BLASCoreCheckCache.key(
      cpu: cpu, config: report.config, libraryPath: report.libraryPath, core: target)
    var verdict = cache.verdict(for: key)
    var how = "checked earlier (cached)"
    if verdict == nil {
      how = "checked in a child process"
      var signal: Int32 = 0
      let outcome = descent_blas_check_core(target, 30, &signal)
      switch outcome {
      case DESCENT_CORE_CHECK_PASSED: verdict = .passed
      case DESCENT_CORE_CHECK_WRONG_RESULTS: verdict = .failed("its sgemm/dgemm results were wrong")
      case DESCENT_CORE_CHECK_CRASHED:
        verdict = .failed("the check crashed with signal \(signal) (\(String(cString: strsignal(signal))))")
      case DESCENT_CORE_CHECK_REFUSED: verdict = .failed("the library refused to switch to it")
      case DESCENT_CORE_CHECK_TIMED_OUT:
        report.reason = "\(core) kept: the check of \(target) did not finish in 30 s"
        return report
      default:
        report.reason = "\(core) kept: the check of \(target) could not run (fork failed)"
        return report
      }
      cache.record(verdict!, for: key)
    }
    if case .failed(let detail) = verdict! {
      report.reason = "\(core) kept: \(target) failed its check (\(detail); \(how))"
      warn(
        "Descent: OpenBLAS runs its \(core) kernels on this \(cpu.brand.isEmpty ? "CPU" : cpu.brand), and \(target) failed Descent's check (\(detail)); BLAS calls will be slow. Set OPENBLAS_CORETYPE to choose a core, or DESCENT_BLAS_CORE=keep to silence this."
      )
      return report
    }
    if switchCore(to: target) {
      report.core = target
      report.switched = true
      report.reason = "switched from \(core): the library fell back below this CPU's level; \(target) \(how)"
    } else {
      report.reason = "\(core) kept: the library did not switch to \(target) in-process"
      report.core = currentCore
    }
    return report
  }

  /// The core in use now, as the library reports it.
  static var currentCore: String? { descent_blas_corename().map { String(cString: $0) } }

  /// Switches to core `name` in this process; on failure goes back to the previous core.
  /// No BLAS call may run meanwhile. Internal: the selection and the tests use it.
  @discardableResult
  static func switchCore(to name: String) -> Bool {
    let previous = currentCore
    switch descent_blas_switch_core(name) {
    case 0: return true
    case 1:
      if let previous { _ = descent_blas_switch_core(previous) }
      return false
    default: return false
    }
  }

  private static func warn(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
  }
}
