import CMPI
import Descent

/// Copies every parameter from the rank that owns it to all the others after a ZeRO step:
/// the all-gather half of ZeRO-1.
///
/// Parameters larger than the bucket size are broadcast from their owner straight into
/// their storage. The others travel in rounds, one per dtype at a time: in each round every
/// rank puts its next owned parameters (up to the bucket size) into its segment of one
/// flat buffer, and one `MPI_Allgatherv` fills the other segments, which are copied out
/// into the parameters. Every rank derives the same rounds from the same partition, so no
/// sizes are exchanged.
struct ParameterExchange {
  let params: [Tensor]
  let owners: [Int]
  let capBytes: Int

  func run(over group: ProcessGroup) throws {
    if group.worldSize == 1 { return }
    // Large tensors, in parameter order.
    for (param, owner) in zip(params, owners) where param.count * param.dtype.byteSize > capBytes {
      try group.broadcast(param, from: owner)
    }
    for dtype in [DType.float32, .float64] {
      var queues = [[Tensor]](repeating: [], count: group.worldSize)
      for (param, owner) in zip(params, owners)
      where param.dtype == dtype && param.count * dtype.byteSize <= capBytes {
        queues[owner].append(param)
      }
      var positions = [Int](repeating: 0, count: group.worldSize)
      while zip(positions, queues).contains(where: { $0 < $1.count }) {
        var round: [[Tensor]] = []
        for r in 0..<group.worldSize {
          var taken: [Tensor] = []
          var bytes = 0
          while positions[r] < queues[r].count {
            let next = queues[r][positions[r]]
            let size = next.count * dtype.byteSize
            if !taken.isEmpty && bytes + size > capBytes { break }
            taken.append(next)
            bytes += size
            positions[r] += 1
          }
          round.append(taken)
        }
        try exchange(round, dtype: dtype, over: group)
      }
    }
  }

  private func exchange(_ round: [[Tensor]], dtype: DType, over group: ProcessGroup) throws {
    let counts = round.map { $0.reduce(0) { $0 + $1.count } }
    let buffer = Tensor.zeros([counts.reduce(0, +)], dtype: dtype)
    let (counts32, displacements) = try group.layout(counts, "ZeRO parameter all-gather")
    let base = group.address(of: buffer)
    let size = dtype.byteSize
    var start = Int(displacements[group.rank])
    for param in round[group.rank] {
      (base + start * size).copyMemory(from: group.address(of: param), byteCount: param.count * size)
      start += param.count
    }
    let type = dtype == .float32 ? descent_mpi_float() : descent_mpi_double()
    try mpiCheck(
      "ZeRO parameter all-gather (MPI_Allgatherv)",
      MPI_Allgatherv(
        descent_mpi_in_place(), 0, type, base, counts32, displacements, type, group.comm))
    for r in 0..<group.worldSize where r != group.rank {
      var start = Int(displacements[r])
      for param in round[r] {
        group.address(of: param).copyMemory(from: base + start * size, byteCount: param.count * size)
        start += param.count
      }
    }
    withExtendedLifetime(buffer) {}
  }
}
