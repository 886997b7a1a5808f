/// The vector instruction level a BLAS kernel set needs, or a CPU offers.
enum VectorLevel: Int, Comparable, Sendable, CustomStringConvertible {
  case baseline, avx, avx2, avx512

  static func < (a: VectorLevel, b: VectorLevel) -> Bool { a.rawValue < b.rawValue }

  var description: String {
    switch self {
    case .baseline: "SSE"
    case .avx: "AVX"
    case .avx2: "AVX2+FMA"
    case .avx512: "AVX-512"
    }
  }

  /// The best level `cpu` can run.
  init(_ cpu: CPUFeatures) {
    if cpu.canRunAVX512 {
      self = .avx512
    } else if cpu.canRunAVX2 {
      self = .avx2
    } else if cpu.canRunAVX {
      self = .avx
    } else {
      self = .baseline
    }
  }
}

/// Which OpenBLAS core Descent wants, from what the library chose and what the CPU can run:
/// pure logic, unit-tested on recorded cpuid / core-name combinations.
enum BLASCoreSelection {
  /// What to do with the library's choice.
  enum Decision: Equatable, Sendable {
    /// Leave the core as it is, for the reason given.
    case keep(String)
    /// Select this core (after checking it).
    case select(String)
  }

  /// The level each x86-64 core name of OpenBLAS (0.3.x, `openblas_get_corename`) needs;
  /// `nil` for names Descent does not know, which it never overrides.
  static func level(ofCore name: String) -> VectorLevel? {
    switch name.lowercased() {
    case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
      "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
      .baseline
    case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": .avx
    case "haswell", "zen": .avx2
    case "skylakex", "cooperlake", "sapphirerapids": .avx512
    default: nil
    }
  }

  /// The cores worth selecting at `level` on `cpu`, best first: Cooperlake (SkylakeX's
  /// kernels plus BF16) before SkylakeX where the CPU has BF16; the vendor's own AVX2 core
  /// first.
  static func candidates(at level: VectorLevel, for cpu: CPUFeatures) -> [String] {
    switch level {
    case .avx512: cpu.avx512bf16 ? ["Cooperlake", "SkylakeX"] : ["SkylakeX"]
    case .avx2: cpu.isAMD ? ["Zen", "Haswell"] : ["Haswell", "Zen"]
    case .avx: ["Sandybridge"]
    case .baseline: []
    }
  }

  /// The decision for a library that reports `core` (`nil`: not OpenBLAS, or too old to
  /// say), on `cpu`.
  ///
  /// - Parameters:
  ///   - canSwitch: the library exports `gotoblas_dynamic_quit`/`_init` (DYNAMIC_ARCH).
  ///   - ships: whether the library contains a core's kernels.
  ///   - userCoreType: `OPENBLAS_CORETYPE` as set by the user; never overridden.
  ///   - setting: `DESCENT_BLAS_CORE`: `keep` turns selection off; unset, empty or `auto` is
  ///     the default.
  static func decide(
    core: String?, cpu: CPUFeatures, canSwitch: Bool, ships: (String) -> Bool,
    userCoreType: String?, setting: String?
  ) -> Decision {
    if let setting, !setting.isEmpty, setting.lowercased() != "auto" {
      if setting.lowercased() == "keep" { return .keep("DESCENT_BLAS_CORE=keep") }
      return .keep("DESCENT_BLAS_CORE=\(setting) is neither 'keep' nor 'auto'; kept the library's core")
    }
    if let userCoreType { return .keep("OPENBLAS_CORETYPE=\(userCoreType) is set") }
    guard let core else { return .keep("the BLAS library does not report a core (not OpenBLAS)") }
    guard let coreLevel = level(ofCore: core) else {
      return .keep("\(core) is a core Descent does not know")
    }
    let cpuLevel = VectorLevel(cpu)
    guard coreLevel < cpuLevel else {
      return .keep("\(core) (\(coreLevel)) suits this CPU (\(cpuLevel))")
    }
    guard canSwitch else {
      return .keep(
        "\(core) (\(coreLevel)) is below this CPU's \(cpuLevel), but this OpenBLAS cannot switch cores (no DYNAMIC_ARCH)"
      )
    }
    var level = cpuLevel
    while level > coreLevel {
      if let name = candidates(at: level, for: cpu).first(where: ships) { return .select(name) }
      level = VectorLevel(rawValue: level.rawValue - 1)!
    }
    return .keep(
      "\(core) (\(coreLevel)) is below this CPU's \(cpuLevel), and the library ships no better core")
  }
}
