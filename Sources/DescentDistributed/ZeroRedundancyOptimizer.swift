import Descent
import DescentOptim

/// Shards any optimizer's state across the ranks of a ``ProcessGroup``: ZeRO stage 1
/// (`torch.distributed.optim.ZeroRedundancyOptimizer`).
///
/// Each parameter is owned by one rank (see the partition below). ``step()`` lets the
/// wrapped optimizer update only the parameters this rank owns, with its usual kernels (the
/// fused ones by default), so only they get state; the updated parameters are then
/// all-gathered, so that every rank ends the step with all of them. Optimizer memory per
/// rank is about `1 / worldSize` of the unsharded optimizer's; parameters and gradients are
/// still whole on every rank.
///
/// ```swift
/// let group = try ProcessGroup.world()
/// let model = try DistributedDataParallel(MLP().double(), group: group)
/// let optimizer = try ZeroRedundancyOptimizer(
///   model.parameters(), kind: .adam, options: ["lr": 1e-3], group: group)
/// ...
/// loss.backward()            // DistributedDataParallel averages the gradients
/// try optimizer.step()       // this rank's shard, then the all-gather
///
/// try optimizer.consolidateStateDict(to: 0)                  // on every rank
/// if group.rank == 0 { let dict = try optimizer.stateDict() }  // PyTorch's layout
/// ```
///
/// Partition: group by group, parameters are taken largest first and each goes to the rank
/// that owns the fewest elements so far, as PyTorch's `_partition_parameters` does. Whole
/// tensors are assigned, so a model made of one huge tensor is not sharded; per-tensor
/// state of any optimizer stays valid.
///
/// The wrapped ``optimizer`` holds every parameter in its groups (hyperparameters,
/// schedulers and hooks work on it as usual: a learning-rate scheduler takes
/// `zero.optimizer`), but state only for this rank's shard.
public final class ZeroRedundancyOptimizer {
  /// The optimizer over all parameters, which keeps state for this rank's shard only.
  public let optimizer: Optimizer
  /// The ranks that share the state.
  public let group: ProcessGroup
  /// The bucket size of the parameter all-gather, in bytes.
  public let bucketCapBytes: Int
  private var partition: ZeroPartition
  private var params: [Tensor]
  private var consolidated: OptimizerStateDict?

  /// Shards `optimizer`, which must be the same optimizer over the same parameters on
  /// every rank. State that it already holds for parameters of other ranks is dropped.
  ///
  /// - Parameters:
  ///   - optimizer: any Descent optimizer.
  ///   - group: the process group.
  ///   - bucketCapMB: how much each rank contributes to one all-gather round, in MiB
  ///     (default 25); larger tensors are broadcast by their owner alone.
  /// - Throws: ``DistributedError`` for a non-positive bucket size.
  public init(_ optimizer: Optimizer, group: ProcessGroup, bucketCapMB: Double = 25) throws {
    guard bucketCapMB > 0 else {
      throw DistributedError("bucketCapMB must be positive, got \(bucketCapMB)")
    }
    self.optimizer = optimizer
    self.group = group
    self.bucketCapBytes = Int(bucketCapMB * 1_048_576)
    self.params = optimizer.paramGroups.flatMap(\.params)
    self.partition = ZeroPartition(optimizer.paramGroups, worldSize: group.worldSize)
    for (param, owner) in zip(params, partition.owners) where owner != group.rank {
      if !optimizer.state(for: param).isEmpty { try optimizer.setState([:], for: param) }
    }
  }

  /// Builds the optimizer `kind` over `params` with `options` (PyTorch's names, as
  /// `OptimizerKind.make(_:_:implementation:)` takes them) and shards it.
  ///
  /// - Parameters:
  ///   - params: the parameters, the same on every rank.
  ///   - kind: the optimizer, from the registry.
  ///   - options: hyperparameters under PyTorch's names (default: the optimizer's defaults).
  ///   - implementation: the kernels of the local steps (default: the library default).
  ///   - group: the process group.
  ///   - bucketCapMB: see ``init(_:group:bucketCapMB:)``.
  public convenience init(
    _ params: [Tensor], kind: OptimizerKind, options: [String: HyperValue] = [:],
    implementation: OptimizerImplementation = .default, group: ProcessGroup,
    bucketCapMB: Double = 25
  ) throws {
    try self.init(
      kind.make(params, options, implementation: implementation), group: group,
      bucketCapMB: bucketCapMB)
  }

  /// The wrapped optimizer's parameter groups (all parameters, every rank's).
  public var paramGroups: [ParamGroup] {
    get { optimizer.paramGroups }
    set { optimizer.paramGroups = newValue }
  }

  /// The rank that owns `param` (updates it and keeps its state), or `nil` when `param` is
  /// not one of the optimizer's parameters.
  public func owner(of param: Tensor) -> Int? {
    params.firstIndex { $0 === param }.map { partition.owners[$0] }
  }

