import CDescentBLAS

/// What this CPU can run, as `cpuid` reports it: its model and the vector extensions that
/// both the CPU and the operating system support. Off x86-64 every feature reads `false`.
public struct CPUFeatures: Sendable, Hashable {
  /// `cpuid` vendor string: `"GenuineIntel"`, `"AuthenticAMD"`, ... (empty off x86-64).
  public var vendor: String
  /// The processor brand string, e.g. `"AMD EPYC 7B13"`.
  public var brand: String
  /// Display family (base plus extended family), e.g. 6 for Intel Core and Xeon, 25 for Zen 3/4.
  public var family: Int
  /// Display model (base plus extended model), e.g. 207 for Emerald Rapids.
  public var model: Int
  /// Stepping.
  public var stepping: Int
  /// SSE3.
  public var sse3: Bool
  /// AVX, AVX2 and FMA3.
  public var avx: Bool
  public var avx2: Bool
  public var fma: Bool
  /// The AVX-512 subsets OpenBLAS's SkylakeX kernels need (F, BW, VL, DQ, CD), and BF16
  /// (Cooperlake and later).
  public var avx512f: Bool
  public var avx512bw: Bool
  public var avx512vl: Bool
  public var avx512dq: Bool
  public var avx512cd: Bool
  public var avx512bf16: Bool
  /// AMX tiles (Sapphire Rapids and later).
  public var amx: Bool
  /// Whether the OS saves the ymm registers (XCR0), without which AVX can't be used.
  public var osSavesAVX: Bool
  /// Whether the OS saves the opmask and zmm registers, without which AVX-512 can't be used.
  public var osSavesAVX512: Bool

  /// A CPU description; every feature defaults to absent.
  public init(
    vendor: String, brand: String = "", family: Int, model: Int, stepping: Int = 0,
    sse3: Bool = false, avx: Bool = false, avx2: Bool = false, fma: Bool = false,
    avx512f: Bool = false, avx512bw: Bool = false, avx512vl: Bool = false,
    avx512dq: Bool = false, avx512cd: Bool = false, avx512bf16: Bool = false, amx: Bool = false,
    osSavesAVX: Bool = false, osSavesAVX512: Bool = false
  ) {
    self.vendor = vendor
    self.brand = brand
    self.family = family
    self.model = model
    self.stepping = stepping
    self.sse3 = sse3
    self.avx = avx
    self.avx2 = avx2
    self.fma = fma
    self.avx512f = avx512f
    self.avx512bw = avx512bw
    self.avx512vl = avx512vl
    self.avx512dq = avx512dq
    self.avx512cd = avx512cd
    self.avx512bf16 = avx512bf16
    self.amx = amx
    self.osSavesAVX = osSavesAVX
    self.osSavesAVX512 = osSavesAVX512
  }

  /// This machine's CPU.
  public static let current: CPUFeatures = {
    var info = descent_cpu_info()
    _ = descent_cpu_probe(&info)
    func string<T>(_ tuple: T) -> String {
      withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
    return CPUFeatures(
      vendor: string(info.vendor), brand: string(info.brand), family: Int(info.family),
      model: Int(info.model), stepping: Int(info.stepping), sse3: info.sse3 != 0,
      avx: info.avx != 0, avx2: info.avx2 != 0, fma: info.fma != 0, avx512f: info.avx512f != 0,
      avx512bw: info.avx512bw != 0, avx512vl: info.avx512vl != 0, avx512dq: info.avx512dq != 0,
      avx512cd: info.avx512cd != 0, avx512bf16: info.avx512bf16 != 0, amx: info.amx != 0,
      osSavesAVX: info.os_avx != 0, osSavesAVX512: info.os_avx512 != 0)
  }()

  /// AVX-512 F/BW/VL/DQ/CD with OS support: OpenBLAS's SkylakeX kernels can run.
  public var canRunAVX512: Bool {
    avx512f && avx512bw && avx512vl && avx512dq && avx512cd && osSavesAVX512
  }
  /// AVX2 and FMA with OS support: the Haswell and Zen kernels can run.
  public var canRunAVX2: Bool { avx && avx2 && fma && osSavesAVX }
  /// AVX with OS support: the Sandybridge kernels can run.
  public var canRunAVX: Bool { avx && osSavesAVX }

  /// Whether the vendor is AMD (or Hygon, its licensee).
  public var isAMD: Bool { vendor == "AuthenticAMD" || vendor == "HygonGenuine" }

  /// `"AuthenticAMD family 25 model 1 stepping 1"`.
  public var modelDescription: String {
    "\(vendor.isEmpty ? "unknown vendor" : vendor) family \(family) model \(model) stepping \(stepping)"
  }

  /// The features above that are present and usable, by their usual lower-case names.
  public var featureNames: [String] {
    var names: [String] = []
    if sse3 { names.append("sse3") }
    if canRunAVX { names.append("avx") }
    if canRunAVX && avx2 { names.append("avx2") }
    if fma { names.append("fma") }
    let avx512: [(String, Bool)] = [
      ("avx512f", avx512f), ("avx512bw", avx512bw), ("avx512vl", avx512vl),
      ("avx512dq", avx512dq), ("avx512cd", avx512cd), ("avx512_bf16", avx512bf16),
    ]
    for (name, present) in avx512 where present && osSavesAVX512 { names.append(name) }
    if amx { names.append("amx") }
    if avx512f && !osSavesAVX512 { names.append("(avx512 present, not enabled by the OS)") }
    return names
  }
}
