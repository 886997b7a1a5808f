import CMPI
import Descent

extension ProcessGroup {
  /// Reduces `tensor` over all ranks in place: afterwards every rank holds the elementwise
  /// sum, mean or maximum (`all_reduce`).
  ///
  /// - Parameters:
  ///   - tensor: a contiguous `float32` or `float64` tensor with the same shape on every rank.
  ///   - op: ``ReduceOp/sum`` (default), ``ReduceOp/avg`` (the sum divided by
  ///     ``worldSize``), or ``ReduceOp/max``.
  /// - Throws: ``DistributedError`` for a tensor that is not contiguous or not floating
  ///   point, or with MPI's error string when the call fails.
  public func allReduce(_ tensor: Tensor, op: ReduceOp = .sum) throws {
    let type = try mpiType(of: tensor, "allReduce")
    try mpiCheck(
      "allReduce (MPI_Allreduce)",
      MPI_Allreduce(
        descent_mpi_in_place(), address(of: tensor), Int32(tensor.count), type, mpiOp(op), comm))
    if op == .avg { divide(tensor, by: worldSize) }
  }

  /// Copies `tensor` from rank `root` to every other rank, in place (`broadcast`).
  ///
  /// - Parameters:
  ///   - tensor: a contiguous `float32` or `float64` tensor with the same shape on every rank.
  ///   - root: the rank whose values are sent (`src`, default 0).
  /// - Throws: ``DistributedError`` for a bad tensor, or with MPI's error string (an
  ///   invalid `root` gives `MPI_ERR_ROOT: invalid root`).
  public func broadcast(_ tensor: Tensor, from root: Int = 0) throws {
    let type = try mpiType(of: tensor, "broadcast")
    try mpiCheck(
      "broadcast from rank \(root) (MPI_Bcast)",
      MPI_Bcast(address(of: tensor), Int32(tensor.count), type, Int32(root), comm))
  }

  /// Gathers every rank's `input` into `output` on every rank, in rank order
  /// (`all_gather_into_tensor`, and with `counts`, uneven sizes as `MPI_Allgatherv`).
  ///
  /// - Parameters:
  ///   - input: this rank's contiguous `float32` or `float64` elements.
  ///   - output: a contiguous tensor of the same dtype with `counts.reduce(0, +)` elements;
  ///     rank `r`'s input lands at element offset `counts[0..<r].sum()`.
  ///   - counts: the number of elements each rank contributes; `nil` (default) means
  ///     `input.count` on every rank.
  /// - Throws: ``DistributedError`` when `counts` has not one entry per rank, `input` has not
  ///   `counts[rank]` elements, `output` has the wrong size or dtype, or MPI fails.
  public func allGather(_ input: Tensor, into output: Tensor, counts: [Int]? = nil) throws {
    let type = try mpiType(of: input, "allGather")
    _ = try mpiType(of: output, "allGather")
    let counts = counts ?? Array(repeating: input.count, count: worldSize)
    try checkCounts(counts, "allGather")
    guard input.count == counts[rank] else {
      throw DistributedError(
        "allGather: rank \(rank) gives \(input.count) elements, but counts[\(rank)] is \(counts[rank])")
    }
    try checkOutput(output, like: input, count: counts.reduce(0, +), "allGather")
    let (counts32, displacements) = try layout(counts, "allGather")
    try mpiCheck(
      "allGather (MPI_Allgatherv)",
      MPI_Allgatherv(
        address(of: input), Int32(input.count), type, address(of: output), counts32,
        displacements, type, comm))
  }

