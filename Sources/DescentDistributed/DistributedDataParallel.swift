import Descent
import DescentNN
import Foundation

/// Data-parallel training of a module over a ``ProcessGroup``
/// (`torch.nn.parallel.DistributedDataParallel`).
///
/// Every rank holds a full replica of the model and runs the same loop on its own part of
/// each batch (a `DistributedSampler` hands it out). The wrapper keeps the replicas equal:
///
/// - at construction it broadcasts rank 0's parameters and buffers to every rank;
/// - during `backward()` it averages the gradients over the ranks: parameters are grouped
///   into buckets of about ``bucketCapBytes`` bytes (25 MiB by default, 1 MiB for the first
///   bucket of each dtype, as in PyTorch) in reverse registration order; as soon as every
///   gradient of a bucket has been accumulated it is flattened into one contiguous buffer,
///   scaled by `1 / worldSize` and summed over the ranks with one ``ProcessGroup/allReduce(_:op:)``,
///   and copied back into the `.grad`s, so that each `.grad` holds the mean over ranks;
/// - with `broadcastBuffers` (default) each forward pass first copies rank 0's buffers
///   (batch-norm statistics) to the other ranks.
///
/// ```swift
/// let group = try ProcessGroup.world()
/// let model = try DistributedDataParallel(MLP(), group: group)
/// let optimizer = try Adam(model.parameters(), lr: 1e-3)
/// for (x, y) in loader {                  // a DataLoader over a DistributedSampler
///   optimizer.zeroGrad()
///   criterion(model(x), y).backward()     // gradients are averaged over the ranks here
///   try optimizer.step()
/// }
/// ```
///
/// The model's parameters are registered under `module.` as in PyTorch, so a state dict
/// saved from the wrapper has PyTorch's DDP keys; save `model.module.stateDict()` for the
/// plain ones.
///
/// Every parameter that requires grad must take part in every loss that is backpropagated
/// with synchronisation on (PyTorch's default `find_unused_parameters=False`); the next
/// forward pass stops naming the parameters whose gradients never arrived. Gradients are
/// reduced on the thread that runs `backward()`; a failing MPI call there ends the job
/// (``ProcessGroup/abort(code:)``), since the other ranks would otherwise wait for it.
public final class DistributedDataParallel: Module {
  /// The wrapped model (`ddp.module`).
  public let module: Module
  /// The ranks that train together.
  public let group: ProcessGroup
  /// The size at which a bucket is closed (`bucket_cap_mb` × 2²⁰).
  public let bucketCapBytes: Int
  /// Whether each forward pass first broadcasts rank 0's buffers (`broadcast_buffers`).
  public var broadcastBuffers: Bool
  private let buckets: [GradientBucket]
  private var location: [ObjectIdentifier: Int] = [:]
  private var readyParams = Set<ObjectIdentifier>()
  private var nextBucket = 0
  private var isSyncEnabled = true
  private var hooks: [GradHookHandle] = []

  /// Wraps `module` for data-parallel training over `group`.
  ///
  /// - Parameters:
  ///   - module: the model; its parameters and buffers must be contiguous, `float32` or
  ///     `float64`, and have the same shapes on every rank.
  ///   - group: the process group (usually ``ProcessGroup/world()``).
  ///   - bucketCapMB: bucket size in MiB (`bucket_cap_mb`, default 25).
  ///   - broadcastBuffers: broadcast rank 0's buffers at every forward pass (default `true`).
  /// - Throws: ``DistributedError`` for a non-positive bucket size, or when a broadcast
  ///   fails.
  public init(
    _ module: Module, group: ProcessGroup, bucketCapMB: Double = 25,
    broadcastBuffers: Bool = true
  ) throws {
    guard bucketCapMB > 0 else {
      throw DistributedError("bucketCapMB must be positive, got \(bucketCapMB)")
    }
    self.module = module
    self.group = group
    self.bucketCapBytes = Int(bucketCapMB * 1_048_576)
    self.broadcastBuffers = broadcastBuffers
    let trained = module.parameters().filter(\.requiresGrad)
    self.buckets = GradientBucket.assign(
      trained, capBytes: bucketCapBytes, firstCapBytes: min(1_048_576, bucketCapBytes))
    super.init()
    registerModule("module", module)
    for (index, bucket) in buckets.enumerated() {
      for param in bucket.params { location[ObjectIdentifier(param)] = index }
    }
    for tensor in module.parameters() + module.buffers() {
      try group.broadcast(tensor, from: 0)
    }
    for param in trained {
      hooks.append(
        param.registerPostAccumulateGradHook { [unowned self] param in self.gradientReady(param) })
    }
  }

  deinit {
    for hook in hooks { hook.remove() }
  }

  /// The number of gradient buckets, and the parameter count of each, in reduction order.
  public var bucketSizes: [Int] { buckets.map(\.params.count) }

  /// Runs the wrapped module, first broadcasting rank 0's buffers when ``broadcastBuffers``.
  ///
  /// Stops when the previous backward pass left some gradients unreduced (a parameter that
  /// did not take part in the loss), naming those parameters.
  public override func forward(_ input: Tensor) -> Tensor {
    checkPreviousReduction()
    if broadcastBuffers && group.worldSize > 1 {
      for buffer in module.buffers() {
        do {
          try group.broadcast(buffer, from: 0)
        } catch {
          requirementFailure("DistributedDataParallel: \(error)")
        }
      }
    }
    return module(input)
  }

  /// Runs `body` without averaging gradients (`no_sync()`): backward passes inside it only
  /// accumulate into each rank's `.grad`; the first backward pass after it averages the
  /// accumulated sums. For gradient accumulation over several micro-batches.
  ///
  /// ```swift
  /// try model.noSync {
  ///   for micro in batches.dropLast() { criterion(model(micro.x), micro.y).backward() }
  /// }
  /// criterion(model(last.x), last.y).backward()   // averages everything accumulated
  /// ```
  public func noSync<R>(_ body: () throws -> R) rethrows -> R {
    let previous = isSyncEnabled
    isSyncEnabled = false
    defer { isSyncEnabled = previous }
    return try body()
  }

  private func gradientReady(_ param: Tensor) {
    guard isSyncEnabled, let index = location[ObjectIdentifier(param)] else { return }
    guard readyParams.insert(ObjectIdentifier(param)).inserted else { return }
    buckets[index].readyCount += 1
    // Buckets are reduced in index order on every rank, whatever order they fill in.
    while nextBucket < buckets.count && buckets[nextBucket].isReady {
      do {
        try buckets[nextBucket].reduce(over: group)
      } catch {
        FileHandle.standardError.write(
          Data("DistributedDataParallel, rank \(group.rank): \(error)\n".utf8))
        group.abort()
      }
      nextBucket += 1
    }
    if nextBucket == buckets.count {
      nextBucket = 0
      readyParams.removeAll(keepingCapacity: true)
      for bucket in buckets { bucket.readyCount = 0 }
    }
  }

  private func checkPreviousReduction() {
    guard !readyParams.isEmpty else { return }
    let names = module.namedParameters().filter {
      $0.parameter.requiresGrad && !readyParams.contains(ObjectIdentifier($0.parameter))
    }.map(\.name)
    requirementFailure(
      "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates that your module has parameters that were not used in producing loss. Parameters that received no gradient on rank \(group.rank): \(names.joined(separator: ", "))"
    )
  }
}
