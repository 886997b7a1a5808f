import CMPI
import Descent
import Foundation

/// A group of processes that run the same program and talk through MPI
/// (`torch.distributed`'s default process group, on Open MPI).
///
/// Launch the program with `mpirun -np N program` (or a cluster scheduler's launcher): each
/// process is one rank. ``world()`` initialises MPI on first use and gives the group of all
/// of them:
///
/// ```swift
/// let group = try ProcessGroup.world()
/// let t = Tensor([1, 2, 3], dtype: .float64)
/// try group.allReduce(t, op: .sum)   // every rank now holds the sum over ranks
/// print(group.rank, group.worldSize)
/// ```
///
/// The group works on its own duplicate of `MPI_COMM_WORLD`, whose error handler is
/// `MPI_ERRORS_RETURN`: a failing call throws a ``DistributedError`` carrying MPI's error
/// string instead of aborting the job. (MPI gives no such choice for failures inside
/// `MPI_Init` or for a peer that dies: the launcher then ends the whole job.)
///
/// Collectives are blocking and, as in MPI, every rank must call the same collectives in
/// the same order. Tensors must be contiguous, `float32` or `float64`; they are changed in
/// place. Calls from more than one thread must not overlap (MPI is initialised with
/// `MPI_THREAD_SERIALIZED`).
public final class ProcessGroup {
  /// This process's index in the group, `0..<worldSize` (`get_rank()`).
  public let rank: Int
  /// The number of processes in the group (`get_world_size()`).
  public let worldSize: Int
  let comm: MPI_Comm

  private static let lock = NSLock()
  nonisolated(unsafe) private static var worldGroup: ProcessGroup?

  private init(comm: MPI_Comm) throws {
    var rank: Int32 = 0
    var size: Int32 = 0
    try mpiCheck("MPI_Comm_rank", MPI_Comm_rank(comm, &rank))
    try mpiCheck("MPI_Comm_size", MPI_Comm_size(comm, &size))
    self.comm = comm
    self.rank = Int(rank)
    self.worldSize = Int(size)
  }

  /// The group of every process of the job (`init_process_group` + the default group).
  ///
  /// The first call initialises MPI (`MPI_Init_thread`, asking for `MPI_THREAD_SERIALIZED`)
  /// unless the program already did; later calls return the same group. A program started
  /// without `mpirun` is a group of one. Call ``finalize()`` on every rank before the
  /// program ends normally.
  ///
  /// - Throws: ``DistributedError`` when MPI cannot give the thread level or the
  ///   communicator.
  public static func world() throws -> ProcessGroup {
    lock.lock()
    defer { lock.unlock() }
    if let worldGroup { return worldGroup }
    var finalized: Int32 = 0
    MPI_Finalized(&finalized)
    if finalized != 0 { throw DistributedError("ProcessGroup.world(): MPI has been finalized") }
    var initialized: Int32 = 0
    MPI_Initialized(&initialized)
    if initialized == 0 {
      var provided: Int32 = 0
      let code = MPI_Init_thread(nil, nil, descent_mpi_thread_serialized(), &provided)
      try mpiCheck("MPI_Init_thread", code)
      guard provided >= descent_mpi_thread_serialized() else {
        throw DistributedError(
          "MPI_Init_thread: MPI provides thread level \(provided), Descent needs MPI_THREAD_SERIALIZED")
      }
    }
    // Errors on the world communicator come back too (calls made before the duplicate).
    try mpiCheck(
      "MPI_Comm_set_errhandler",
      MPI_Comm_set_errhandler(descent_mpi_comm_world(), descent_mpi_errors_return()))
    var duplicate: MPI_Comm? = descent_mpi_comm_null()
    try mpiCheck("MPI_Comm_dup", MPI_Comm_dup(descent_mpi_comm_world(), &duplicate))
    guard let comm = duplicate else { throw DistributedError("MPI_Comm_dup gave no communicator") }
    try mpiCheck(
      "MPI_Comm_set_errhandler", MPI_Comm_set_errhandler(comm, descent_mpi_errors_return()))
    let group = try ProcessGroup(comm: comm)
    worldGroup = group
    return group
  }

  /// Shuts MPI down (`MPI_Finalize`, `destroy_process_group`): every rank calls it once
  /// when it is done, before the program ends normally; no group can be used afterwards.
  /// It waits for the other ranks to call it too.
  ///
  /// Deliberately not run at exit: a rank that exits on an error without finalizing is
  /// treated by the launcher as failed, and the launcher ends the whole job. A rank that
  /// finalized from an exit handler would instead wait in `MPI_Finalize` for ranks that wait
  /// for it in a collective, and the job would hang.
  public static func finalize() throws {
    lock.lock()
    defer { lock.unlock() }
    var initialized: Int32 = 0
    var finalized: Int32 = 0
    MPI_Initialized(&initialized)
    MPI_Finalized(&finalized)
    guard initialized != 0 && finalized == 0 else { return }
    if let worldGroup {
      var comm: MPI_Comm? = worldGroup.comm
      MPI_Comm_free(&comm)
    }
    worldGroup = nil
    try mpiCheck("MPI_Finalize", MPI_Finalize())
  }

  /// Whether this process was started by Open MPI's launcher (`mpirun`, `mpiexec`), read
  /// from the environment it sets; MPI is not initialised by asking.
  public static var isLaunchedByMPI: Bool {
    ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil
  }

  /// Ends the whole job at once (`MPI_Abort`): every rank exits with `code`. For a rank that
  /// cannot go on, so that the others do not wait for it in their next collective.
  public func abort(code: Int32 = 1) -> Never {
    MPI_Abort(comm, code)
    exit(code)
  }

  /// Blocks until every rank has called it (`barrier()`).
  public func barrier() throws {
    try mpiCheck("barrier (MPI_Barrier)", MPI_Barrier(comm))
  }
}
