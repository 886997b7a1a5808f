/// An error from a distributed operation: a failed MPI call (with MPI's own error string),
/// or an argument that does not fit the process group.
public struct DistributedError: Error, CustomStringConvertible, Equatable {
  /// The message, naming the operation and the value at fault.
  public let message: String
  /// MPI's error code when the error came from MPI, else `nil`.
  public let mpiCode: Int32?

  /// An error with `message`; `mpiCode` when MPI returned it.
  public init(_ message: String, mpiCode: Int32? = nil) {
    self.message = message
    self.mpiCode = mpiCode
  }

  public var description: String { message }
}
