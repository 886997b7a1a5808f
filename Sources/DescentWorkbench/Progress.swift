import Foundation

/// Where a run reports its progress: a bar redrawn in place on a terminal, one plain line per
/// epoch otherwise, or nothing.
public enum ProgressStyle: Sendable {
  /// A bar with the epoch, the loss and steps per second, redrawn in place.
  case bar
  /// One line per epoch.
  case lines
  /// Nothing.
  case silent

  /// ``bar`` when standard error is a terminal, ``lines`` otherwise.
  public static var automatic: ProgressStyle { isatty(STDERR_FILENO) != 0 ? .bar : .lines }
}

/// Writes a run's progress to standard error.
final class ProgressReporter {
  let style: ProgressStyle
  let width = 24
  /// Whether the bar's line is still open (no newline after it yet).
  private var barOpen = false

  init(style: ProgressStyle) { self.style = style }

  /// One epoch finished: `epoch` of `epochs`, with the training loss, the test accuracy and
  /// the steps per second so far.
  func epoch(
    _ name: String, _ epoch: Int, of epochs: Int, loss: Double, accuracy: Double, stepsPerSecond: Double
  ) {
    let numbers =
      "epoch \(pad(epoch, to: epochs))/\(epochs)  loss \(String(format: "%.4f", loss))  test acc \(String(format: "%.4f", accuracy))  \(String(format: "%.0f", stepsPerSecond)) steps/s"
    switch style {
    case .bar:
      let filled = epochs > 0 ? width * epoch / epochs : width
      let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      barOpen = epoch < epochs
      write("\r\u{1B}[K\(name)  \(bar)  \(numbers)" + (barOpen ? "" : "\n"))
    case .lines:
      write("\(name)  \(numbers)\n")
    case .silent:
      break
    }
  }

  /// A message on its own line.
  func note(_ message: String) {
    guard style != .silent else { return }
    write((barOpen ? "\n" : "") + message + "\n")
    barOpen = false
  }

  private func pad(_ n: Int, to total: Int) -> String {
    let text = "\(n)"
    return String(repeating: " ", count: max(0, "\(total)".count - text.count)) + text
  }

  private func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}
