/// An error from a learning-rate scheduler: an invalid argument, a step that PyTorch
/// refuses, or a state dict that does not fit.
///
/// Where PyTorch raises for the same input, ``message`` is PyTorch's message, word for
/// word (`"Expected positive integer T_0, but got 0"`). Where PyTorch fails inside Python
/// arithmetic (`ZeroDivisionError`), the message starts with Python's text
/// (`"float division by zero"`) and says which argument caused it.
public struct SchedulerError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The message, naming the offending value.
  public let message: String

  /// An error with `message`.
  public init(_ message: String) { self.message = message }

  /// The message.
  public var description: String { message }
}
