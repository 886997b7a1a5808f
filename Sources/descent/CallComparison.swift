import Descent
import Foundation

/// What `descent bench linalg` and `descent bench layers` share: single Descent calls timed
/// against the same calls in PyTorch, in interleaved rounds. It starts PyTorch's step server
/// when asked, prints the header lines, times each case and prints its row.
final class CallComparison {
  let torch: TorchStepServer?
  private let settleMs: Int
  private let quietWait: Bool
  private let quiet = QuietThreads()

  /// Starts PyTorch (reporting why not when that fails) and prints the machine, `detail`,
  /// PyTorch's version and the load.
  init(_ options: TorchComparisonOptions, settleMs: Int, quietWait: Bool, detail: String) {
    self.settleMs = settleMs
    self.quietWait = quietWait
    var torch: TorchStepServer?
    do {
      torch = try options.startServer()
    } catch {
      print("PyTorch comparison skipped: \(error)")
    }
    self.torch = torch
    let machine = Machine.current()
    print("CPU: \(machine.cpu), \(machine.cores) cores; \(Threads.count) threads\(detail)")
    if let torch {
      print("PyTorch \(torch.torchVersion) (threads \(torch.threads)), Python \(torch.pythonVersion)")
    }
    print("load average: \(Machine.loadAverage())")
  }

  /// Sends a setup request to PyTorch; `true` when it prepared the call (its answer lists
  /// `impls`), else the failure is printed and the case runs without PyTorch.
  func setUp(_ request: [String: Any]) throws -> Bool {
    guard let torch else { return false }
    let answer = try torch.request(request)
    if answer["impls"] == nil { print("PyTorch setup failed: \(answer)") }
    return answer["impls"] != nil
  }

  /// Medians over `rounds` rounds of `calls` back-to-back calls each: `ours`, and PyTorch's
  /// `impl` when given, alternating which side goes first, each side after a pause of
  /// `settleMs` and (with `quietWait`) until no other thread of either process is runnable.
  func medians(rounds: Int, calls: Int, torchImpl impl: String?, _ ours: () throws -> Void) throws -> (
    ours: Double, torch: Double?
  ) {
    var mine: [Double] = []
    var theirs: [Double] = []
    let sides = impl == nil ? 1 : 2
    for round in 0..<rounds {
      for k in 0..<sides {
        if settleMs > 0 { usleep(UInt32(settleMs) * 1000) }
        if quietWait { quiet.wait(others: torch.map { [$0.pid] } ?? []) }
        if let impl, (k + round) % 2 == 1 {
          theirs += try torch!.call(impl, times: calls)
        } else {
          for _ in 0..<calls { mine.append(try timeMilliseconds(ours)) }
        }
      }
    }
    return (median(mine), impl == nil ? nil : median(theirs))
  }

  /// `label` then Descent's milliseconds and, when PyTorch ran, its milliseconds and the ratio.
  func printRow(_ label: String, _ times: (ours: Double, torch: Double?)) {
    let line = label + String(format: "%.2f", times.ours).padding(13)
    if let t = times.torch {
      print(line + String(format: "%.2f", t).padding(13) + String(format: "%.2f×", times.ours / t))
    } else {
      print(line)
    }
  }

  /// The pauses' summary and the load at the end.
  func finish() {
    print(quiet.summary)
    print("load average at the end: \(Machine.loadAverage())")
  }
}
