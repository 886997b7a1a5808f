import CMPI

/// MPI's own text for an error code (`MPI_Error_string`), e.g.
/// `"MPI_ERR_ROOT: invalid root"`.
func mpiErrorString(_ code: Int32) -> String {
  var buffer = [CChar](repeating: 0, count: Int(descent_mpi_max_error_string()) + 1)
  var length: Int32 = 0
  guard MPI_Error_string(code, &buffer, &length) == descent_mpi_success() else {
    return "MPI error \(code)"
  }
  return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Runs an MPI call and turns a failure into a ``DistributedError`` naming `operation` and
/// carrying MPI's error string. Only calls on a communicator whose error handler is
/// `MPI_ERRORS_RETURN` come back at all; the others abort inside MPI.
@inline(__always)
func mpiCheck(_ operation: @autoclosure () -> String, _ code: Int32) throws {
  if code != descent_mpi_success() {
    throw DistributedError("\(operation()) failed: \(mpiErrorString(code))", mpiCode: code)
  }
}
