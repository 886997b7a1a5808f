import Testing

@testable import Descent

/// The choice of OpenBLAS core on recorded cpuid / core-name combinations: pure logic, the
/// same on every machine.
@Suite("BLAS core selection")
struct BLASCoreSelectionTests {
  /// Every x86-64 core Debian's OpenBLAS 0.3.21 ships (it exports `gotoblas_<NAME>`).
  static let debian0321 = Set([
    "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn",
    "Dunnington", "Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano",
    "Sandybridge", "Bobcat", "Bulldozer", "Piledriver", "Haswell", "Steamroller", "Excavator",
    "Zen", "SkylakeX", "Cooperlake",
  ])

  /// Intel Xeon, family 6 model 207 (Emerald Rapids): AVX-512 with BF16 and AMX. Debian 12's
  /// OpenBLAS 0.3.21 does not know the model and answers `Prescott`.
  static let emeraldRapids = CPUFeatures(
    vendor: "GenuineIntel", brand: "INTEL(R) XEON(R) PLATINUM 8581C CPU @ 2.10GHz", family: 6,
    model: 207, stepping: 2, sse3: true, avx: true, avx2: true, fma: true, avx512f: true,
    avx512bw: true, avx512vl: true, avx512dq: true, avx512cd: true, avx512bf16: true, amx: true,
    osSavesAVX: true, osSavesAVX512: true)

  /// Intel Xeon Skylake-SP, family 6 model 85: AVX-512 without BF16.
  static let skylakeSP = CPUFeatures(
    vendor: "GenuineIntel", family: 6, model: 85, sse3: true, avx: true, avx2: true, fma: true,
    avx512f: true, avx512bw: true, avx512vl: true, avx512dq: true, avx512cd: true,
    osSavesAVX: true, osSavesAVX512: true)

  /// AMD EPYC, family 25 model 1 (Zen 3): AVX2 + FMA, no AVX-512.
  static let zen3 = CPUFeatures(
    vendor: "AuthenticAMD", brand: "AMD EPYC", family: 25, model: 1, stepping: 1, sse3: true,
    avx: true, avx2: true, fma: true, osSavesAVX: true)

  /// AMD Zen 5, family 26: AVX-512 with BF16.
  static let zen5 = CPUFeatures(
    vendor: "AuthenticAMD", family: 26, model: 2, sse3: true, avx: true, avx2: true, fma: true,
    avx512f: true, avx512bw: true, avx512vl: true, avx512dq: true, avx512cd: true,
    avx512bf16: true, osSavesAVX: true, osSavesAVX512: true)

  /// Intel Sandy Bridge, family 6 model 42: AVX only.
  static let sandyBridge = CPUFeatures(
    vendor: "GenuineIntel", family: 6, model: 42, sse3: true, avx: true, osSavesAVX: true)

  struct Case: CustomTestStringConvertible, Sendable {
    var label: String
    var cpu: CPUFeatures
    var core: String?
    var ships: Set<String> = BLASCoreSelectionTests.debian0321
    var canSwitch = true
    var userCoreType: String? = nil
    var setting: String? = nil
    /// The core selected, or `nil` to keep the library's.
    var expected: String?
    var testDescription: String { label }
  }

  static let cases: [Case] = [
    Case(
      label: "Emerald Rapids, Prescott → Cooperlake", cpu: emeraldRapids, core: "Prescott",
      expected: "Cooperlake"),
    Case(
      label: "Emerald Rapids, library without Cooperlake → SkylakeX", cpu: emeraldRapids,
      core: "Prescott", ships: debian0321.subtracting(["Cooperlake"]), expected: "SkylakeX"),
    Case(
      label: "Emerald Rapids, core name in other case", cpu: emeraldRapids, core: "PRESCOTT",
      expected: "Cooperlake"),
    Case(label: "Emerald Rapids, SkylakeX kept", cpu: emeraldRapids, core: "SkylakeX", expected: nil),
    Case(label: "Emerald Rapids, Cooperlake kept", cpu: emeraldRapids, core: "Cooperlake", expected: nil),
    Case(
      label: "AVX-512 the OS does not enable → Haswell",
      cpu: {
        var c = emeraldRapids; c.osSavesAVX512 = false; return c
      }(), core: "Prescott",
      expected: "Haswell"),
    Case(label: "Skylake-SP, Prescott → SkylakeX", cpu: skylakeSP, core: "Prescott", expected: "SkylakeX"),
    Case(label: "Skylake-SP, Haswell → SkylakeX", cpu: skylakeSP, core: "Haswell", expected: "SkylakeX"),
    Case(label: "Zen 3, Zen kept", cpu: zen3, core: "Zen", expected: nil),
    Case(label: "Zen 3, Haswell kept (same level)", cpu: zen3, core: "Haswell", expected: nil),
    Case(label: "Zen 3, Barcelona → Zen", cpu: zen3, core: "Barcelona", expected: "Zen"),
    Case(
      label: "Zen 3, library without Zen → Haswell", cpu: zen3, core: "Prescott",
      ships: debian0321.subtracting(["Zen"]), expected: "Haswell"),
    Case(label: "Zen 5, Prescott → Cooperlake", cpu: zen5, core: "Prescott", expected: "Cooperlake"),
    Case(label: "Zen 5, Zen → Cooperlake", cpu: zen5, core: "Zen", expected: "Cooperlake"),
    Case(
      label: "Sandy Bridge, Prescott → Sandybridge", cpu: sandyBridge, core: "Prescott",
      expected: "Sandybridge"),
    Case(label: "Sandy Bridge, Sandybridge kept", cpu: sandyBridge, core: "Sandybridge", expected: nil),
    Case(
      label: "AVX-512 CPU, library shipping only generic cores", cpu: emeraldRapids, core: "Prescott",
      ships: ["Prescott", "Nehalem", "Core2"], expected: nil),
    Case(
      label: "AVX-512 CPU, library shipping only Sandybridge above Prescott", cpu: emeraldRapids,
      core: "Prescott", ships: ["Prescott", "Sandybridge"], expected: "Sandybridge"),
    Case(
      label: "OPENBLAS_CORETYPE is never overridden", cpu: emeraldRapids, core: "Prescott",
      userCoreType: "Prescott", expected: nil),
    Case(
      label: "OPENBLAS_CORETYPE set to an empty string still counts", cpu: emeraldRapids,
      core: "Prescott", userCoreType: "", expected: nil),
    Case(
      label: "DESCENT_BLAS_CORE=keep", cpu: emeraldRapids, core: "Prescott", setting: "keep",
      expected: nil),
    Case(
      label: "DESCENT_BLAS_CORE=KEEP", cpu: emeraldRapids, core: "Prescott", setting: "KEEP",
      expected: nil),
    Case(
      label: "DESCENT_BLAS_CORE=auto", cpu: emeraldRapids, core: "Prescott", setting: "auto",
      expected: "Cooperlake"),
    Case(
      label: "DESCENT_BLAS_CORE with another value keeps", cpu: emeraldRapids, core: "Prescott",
      setting: "SkylakeX", expected: nil),
    Case(
      label: "without DYNAMIC_ARCH nothing switches", cpu: emeraldRapids, core: "Prescott",
      canSwitch: false, expected: nil),
    Case(label: "not OpenBLAS (no core name)", cpu: emeraldRapids, core: nil, expected: nil),
    Case(label: "a core name Descent does not know", cpu: emeraldRapids, core: "Unknown", expected: nil),
    Case(
      label: "an ARM core", cpu: CPUFeatures(vendor: "", family: 0, model: 0), core: "ARMV8",
      expected: nil),
  ]