  /// Every rank's `input`, in rank order, on every rank (`all_gather`); the tensors may
  /// differ in shape and size from rank to rank (their shapes are exchanged first).
  ///
  /// - Parameter input: this rank's contiguous `float32` or `float64` tensor; every rank
  ///   must give the same dtype.
  /// - Returns: `worldSize` new tensors; element `r` is rank `r`'s input.
  public func allGather(_ input: Tensor) throws -> [Tensor] {
    _ = try mpiType(of: input, "allGather")
    let ranks = try allGatherInts([input.shape.count])
    let shapesFlat = try allGatherInts(input.shape, counts: ranks)
    var shapes: [[Int]] = []
    var position = 0
    for r in 0..<worldSize {
      shapes.append(Array(shapesFlat[position..<position + ranks[r]]))
      position += ranks[r]
    }
    let counts = shapes.map { $0.reduce(1, *) }
    let flat = Tensor.zeros([counts.reduce(0, +)], dtype: input.dtype)
    try allGather(input.contiguous(), into: flat, counts: counts)
    var result: [Tensor] = []
    var start = 0
    for r in 0..<worldSize {
      result.append(flat.narrow(dim: 0, start: start, length: counts[r]).reshape(shapes[r]).clone())
      start += counts[r]
    }
    return result
  }

  /// Reduces `input` over all ranks and scatters the result: rank `r` gets elements
  /// `counts[0..<r].sum() ..< counts[0...r].sum()` of the reduction in `output`
  /// (`reduce_scatter_tensor`; with uneven `counts`, `MPI_Reduce_scatter`).
  ///
  /// - Parameters:
  ///   - input: a contiguous `float32` or `float64` tensor with `counts.reduce(0, +)`
  ///     elements, the same size on every rank.
  ///   - output: a contiguous tensor of the same dtype with `counts[rank]` elements.
  ///   - op: ``ReduceOp/sum`` (default), ``ReduceOp/avg`` or ``ReduceOp/max``.
  ///   - counts: each rank's share; `nil` (default) splits `input` evenly, which needs its
  ///     size to be a multiple of ``worldSize``.
  /// - Throws: ``DistributedError`` for sizes that do not fit, or with MPI's error string.
  public func reduceScatter(
    _ input: Tensor, into output: Tensor, op: ReduceOp = .sum, counts: [Int]? = nil
  ) throws {
    let type = try mpiType(of: input, "reduceScatter")
    _ = try mpiType(of: output, "reduceScatter")
    let counts = try counts ?? evenCounts(input.count, "reduceScatter")
    try checkCounts(counts, "reduceScatter")
    guard input.count == counts.reduce(0, +) else {
      throw DistributedError(
        "reduceScatter: input has \(input.count) elements, but counts add up to \(counts.reduce(0, +))")
    }
    try checkOutput(output, like: input, count: counts[rank], "reduceScatter")
    let (counts32, _) = try layout(counts, "reduceScatter")
    try mpiCheck(
      "reduceScatter (MPI_Reduce_scatter)",
      MPI_Reduce_scatter(
        address(of: input), address(of: output), counts32, type, mpiOp(op), comm))
    if op == .avg { divide(output, by: worldSize) }
  }

  // MARK: Helpers shared by the collectives

  func mpiType(of tensor: Tensor, _ operation: String) throws -> MPI_Datatype {
    guard tensor.isContiguous else {
      throw DistributedError(
        "\(operation): tensor of shape \(tensor.shape) with strides \(tensor.strides) is not contiguous")
    }
    switch tensor.dtype {
    case .float32: return descent_mpi_float()
    case .float64: return descent_mpi_double()
    default:
      throw DistributedError(
        "\(operation): tensors must be torch.float32 or torch.float64, got \(tensor.dtype)")
    }
  }

  func mpiOp(_ op: ReduceOp) -> MPI_Op {
    op == .max ? descent_mpi_max() : descent_mpi_sum()
  }

  /// The first element's address; the caller keeps `tensor` alive.
  func address(of tensor: Tensor) -> UnsafeMutableRawPointer {
    tensor.storage.base + tensor.offset * tensor.dtype.byteSize
  }

  private func checkCounts(_ counts: [Int], _ operation: String) throws {
    guard counts.count == worldSize else {
      throw DistributedError(
        "\(operation): counts has \(counts.count) entries, but the group has \(worldSize) ranks")
    }
    if let bad = counts.first(where: { $0 < 0 }) {
      throw DistributedError("\(operation): counts must not be negative, got \(bad)")
    }
  }

