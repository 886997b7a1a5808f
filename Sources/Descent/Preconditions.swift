/// Stops the process with `message` unless `condition` holds: the check Descent, DescentNN
/// and DescentData use for programming errors in tensor math (shape mismatches, dims out of
/// range, misused autograd). Public so that every Descent module shares one helper.
///
/// Unlike `precondition`, whose message is dropped from optimized (`-O`) builds, the
/// message is printed in every build configuration, so a release binary still says which
/// op failed on which shapes, as PyTorch's errors do. Bad input from a user or a file is
/// not a programming error: throw a Swift `Error` for that instead.
///
/// The message ends with the user's line, `(called from Sources/App/main.swift:12)`: the
/// innermost frame outside Descent's modules, found on the stack when the check fails,
/// because a check deep inside an op (or an operator such as `+`, which cannot take
/// `#line`) would otherwise point into Descent. `file`/`line` stay the location printed
/// before `Fatal error`.
///
/// ```swift
/// require(weight.rank == 2, "embedding(): 'weight' must be 2-D, got shape \(weight.shape)")
/// ```
///
/// - Parameters:
///   - condition: what must hold; evaluated once.
///   - message: what went wrong, evaluated only on failure. Descent keeps PyTorch's
///     wording, adding the shapes where PyTorch's message lacks them.
///   - file: the file reported with the message; the caller's by default.
///   - line: the line reported with the message; the caller's by default.
@inlinable @inline(__always)
public func require(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
  file: StaticString = #fileID, line: UInt = #line
) {
  if _slowPath(!condition()) { requirementFailure(message(), file: file, line: line) }
}

/// Stops the process with `message` in every build configuration: ``require(_:_:file:line:)``
/// for code paths that are errors wherever they are reached. The message ends with the
/// user's line, as ``require(_:_:file:line:)``'s does.
@inline(never)
public func requirementFailure(
  _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) -> Never {
  let text = message()
  guard let caller = CallerLocation.describe() else { fatalError(text, file: file, line: line) }
  fatalError("\(text) (called from \(caller))", file: file, line: line)
}
