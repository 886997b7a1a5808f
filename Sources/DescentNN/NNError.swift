/// An invalid hyperparameter given to a layer, loss or init function, with PyTorch's
/// message naming the value (PyTorch raises `ValueError` for these).
public struct NNError: Error, Equatable, CustomStringConvertible {
  /// The message, e.g. `"dropout probability has to be between 0 and 1, but got 1.5"`.
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}
