/// An error from a dataset, sampler, collate function or ``DataLoader``.
///
/// Each case corresponds to the Python exception PyTorch raises in the same situation, and
/// ``message`` is PyTorch's message wherever PyTorch has one, so that a search for the text
/// finds PyTorch's documentation and discussions.
public enum DataError: Error, Equatable, CustomStringConvertible, Sendable {
  /// A bad option or argument (PyTorch's `ValueError`).
  case invalidArgument(String)
  /// A failure while sampling or collating (PyTorch's `RuntimeError`).
  case runtime(String)
  /// An index outside a dataset (PyTorch's `IndexError`).
  case indexOutOfRange(String)
  /// A key that one sample of a batch lacks (PyTorch's `KeyError`).
  case missingKey(String)
  /// No batch arrived from the workers within the loader's `timeout` (PyTorch's
  /// `RuntimeError: DataLoader timed out after N seconds`).
  case timeout(String)
  /// A bundled or user file that is missing or malformed.
  case file(String)

  /// The message, without the case name.
  public var message: String {
    switch self {
    case .invalidArgument(let m), .runtime(let m), .indexOutOfRange(let m), .missingKey(let m),
      .timeout(let m), .file(let m):
      return m
    }
  }

  public var description: String { message }
}
