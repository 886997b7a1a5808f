import CDescentBLAS
import Foundation
import Testing

@testable import Descent

/// The run-time half of the core selection: the forked check, the verdict cache and the
/// in-process switch. Each test adapts to the library and CPU it finds (which cores are
/// shipped and runnable); none sets OPENBLAS_CORETYPE.
@Suite("BLAS core at run time")
struct BLASCoreRuntimeTests {
  /// Shipped cores this CPU can run, other than the current one, same level first: what a
  /// switch can go to and come back from.
  static func alternativeCores() -> [String] {
    guard let current = BLASCore.currentCore else { return [] }
    let level = VectorLevel(CPUFeatures.current)
    let names = [
      "Cooperlake", "SkylakeX", "Haswell", "Zen", "Sandybridge", "Nehalem", "Core2", "Prescott",
    ]
    let currentLevel = BLASCoreSelection.level(ofCore: current)
    return
      names
      .filter {
        $0.lowercased() != current.lowercased() && descent_blas_ships_core($0) != 0
          && BLASCoreSelection.level(ofCore: $0)! <= level
      }
      .sorted {
        (BLASCoreSelection.level(ofCore: $0) == currentLevel ? 0 : 1)
          < (BLASCoreSelection.level(ofCore: $1) == currentLevel ? 0 : 1)
      }
  }

  /// Run as Descent runs its own BLAS calls, with OpenBLAS single-threaded: a threaded
  /// OpenBLAS call racing with another test's fork can hang in OpenBLAS (its fork handler
  /// stops the workers such a call waits for).
  @Test func currentCorePassesTheReferenceCheck() {
    #expect(PooledBLAS.singleThreaded { descent_blas_self_check() } == 0)
  }

  /// The forked check of the core in use passes; a name the library does not know is
  /// refused; neither touches this process's core.
  @Test func forkedCheck() throws {
    BLASCore.prepare()
    let before = BLASCore.currentCore
    var signal: Int32 = 0
    guard descent_blas_can_switch() != 0, let current = before else {
      #expect(descent_blas_check_core("Haswell", 30, &signal) == DESCENT_CORE_CHECK_UNAVAILABLE)
      return
    }
    #expect(descent_blas_check_core(current, 30, &signal) == DESCENT_CORE_CHECK_PASSED)
    #expect(descent_blas_check_core("NoSuchCore", 30, &signal) == DESCENT_CORE_CHECK_REFUSED)
    #expect(BLASCore.currentCore == before)
  }

  /// A core this CPU cannot run (AVX-512 kernels on a CPU without it) fails the check, and
  /// its crash stays in the child: this process goes on. On a CPU that runs every shipped core there is nothing
  /// to try.
  @Test func coreTheCPUCannotRunFailsTheCheck() {
    BLASCore.prepare()
    guard descent_blas_can_switch() != 0 else { return }
    let level = VectorLevel(CPUFeatures.current)
    let unrunnable = ["SkylakeX", "Cooperlake", "Haswell", "Zen", "Sandybridge"].filter {
      descent_blas_ships_core($0) != 0 && BLASCoreSelection.level(ofCore: $0)! > level
    }
    for core in unrunnable {
      var signal: Int32 = 0
      let outcome = descent_blas_check_core(core, 30, &signal)
      // Crashed or wrong in the child, or refused by the library itself (0.3.21 refuses
      // Cooperlake without AVX-512 BF16, but runs SkylakeX's kernels into a SIGILL).
      #expect(
        [DESCENT_CORE_CHECK_CRASHED, DESCENT_CORE_CHECK_WRONG_RESULTS, DESCENT_CORE_CHECK_REFUSED]
          .contains(outcome),
        "\(core) on a CPU without \(BLASCoreSelection.level(ofCore: core)!): outcome \(outcome.rawValue)")
      if outcome == DESCENT_CORE_CHECK_CRASHED { #expect(signal != 0) }
    }
  }

