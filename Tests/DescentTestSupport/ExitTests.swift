import Testing

/// Expects the child process of an exit test to have printed each of `parts` on standard
/// error: the message of the `require` (or PyTorch-worded precondition) that stopped it.
///
/// ```swift
/// let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
///   _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
/// }
/// expectStopMessage(result, mentions: ["add", "[2, 3]", "[4]"])
/// ```
///
/// A `nil` result (the exit test itself failed, and recorded that) adds nothing.
public func expectStopMessage(
  _ result: ExitTest.Result?, mentions parts: [String],
  sourceLocation: SourceLocation = #_sourceLocation
) {
  guard let result else { return }
  let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
  for part in parts {
    #expect(stderr.contains(part), "stderr lacks \"\(part)\": \(stderr)", sourceLocation: sourceLocation)
  }
}

/// ``expectStopMessage(_:mentions:sourceLocation:)`` for one message.
public func expectStopMessage(
  _ result: ExitTest.Result?, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  expectStopMessage(result, mentions: [message], sourceLocation: sourceLocation)
}
