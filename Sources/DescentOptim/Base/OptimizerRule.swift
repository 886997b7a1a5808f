import CDescentKernels
import Descent

/// One optimizer's update rule: everything about an optimizer that is not shared
/// bookkeeping.
///
/// A rule reads a parameter group's hyperparameters once per step (``init(_:)``), checks
/// them when a group is added or loaded (``validate()``), makes a parameter's state on its
/// first step (``makeState(for:)``) and updates one parameter at a time in three forms that
/// compute the same thing:
///
/// - ``reference(_:param:grad:state:scalars:)``: the readable rule, element by element in
///   PyTorch's operation order. It is the documented form of the update; the fused kernel
///   is bitwise equal to it and the BLAS form agrees within a few ulps.
/// - ``blas(_:param:grad:state:scalars:)``: the axpy-shaped parts through BLAS level 1,
///   the rest in one loop.
/// - ``fusedEntry(param:grad:state:scalars:start:)``: one entry of a C kernel that updates a
///   whole group in one pass (``fusedKernels``); `nil` kernels mean there is none.
///
/// ``RuleOptimizer`` owns the rest: state storage, dtype dispatch, kernel tables, threads,
/// state dicts. An optimizer is then a small public class over its rule:
///
/// ```swift
/// public final class MyOptimizer: RuleOptimizer<MyRule> {
///   public init(_ params: [Tensor], lr: Double = 1e-3) throws {
///     try super.init(params, defaults: ["lr": .number(lr)])
///   }
/// }
/// ```
public protocol OptimizerRule {
  /// One parameter's state, typed.
  associatedtype State: OptimizerState
  /// What ``beginStep(_:)`` hands to the update: per-step scalars such as bias
  /// corrections.
  associatedtype StepScalars = Void
  /// The group's hyperparameters as the fused C kernel reads them.
  associatedtype FusedConfig = Void
  /// One parameter's entry of the fused C kernel.
  associatedtype FusedEntry = Void

  /// The optimizer's name in messages (`"Adam"`).
  static var name: String { get }

  /// Reads the hyperparameters of a complete group (every key of the optimizer's defaults
  /// is present, with the right kind). Reading does not check values: a step runs with
  /// whatever a user set between steps, as in PyTorch.
  init(_ group: ParamGroup)

  /// Throws PyTorch's error for an invalid value, in PyTorch's order. Runs for the
  /// constructor's values and for every group that is added or loaded.
  func validate() throws

  /// The state of `param` before its first step.
  func makeState(for param: Tensor) -> State

  /// The state key that this group's settings need and `state` lacks (a flag turned on
  /// after the state was made), or `nil`.
  func missingStateKey(in state: State) -> String?

  /// Reads one parameter's state from PyTorch's layout, as this group's settings need it.
  func decodeState(_ decoder: inout StateDecoder) throws -> State

  /// Advances `state`'s counters for one step of `param` and returns the scalars of that
  /// step; makes state that only a step creates (SGD's momentum buffer).
  mutating func beginStep(_ state: inout State, for param: Tensor) -> StepScalars

  /// The update of one parameter, element by element in PyTorch's order, in `T`.
  func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: State, scalars: StepScalars)

  /// The same update with its axpy-shaped parts through BLAS level 1.
  func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: State, scalars: StepScalars)

  /// The fused C kernels (float32, float64), or `nil` when the rule has none.
  static var fusedKernels: FusedKernels? { get }

  /// The fused kernel for this group's parameters of `dtype`: by default the one of
  /// ``fusedKernels``; a rule whose settings change the state's layout (Adam's
  /// `stateDType:`) picks another. `nil` runs the rule's other forms.
  func fusedKernel(for dtype: DType) -> FusedRangeKernel?

  /// The group's hyperparameters for the fused kernel.
  var fusedConfig: FusedConfig { get }

  /// The length of `param` in the fused kernel's concatenation: its element count, unless
  /// the kernel counts in other units (8-bit Adam counts granules of 16 elements, so that
  /// threads get whole blocks).
  func fusedLength(of param: Tensor) -> Int

  /// One parameter's entry of the fused kernel, starting at `start` in the group's
  /// concatenation.
  func fusedEntry(
    param: Tensor, grad: Tensor, state: State, scalars: StepScalars, start: Int64
  ) -> FusedEntry
}

extension OptimizerRule {
  public func missingStateKey(in state: State) -> String? { nil }
  public func fusedLength(of param: Tensor) -> Int { param.count }

  public func fusedKernel(for dtype: DType) -> FusedRangeKernel? {
    Self.fusedKernels?.kernel(for: dtype)
  }
}

/// A fused C kernel: `kernel(config, entries, entryCount, begin, end)`.
public typealias FusedRangeKernel =
  @convention(c) (UnsafeRawPointer?, UnsafeRawPointer?, Int64, Int64, Int64) -> Void

extension OptimizerRule where FusedConfig == Void, FusedEntry == Void {
  public static var fusedKernels: FusedKernels? { nil }
  public var fusedConfig: Void { () }
  public func fusedEntry(
    param: Tensor, grad: Tensor, state: State, scalars: StepScalars, start: Int64
  ) {}
}

/// A rule's fused C kernels, one per element type. Each updates the elements
/// `[begin, end)` of the concatenation of a group's entries:
/// `kernel(config, entries, entryCount, begin, end)`.
public struct FusedKernels: Sendable {
  let float32: RangeKernel
  let float64: RangeKernel
  /// Kernels for bfloat16 and float16 parameters and state, computing in float32 (the
  /// `_bf16` / `_f16` instances of the template); `nil` when the rule has none, and then
  /// half parameters take ``RuleOptimizer``'s widening path.
  let bfloat16: RangeKernel?
  let float16: RangeKernel?

  /// The kernels for float32 and float64 parameters, and optionally for bfloat16 and
  /// float16 parameters (default `nil`).
  public init(
    float32:
      @escaping @convention(c) (
        UnsafeRawPointer?, UnsafeRawPointer?, Int64, Int64, Int64
      ) -> Void,
    float64:
      @escaping @convention(c) (
        UnsafeRawPointer?, UnsafeRawPointer?, Int64, Int64, Int64
      ) -> Void,
    bfloat16: (@convention(c) (UnsafeRawPointer?, UnsafeRawPointer?, Int64, Int64, Int64) -> Void)? = nil,
    float16: (@convention(c) (UnsafeRawPointer?, UnsafeRawPointer?, Int64, Int64, Int64) -> Void)? = nil
  ) {
    self.float32 = float32
    self.float64 = float64
    self.bfloat16 = bfloat16
    self.float16 = float16
  }

  /// The kernel for parameters of `dtype`, or `nil` when there is none.
  func kernel(for dtype: DType) -> RangeKernel? {
    switch dtype {
    case .float32: float32
    case .float64: float64
    case .bfloat16: bfloat16
    case .float16: float16
    default: nil
    }
  }
}

/// One parameter's optimizer state, typed (for example ``AdamState``).
///
/// PyTorch's `[String: Tensor]` layout exists only at the edges: ``stateDict`` for
/// ``Optimizer/stateDict()`` and ``Optimizer/state(for:)``, and
/// ``OptimizerRule/decodeState(_:)`` for ``Optimizer/loadStateDict(_:)``.
public protocol OptimizerState {
  /// The state under PyTorch's keys: the live tensors, and scalars such as `step` as new
  /// float32 0-d tensors. Empty when the parameter has no state.
  var stateDict: [String: Tensor] { get }
}
