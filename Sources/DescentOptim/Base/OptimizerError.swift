/// An error from an optimizer: an invalid hyperparameter, parameter group, gradient or
/// state dict.
///
/// Where PyTorch raises an error for the same input, ``message`` is PyTorch's message,
/// word for word (`"Invalid learning rate: -0.1"`,
/// `"some parameters appear in more than one parameter group"`).
public struct OptimizerError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The message, naming the offending value.
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}
