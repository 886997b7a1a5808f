import Foundation

/// Verdicts of forked core checks, kept between runs so that the check (a child process
/// running a few hundred small products) runs once per CPU model and library build, not at
/// every start. One line per check: `key<TAB>passed|failed<TAB>detail`.
struct BLASCoreCheckCache {
  enum Verdict: Equatable {
    case passed
    case failed(String)
  }

  /// The cache file; `nil` when there is no home or cache folder to put it in.
  let file: URL?

  init(file: URL?) { self.file = file }

  /// `$XDG_CACHE_HOME/descent/blas-core-checks.tsv`, else `~/.cache/descent/...`.
  static var standard: BLASCoreCheckCache {
    let environment = ProcessInfo.processInfo.environment
    var folder: URL?
    if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
      folder = URL(fileURLWithPath: xdg)
    } else if let home = environment["HOME"], !home.isEmpty {
      folder = URL(fileURLWithPath: home).appendingPathComponent(".cache")
    }
    return BLASCoreCheckCache(
      file: folder?.appendingPathComponent("descent").appendingPathComponent("blas-core-checks.tsv"))
  }

  /// What identifies a check: the CPU model, the library build and the core checked.
  static func key(cpu: CPUFeatures, config: String?, libraryPath: String?, core: String) -> String {
    var library = libraryPath ?? "unknown library"
    if let libraryPath,
      let attributes = try? FileManager.default.attributesOfItem(
        atPath: URL(fileURLWithPath: libraryPath).resolvingSymlinksInPath().path),
      let size = attributes[.size] as? Int
    {
      library += " (\(size) bytes)"
    }
    let fields = [
      cpu.modelDescription, cpu.brand, config ?? "no config", library, "core \(core)",
    ]
    return fields.map { $0.replacingOccurrences(of: "\t", with: " ") }.joined(separator: " | ")
  }

  /// Lines of the file, parsed; malformed lines are skipped.
  private func entries() -> [(key: String, verdict: Verdict)] {
    guard let file, let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { line in
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      guard fields.count == 3 else { return nil }
      switch fields[1] {
      case "passed": return (fields[0], .passed)
      case "failed": return (fields[0], .failed(fields[2]))
      default: return nil
      }
    }
  }

  func verdict(for key: String) -> Verdict? {
    entries().last { $0.key == key }?.verdict
  }

  /// Records a verdict, replacing an earlier one for the same key. The file is replaced
  /// atomically; failures (read-only home, no space) are ignored: the check then simply
  /// runs again next time.
  func record(_ verdict: Verdict, for key: String) {
    guard let file else { return }
    var lines = entries().filter { $0.key != key }.map { entry -> String in
      switch entry.verdict {
      case .passed: "\(entry.key)\tpassed\t"
      case .failed(let detail): "\(entry.key)\tfailed\t\(detail)"
      }
    }
    switch verdict {
    case .passed: lines.append("\(key)\tpassed\t")
    case .failed(let detail):
      lines.append("\(key)\tfailed\t\(detail.replacingOccurrences(of: "\t", with: " "))")
    }
    let folder = file.deletingLastPathComponent()
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try? (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
  }
}
