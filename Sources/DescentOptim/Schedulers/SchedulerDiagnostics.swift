import Foundation

/// A warning from a scheduler, where PyTorch calls `warnings.warn`.
public struct SchedulerWarning: Equatable, Sendable, CustomStringConvertible {
  /// What the warning is about.
  public enum Kind: Equatable, Sendable {
    /// `scheduler.step()` ran before the optimizer had stepped since the first scheduler
    /// on it was made: the first value of the schedule is skipped.
    case stepBeforeOptimizerStep
  }

  /// What the warning is about.
  public let kind: Kind
  /// The scheduler's type (`"StepLR"`).
  public let scheduler: String
  /// PyTorch's text of the warning.
  public let message: String

  /// The message.
  public var description: String { message }
}

/// Where scheduler warnings go.
///
/// By default each distinct warning is printed once per process to standard error, as
/// Python's default warning filter prints a warning once per place. To see every warning,
/// collect them, or silence them, set ``handler`` for the code that runs the schedulers:
///
/// ```swift
/// try SchedulerDiagnostics.$handler.withValue({ warning in log(warning.message) }) {
///   try train()
/// }
/// ```
///
/// ``handler`` is a task-local value: it applies to the code in `withValue`'s closure (and
/// the tasks it creates), on any thread, and not to other tasks.
public enum SchedulerDiagnostics {
  /// Receives every warning, instead of the default print-once to standard error; `nil`
  /// (the default) prints.
  @TaskLocal public static var handler: (@Sendable (SchedulerWarning) -> Void)? = nil

  /// Runs `body` and returns the warnings it caused, instead of printing them (``handler``
  /// for the duration of `body`).
  ///
  /// ```swift
  /// let warnings = try SchedulerDiagnostics.warnings { try scheduler.step() }
  /// ```
  public static func warnings(during body: () throws -> Void) rethrows -> [SchedulerWarning] {
    let collected = CollectedWarnings()
    try $handler.withValue({ collected.append($0) }) { try body() }
    return collected.all
  }

  static func report(_ warning: SchedulerWarning) {
    if let handler {
      handler(warning)
    } else if printed.insert(warning.message) {
      FileHandle.standardError.write(Data("UserWarning: \(warning.message)\n".utf8))
    }
  }

  private static let printed = PrintedWarnings()
}

/// The warnings already printed to standard error.
private final class PrintedWarnings: @unchecked Sendable {
  private let lock = NSLock()
  private var messages: Set<String> = []

  /// Whether `message` is new; records it.
  func insert(_ message: String) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return messages.insert(message).inserted
  }
}

/// The warnings of ``SchedulerDiagnostics/warnings(during:)``.
private final class CollectedWarnings: @unchecked Sendable {
  private let lock = NSLock()
  private var warnings: [SchedulerWarning] = []

  func append(_ warning: SchedulerWarning) {
    lock.lock()
    warnings.append(warning)
    lock.unlock()
  }

  var all: [SchedulerWarning] {
    lock.lock()
    defer { lock.unlock() }
    return warnings
  }
}

/// Whether an optimizer has stepped since the first scheduler on it was made: PyTorch's
/// `optimizer._opt_called`, which its schedulers set by wrapping `optimizer.step`. Here a
/// step pre-hook sets it (before the step runs, as PyTorch's wrapper does), once per
/// optimizer, shared by all its schedulers.
final class OptimizerStepTracker: @unchecked Sendable {
  private let lock = NSLock()
  private var stepped = false

  var optimizerStepped: Bool {
    lock.lock()
    defer { lock.unlock() }
    return stepped
  }

  private func markStepped() {
    lock.lock()
    stepped = true
    lock.unlock()
  }

  /// The tracker of `optimizer`, registering its hook on first use.
  static func tracker(for optimizer: Optimizer) -> OptimizerStepTracker {
    registry.tracker(for: optimizer)
  }

  private static let registry = Registry()

  private final class Registry: @unchecked Sendable {
    private struct Entry {
      weak var optimizer: Optimizer?
      let tracker: OptimizerStepTracker
    }
    private let lock = NSLock()
    private var entries: [ObjectIdentifier: Entry] = [:]

    func tracker(for optimizer: Optimizer) -> OptimizerStepTracker {
      lock.lock()
      defer { lock.unlock() }
      let id = ObjectIdentifier(optimizer)
      if let entry = entries[id], entry.optimizer === optimizer { return entry.tracker }
      entries = entries.filter { $0.value.optimizer != nil }
      let tracker = OptimizerStepTracker()
      optimizer.registerStepPreHook { [tracker] _ in tracker.markStepped() }
      entries[id] = Entry(optimizer: optimizer, tracker: tracker)
      return tracker
    }
  }
}