  private func checkOutput(_ output: Tensor, like input: Tensor, count: Int, _ operation: String)
    throws
  {
    guard output.dtype == input.dtype else {
      throw DistributedError(
        "\(operation): output has dtype \(output.dtype), but input has \(input.dtype)")
    }
    guard output.count == count else {
      throw DistributedError(
        "\(operation): output has \(output.count) elements, expected \(count)")
    }
  }

  private func evenCounts(_ total: Int, _ operation: String) throws -> [Int] {
    guard total % worldSize == 0 else {
      throw DistributedError(
        "\(operation): input of \(total) elements does not split evenly over \(worldSize) ranks; pass counts")
    }
    return Array(repeating: total / worldSize, count: worldSize)
  }

  /// MPI's 32-bit counts and displacements; throws when a size does not fit in them.
  func layout(_ counts: [Int], _ operation: String) throws -> ([Int32], [Int32]) {
    var displacements: [Int32] = []
    var start = 0
    for count in counts {
      guard start <= Int(Int32.max), count <= Int(Int32.max) else {
        throw DistributedError(
          "\(operation): \(start + count) elements exceed MPI's 32-bit counts; split the tensor")
      }
      displacements.append(Int32(start))
      start += count
    }
    return (counts.map { Int32($0) }, displacements)
  }

  private func divide(_ tensor: Tensor, by n: Int) {
    if tensor.dtype == .float32 {
      let p = address(of: tensor).assumingMemoryBound(to: Float.self)
      let d = Float(n)
      for i in 0..<tensor.count { p[i] /= d }
    } else {
      let p = address(of: tensor).assumingMemoryBound(to: Double.self)
      let d = Double(n)
      for i in 0..<tensor.count { p[i] /= d }
    }
  }

  /// Every rank's integers, in rank order (`counts`: how many each rank gives; `nil`: as
  /// many as this rank).
  func allGatherInts(_ values: [Int], counts: [Int]? = nil) throws -> [Int] {
    let counts = counts ?? Array(repeating: values.count, count: worldSize)
    var output = [Int64](repeating: 0, count: counts.reduce(0, +))
    let input = values.map { Int64($0) }
    let (counts32, displacements) = try layout(counts, "allGather")
    try input.withUnsafeBufferPointer { inBuffer in
      try output.withUnsafeMutableBufferPointer { outBuffer in
        try mpiCheck(
          "allGather (MPI_Allgatherv)",
          MPI_Allgatherv(
            inBuffer.baseAddress, Int32(input.count), descent_mpi_int64(), outBuffer.baseAddress,
            counts32, displacements, descent_mpi_int64(), comm))
      }
    }
    return output.map { Int($0) }
  }

  /// Every rank's bytes on rank `root`, in rank order (`MPI_Gatherv`); other ranks get `nil`.
  func gatherBytes(_ bytes: [UInt8], to root: Int) throws -> [[UInt8]]? {
    var count = Int64(bytes.count)
    var counts = [Int64](repeating: 0, count: worldSize)
    try mpiCheck(
      "gather to rank \(root) (MPI_Gather)",
      MPI_Gather(&count, 1, descent_mpi_int64(), &counts, 1, descent_mpi_int64(), Int32(root), comm))
    let sizes = counts.map { Int($0) }
    let (counts32, displacements) = try layout(sizes, "gather")
    var output = [UInt8](repeating: 0, count: rank == root ? sizes.reduce(0, +) : 0)
    try bytes.withUnsafeBufferPointer { inBuffer in
      try output.withUnsafeMutableBufferPointer { outBuffer in
        try mpiCheck(
          "gather to rank \(root) (MPI_Gatherv)",
          MPI_Gatherv(
            inBuffer.baseAddress, Int32(bytes.count), descent_mpi_byte(), outBuffer.baseAddress,
            counts32, displacements, descent_mpi_byte(), Int32(root), comm))
      }
    }
    guard rank == root else { return nil }
    var result: [[UInt8]] = []
    var start = 0
    for size in sizes {
      result.append(Array(output[start..<start + size]))
      start += size
    }
    return result
  }
}
