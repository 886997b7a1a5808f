/// Stops the process with `message` unless `condition` holds: Descent's check for
/// programming errors in tensor math (shape mismatches, dims out of range).
///
/// Unlike `precondition`, whose message is dropped from optimized (`-O`) builds, the
/// message is printed in every build configuration, so a release binary still says which
/// op failed on which shapes, as PyTorch's errors do.
@inline(__always)
func require(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
  file: StaticString = #fileID, line: UInt = #line
) {
  if _slowPath(!condition()) { fatalError(message(), file: file, line: line) }
}

/// Stops the process with `message` in every build configuration.
func requirementFailure(
  _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) -> Never {
  fatalError(message(), file: file, line: line)
}