  /// The parameters this rank owns, in parameter order.
  public var localParams: [Tensor] {
    zip(params, partition.owners).filter { $0.1 == group.rank }.map(\.0)
  }

  /// Elements owned by each rank.
  public var elementsPerRank: [Int] { partition.elementsPerRank }

  /// Bytes of optimizer state this rank holds (every state tensor of its parameters).
  public var localStateByteCount: Int {
    params.reduce(0) { total, param in
      total + optimizer.state(for: param).values.reduce(0) { $0 + $1.count * $1.dtype.byteSize }
    }
  }

  /// Resets the gradients of all parameters (`zero_grad`); see `Optimizer.zeroGrad(setToNone:)`.
  public func zeroGrad(setToNone: Bool = true) {
    optimizer.zeroGrad(setToNone: setToNone)
  }

  /// One optimization step: the wrapped optimizer updates this rank's parameters from their
  /// gradients (the others' gradients are hidden from it during the step and restored
  /// afterwards), then every parameter is all-gathered from its owner. Collective: every
  /// rank must call it.
  ///
  /// - Throws: what the optimizer's step throws (before anything changes), or a
  ///   ``DistributedError`` from the all-gather.
  public func step() throws {
    var hidden: [(Tensor, Tensor)] = []
    for (param, owner) in zip(params, partition.owners) where owner != group.rank {
      if let grad = param.grad {
        hidden.append((param, grad))
        param.grad = nil
      }
    }
    defer { for (param, grad) in hidden { param.grad = grad } }
    try optimizer.step()
    try ParameterExchange(params: params, owners: partition.owners, capBytes: bucketCapBytes)
      .run(over: group)
  }

  /// The live state of `param` on this rank (`optimizer.state[param]`): empty for a
  /// parameter another rank owns.
  public func state(for param: Tensor) -> [String: Tensor] {
    optimizer.state(for: param)
  }

  /// Replaces the state of `param`, which this rank must own; see
  /// `Optimizer.setState(_:for:)`.
  ///
  /// - Throws: ``DistributedError`` when another rank owns `param`, and what
  ///   `Optimizer.setState(_:for:)` throws.
  public func setState(_ state: [String: Tensor], for param: Tensor) throws {
    if let owner = owner(of: param), owner != group.rank {
      throw DistributedError(
        "setState: the parameter is owned by rank \(owner), not by rank \(group.rank)")
    }
    try optimizer.setState(state, for: param)
  }

  /// Gathers every rank's shard of the state on rank `to` (`consolidate_state_dict`), where
  /// ``stateDict()`` then returns the whole state in PyTorch's layout. Collective: every rank
  /// must call it.
  ///
  /// - Parameter root: the rank that receives the state (`to`, default 0).
  /// - Throws: ``DistributedError`` for a rank outside the group, or when MPI fails.
  public func consolidateStateDict(to root: Int = 0) throws {
    guard (0..<group.worldSize).contains(root) else {
      throw DistributedError(
        "consolidateStateDict: rank \(root) is not in the group of \(group.worldSize) ranks")
    }
    let local = optimizer.stateDict()
    let shards = try group.gatherBytes(StateSerialization.encode(local.state), to: root)
    consolidated = nil
    guard let shards else { return }
    var state: [Int: [String: Tensor]] = [:]
    for (r, bytes) in shards.enumerated() {
      for (index, entries) in try StateSerialization.decode(bytes) {
        guard partition.owners.indices.contains(index), partition.owners[index] == r else {
          throw DistributedError(
            "consolidateStateDict: rank \(r) sent state for parameter \(index), which it does not own")
        }
        state[index] = entries
      }
    }
    consolidated = OptimizerStateDict(state: state, paramGroups: local.paramGroups)
  }

  /// The whole state in PyTorch's layout, on the rank that last received it from
  /// ``consolidateStateDict(to:)`` (`state_dict()`); the parameter groups are the current
  /// ones.
  ///
  /// - Throws: PyTorch's error on a rank that holds no consolidated state.
  public func stateDict() throws -> OptimizerStateDict {
    guard var dict = consolidated else {
      throw DistributedError(
        "Optimizer state has not been consolidated on this rank. Please call `consolidate_state_dict(to)` on all ranks beforehand if you meant to save the global state."
      )
    }
    dict.paramGroups = optimizer.stateDict().paramGroups
    return dict
  }

  /// Loads a whole state in PyTorch's layout (`load_state_dict`), as saved from any world
  /// size: every rank passes the same dict and keeps the state of the parameters it owns in
  /// the current partition; hyperparameters are loaded on every rank.
  ///
  /// - Throws: what `Optimizer.loadStateDict(_:)` throws; nothing changes then.
  public func loadStateDict(_ stateDict: OptimizerStateDict) throws {
    var shard = stateDict
    shard.state = stateDict.state.filter { index, _ in
      partition.owners.indices.contains(index) ? partition.owners[index] == group.rank : true
    }
    try optimizer.loadStateDict(shard)
  }
}