  @Test func cacheRecordsAndReplacesVerdicts() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("descent-blas-cache-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let cache = BLASCoreCheckCache(file: folder.appendingPathComponent("sub/checks.tsv"))
    let key = BLASCoreCheckCache.key(
      cpu: BLASCoreSelectionTests.emeraldRapids, config: "OpenBLAS 0.3.21 DYNAMIC_ARCH Prescott",
      libraryPath: "/nonexistent/libopenblas.so.0", core: "Cooperlake")
    #expect(key.contains("family 6 model 207"))
    #expect(key.contains("OpenBLAS 0.3.21"))
    #expect(key.contains("Cooperlake"))
    #expect(cache.verdict(for: key) == nil)
    cache.record(.failed("the check crashed with signal 4"), for: key)
    #expect(cache.verdict(for: key) == .failed("the check crashed with signal 4"))
    let other = key.replacingOccurrences(of: "Cooperlake", with: "SkylakeX")
    cache.record(.passed, for: other)
    cache.record(.passed, for: key)
    #expect(cache.verdict(for: key) == .passed)
    #expect(cache.verdict(for: other) == .passed)
    let lines = try String(contentsOf: cache.file!, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 2)
    // No file, no folder to create: no verdict, and recording does not fail.
    let nowhere = BLASCoreCheckCache(file: URL(fileURLWithPath: "/proc/descent-no-such/checks.tsv"))
    nowhere.record(.passed, for: key)
    #expect(nowhere.verdict(for: key) == nil)
    #expect(BLASCoreCheckCache(file: nil).verdict(for: key) == nil)
  }

  /// Products computed after switching to another core and back equal those before, bit
  /// for bit, and those computed on the other core agree within rounding. Runs in a child
  /// process: a core switch must not race with the BLAS calls of concurrent tests.
  @Test func resultsAfterASwitchEqualThoseBefore() async {
    await #expect(processExitsWith: .success) {
      BLASCore.prepare()
      func products() -> [[Double]] {
        var results: [[Double]] = []
        for dtype in [DType.float32, .float64] {
          let g = Generator(seed: 7)
          let a = Tensor.randn([67, 130], dtype: dtype, generator: g)
          let b = Tensor.randn([130, 45], dtype: dtype, generator: g)
          let v = Tensor.randn([130], dtype: dtype, generator: g)
          results.append(a.matmul(b).to(dtype: .float64).asArray(Double.self))
          results.append(a.t().matmul(a).to(dtype: .float64).asArray(Double.self))
          results.append(a.matmul(v).to(dtype: .float64).asArray(Double.self))
        }
        return results
      }
      guard let original = BLASCore.currentCore, descent_blas_can_switch() != 0 else {
        // Not a switchable OpenBLAS: switching must say so and change nothing.
        exit(descent_blas_switch_core("Haswell") == -1 ? 0 : 1)
      }
      let before = products()
      guard let other = BLASCoreRuntimeTests.alternativeCores().first else { exit(0) }
      guard BLASCore.switchCore(to: other), BLASCore.currentCore == other else { exit(2) }
      let during = products()
      guard BLASCore.switchCore(to: original), BLASCore.currentCore == original else { exit(3) }
      let after = products()
      guard after == before else { exit(4) }
      for (x, y) in zip(during, before) {
        for (p, q) in zip(x, y) where Swift.abs(p - q) > 1e-3 * Swift.max(1, Swift.abs(q)) { exit(5) }
      }
      exit(0)
    }
  }

  /// The whole selection, as on a CPU the library does not know: the library is made to
  /// run a baseline core first (`DESCENT_BLAS_SIMULATE_CORE`), and the selection must pick
  /// the core the decision names, check it in a child, cache the verdict, and switch;
  /// a second selection reads the cached verdict.
  @Test func selectionRecoversFromAFallback() async {
    await #expect(processExitsWith: .success) {
      BLASCore.prepare()
      guard descent_blas_can_switch() != 0, let original = BLASCore.currentCore,
        descent_blas_ships_core("Prescott") != 0
      else { exit(0) }
      let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("descent-blas-select-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: folder) }
      let cache = BLASCoreCheckCache(file: folder.appendingPathComponent("checks.tsv"))
      let environment: (String) -> String? = { $0 == "DESCENT_BLAS_SIMULATE_CORE" ? "Prescott" : nil }
      let cpu = CPUFeatures.current
      let expected = BLASCoreSelection.decide(
        core: "Prescott", cpu: cpu, canSwitch: true, ships: { descent_blas_ships_core($0) != 0 },
        userCoreType: nil, setting: nil)
      let first = BLASCore.select(cpu: cpu, environment: environment, cache: cache)
      guard first.coreAtLoad == "Prescott" else { exit(1) }
      switch expected {
      case .keep:
        guard !first.switched, first.core == "Prescott" else { exit(2) }
      case .select(let core):
        guard first.switched, first.core == core, BLASCore.currentCore == core,
          first.reason.contains("child process")
        else { exit(3) }
        let second = BLASCore.select(cpu: cpu, environment: environment, cache: cache)
        guard second.switched, second.core == core, second.reason.contains("cached") else { exit(4) }
      }
      _ = BLASCore.switchCore(to: original)
      exit(0)
    }
  }
}
