import Foundation

/// Waits, before each measured round of `descent bench`, until no other thread of this
/// process (OpenBLAS's workers, Descent's pool, Dispatch) nor of the PyTorch server is
/// runnable: a pool that still spins after the previous round (OpenBLAS's workers
/// busy-wait in `sched_yield` for about 0.1 s after each call, OpenMP's for a while too)
/// would otherwise take a core from the round being measured.
///
/// A thread's state is the third field of `/proc/<pid>/task/<tid>/stat`; `R` means running
/// or runnable. The process must read quiet on two polls in a row, 0.2 ms apart.
final class QuietThreads {
  private(set) var waits = 0
  private(set) var totalWait = 0.0
  private(set) var timeouts = 0
  private let ownThread: String
  let timeout: Double

  init(timeout: Double = 1.0) {
    self.timeout = timeout
    // "/proc/<pid>/task/<tid>": the calling thread, which is the one that waits.
    let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
    ownThread = link.split(separator: "/").last.map(String.init) ?? ""
  }

  /// Whether /proc can be read here (Linux).
  static var isSupported: Bool { FileManager.default.fileExists(atPath: "/proc/self/task") }

  /// Threads of `pid` (other than the caller) that are runnable now.
  func runnable(in pid: Int32) -> [String] {
    let folder = "/proc/\(pid)/task"
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    var busy: [String] = []
    for tid in tasks where !(pid == getpid() && tid == ownThread) {
      guard let stat = try? String(contentsOfFile: "\(folder)/\(tid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { continue }
      let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
      if state == "R" {
        let name = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
        busy.append("\(tid) \(name)")
      }
    }
    return busy
  }

  /// Returns once this process and `others` have no runnable thread but the caller, or after
  /// ``timeout`` seconds.
  func wait(others: [Int32] = []) {
    guard Self.isSupported else { return }
    let start = DispatchTime.now().uptimeNanoseconds
    var quietPolls = 0
    while quietPolls < 2 {
      let busy = ([getpid()] + others).contains { !runnable(in: $0).isEmpty }
      quietPolls = busy ? 0 : quietPolls + 1
      if Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 > timeout {
        timeouts += 1
        break
      }
      if quietPolls < 2 { usleep(200) }
    }
    waits += 1
    totalWait += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  /// `quiet wait before each round: 1.2 ms mean, 0 of 40 timed out`.
  var summary: String {
    guard Self.isSupported else { return "no /proc: rounds start without waiting for other threads" }
    let mean = waits == 0 ? 0 : totalWait / Double(waits) * 1000
    return String(
      format:
        "rounds start when no other thread is runnable: waited %.1f ms on average, %d of %d waits hit the %.0f s limit",
      mean, timeouts, waits, timeout)
  }
}
