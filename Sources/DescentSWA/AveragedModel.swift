import Descent
import DescentNN
import DescentOptim

/// A running average of a model's parameters (`torch.optim.swa_utils.AveragedModel`), for
/// stochastic weight averaging (SWA) and exponential moving averages (EMA).
///
/// It holds a copy of the model (``module``) whose parameters, and with `useBuffers` its
/// buffers, are the averages, and the number of models averaged so far (``nAveraged``, the
/// `n_averaged` buffer). Each ``updateParameters(_:)`` copies the model's values the first
/// time and averages them afterwards:
///
/// ```
/// SWA (default):        W ← W + (W_model − W) / (n + 1)
/// EMA (multiAvgFn: getEMAMultiAvgFn(decay:)):   W ← lerp(W, W_model, 1 − decay)
/// ```
///
/// Swift has no generic deep copy of a class, so the copy is made by `makeCopy` (a model of
/// the same architecture, such as a new instance of its class) and then given the model's
/// values, training mode included:
///
/// ```swift
/// let swaModel = try AveragedModel(model) { MLP() }
/// let swaScheduler = try SWALR(optimizer, swaLR: 0.05)
/// for epoch in 0..<epochs {
///   try train(model, optimizer, loader)
///   if epoch >= swaStart {
///     try swaModel.updateParameters(model)
///     try swaScheduler.step()
///   }
/// }
/// try updateBN(loader, swaModel)
/// ```
///
/// Without `useBuffers`, the buffers (a BatchNorm's running statistics) are copied from
/// the model at every update; recompute them for the averaged weights with
/// ``updateBN(_:_:)-(DataLoader<Element,[Tensor]>,_)``.
public final class AveragedModel<Model: Module>: Module {
  /// The averaged copy of the model (`module`).
  public let module: Model
  /// The number of models averaged so far: an int64 scalar buffer (`n_averaged`).
  public let nAveraged: Tensor
  /// Whether the buffers are averaged too (`use_buffers`).
  public let useBuffers: Bool
  private let avgFn: AverageFunction?
  private let multiAvgFn: MultiAverageFunction?

  /// Creates the averaged copy of `model`.
  ///
  /// - Parameters:
  ///   - model: the model to average.
  ///   - avgFn: averages one tensor at a time (``DescentOptim/getEMAAvgFn(decay:)``).
  ///   - multiAvgFn: averages the tensors of one dtype at once
  ///     (``DescentOptim/getEMAMultiAvgFn(decay:)``). With neither, SWA.
  ///   - useBuffers: average the buffers too, instead of copying them (default `false`).
  ///   - makeCopy: builds a model of the same architecture (same parameter and buffer
  ///     names, shapes and dtypes); it receives `model`'s values.
  /// - Throws: ``DescentOptim/OptimizerError`` when both functions are given (PyTorch's
  ///   message) or the copy's structure differs from the model's.
  public init(
    _ model: Model, avgFn: AverageFunction? = nil, multiAvgFn: MultiAverageFunction? = nil,
    useBuffers: Bool = false, makeCopy: () throws -> Model
  ) throws {
    if avgFn != nil && multiAvgFn != nil {
      throw OptimizerError("Only one of avg_fn and multi_avg_fn should be provided")
    }
    let copy = try makeCopy()
    guard copy !== model else {
      throw OptimizerError("AveragedModel's makeCopy returned the model itself, not a copy")
    }
    try Self.copyValues(from: model, to: copy)
    copy.train(model.isTraining)
    module = copy
    nAveraged = Tensor([0], shape: [])
    self.useBuffers = useBuffers
    self.avgFn = avgFn
    self.multiAvgFn = multiAvgFn
    super.init()
    registerModule("module", copy)
    registerBuffer("n_averaged", nAveraged)
  }

  /// Runs the averaged model (`forward`).
  public override func forward(_ input: Tensor) -> Tensor { module(input) }

  /// Averages `model`'s current parameters (and buffers, with ``useBuffers``) into
  /// ``module`` and counts one more model (`update_parameters`). Without ``useBuffers`` the
  /// buffers are copied.
  ///
  /// - Throws: what the averaging function throws, and ``DescentOptim/OptimizerError``
  ///   when `model` has another number of buffers.
  public func updateParameters(_ model: Module) throws {
    let averaged = useBuffers ? module.parameters() + module.buffers() : parameters()
    let current = useBuffers ? model.parameters() + model.buffers() : model.parameters()
    let n = nAveraged.item(Int.self)
    try updateAverages(
      averaged, from: current.map { $0.detach() }, numAveraged: n, avgFn: avgFn,
      multiAvgFn: multiAvgFn)
    if !useBuffers {
      // Keep the buffers in sync with the source model.
      let own = module.buffers()
      let theirs = model.buffers()
      guard own.count == theirs.count else {
        throw OptimizerError(
          "AveragedModel: the model has \(theirs.count) buffers, the averaged copy \(own.count)")
      }
      withNoGrad {
        for (buffer, source) in zip(own, theirs) { buffer.copyInPlace(from: source.detach()) }
      }
    }
    withNoGrad { _ = nAveraged.fill(Double(n + 1)) }
  }

  /// Gives `copy` the values of `model`'s parameters and buffers, checking that both have
  /// the same names, shapes and dtypes.
  private static func copyValues(from model: Module, to copy: Module) throws {
    let pairs = [
      (
        model.namedParameters().map { ($0.name, $0.parameter) },
        copy.namedParameters().map { ($0.name, $0.parameter) }
      ),
      (model.namedBuffers().map { ($0.name, $0.buffer) }, copy.namedBuffers().map { ($0.name, $0.buffer) }),
    ]
    for (source, target) in pairs {
      guard source.map(\.0) == target.map(\.0) else {
        throw OptimizerError(
          "AveragedModel's copy has tensors \(target.map(\.0)), but the model has \(source.map(\.0))")
      }
      for ((name, s), (_, t)) in zip(source, target) where s.shape != t.shape || s.dtype != t.dtype {
        throw OptimizerError(
          "AveragedModel's copy has \(name) of shape \(t.shape) (\(t.dtype)), but the model's is \(s.shape) (\(s.dtype))"
        )
      }
    }
    withNoGrad {
      for (source, target) in pairs {
        for ((_, s), (_, t)) in zip(source, target) { t.copyInPlace(from: s.detach()) }
      }
    }
  }
}