  @Test(arguments: cases)
  func decision(_ c: Case) {
    let decision = BLASCoreSelection.decide(
      core: c.core, cpu: c.cpu, canSwitch: c.canSwitch, ships: { c.ships.contains($0) },
      userCoreType: c.userCoreType, setting: c.setting)
    if let expected = c.expected {
      #expect(decision == .select(expected))
    } else {
      guard case .keep(let reason) = decision else {
        Issue.record("expected to keep \(c.core ?? "nil"), got \(decision)")
        return
      }
      #expect(!reason.isEmpty)
    }
  }

  /// The reasons name what decided, so that `descent info` can say it.
  @Test func reasonsNameTheCause() {
    func reason(_ decision: BLASCoreSelection.Decision) -> String {
      if case .keep(let r) = decision { return r }
      return ""
    }
    let ships: (String) -> Bool = { Self.debian0321.contains($0) }
    let cpu = Self.emeraldRapids
    #expect(
      reason(
        BLASCoreSelection.decide(
          core: "Prescott", cpu: cpu, canSwitch: true, ships: ships, userCoreType: "Haswell",
          setting: nil)
      ).contains("OPENBLAS_CORETYPE=Haswell"))
    #expect(
      reason(
        BLASCoreSelection.decide(
          core: "Prescott", cpu: cpu, canSwitch: true, ships: ships, userCoreType: nil,
          setting: "sometimes")
      ).contains("DESCENT_BLAS_CORE=sometimes"))
    #expect(
      reason(
        BLASCoreSelection.decide(
          core: "Prescott", cpu: cpu, canSwitch: false, ships: ships, userCoreType: nil,
          setting: nil)
      ).contains("DYNAMIC_ARCH"))
  }

  @Test func vectorLevels() {
    #expect(VectorLevel(Self.emeraldRapids) == .avx512)
    #expect(VectorLevel(Self.zen3) == .avx2)
    #expect(VectorLevel(Self.sandyBridge) == .avx)
    #expect(VectorLevel(CPUFeatures(vendor: "GenuineIntel", family: 6, model: 15, sse3: true)) == .baseline)
    // AVX2 without FMA (no such CPU ships, but cpuid can say so under a hypervisor) is AVX.
    var noFMA = Self.zen3
    noFMA.fma = false
    #expect(VectorLevel(noFMA) == .avx)
    #expect(BLASCoreSelection.level(ofCore: "skylakex") == .avx512)
    #expect(BLASCoreSelection.level(ofCore: "Zen") == .avx2)
    #expect(BLASCoreSelection.level(ofCore: "Prescott") == .baseline)
    #expect(BLASCoreSelection.level(ofCore: "NEOVERSEN1") == nil)
  }

  /// The CPU's own report is consistent whatever the machine: each level implies the one
  /// below, and the features listed are the usable ones.
  @Test func currentCPUIsConsistent() {
    let cpu = CPUFeatures.current
    if cpu.canRunAVX512 { #expect(cpu.avx512f && cpu.osSavesAVX512) }
    if cpu.osSavesAVX512 { #expect(cpu.osSavesAVX) }
    if cpu.canRunAVX2 { #expect(cpu.canRunAVX) }
    #expect(cpu.featureNames.contains("avx2") == (cpu.canRunAVX && cpu.avx2))
    #if arch(x86_64)
      #expect(!cpu.vendor.isEmpty)
      #expect(cpu.sse3)
    #endif
  }
}
