import CDescentKernels
import Descent
import Foundation

/// Adam (`torch.optim.Adam`), with AMSGrad and optional decoupled weight decay.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update at step `t` (counted per
/// parameter):
///
/// ```
/// g ← -g                                      if maximize
/// θ ← θ · (1 - lr · weight_decay)             if decoupled_weight_decay (AdamW)
/// g ← g + weight_decay · θ                    otherwise, if weight_decay ≠ 0
/// m ← lerp(m, g, 1 - β₁)                      (exp_avg)
/// v ← β₂ · v + (1 - β₂) · g²                  (exp_avg_sq)
/// v̂ ← max(v̂, v); use v̂ instead of v          if amsgrad (max_exp_avg_sq)
/// θ ← θ - lr / (1 - β₁ᵗ) · m / (sqrt(v) / sqrt(1 - β₂ᵗ) + eps)
/// ```
///
/// State (``AdamState``): `step` (float32 scalar), `exp_avg`, `exp_avg_sq`,
/// `max_exp_avg_sq` (AMSGrad), zero-initialised on a parameter's first step. The rule is
/// ``AdamRule``.
public class Adam: RuleOptimizer<AdamRule> {
  /// Creates Adam over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-3). Must be ≥ 0.
  ///   - betas: coefficients of the running averages of the gradient and its square
  ///     (default (0.9, 0.999)). Each must be in [0, 1).
  ///   - eps: added to the denominator (default 1e-8). Must be ≥ 0.
  ///   - weightDecay: weight decay (default 0): an L2 penalty added to the gradient, or,
  ///     with `decoupledWeightDecay`, a shrink of the parameter. Must be ≥ 0.
  ///   - amsgrad: use the maximum of past square averages (default `false`).
  ///   - maximize: maximize the objective (default `false`).
  ///   - decoupledWeightDecay: decay the parameter directly, as AdamW (default `false`).
  ///   - stateDType: the dtype of `exp_avg`, `exp_avg_sq` and `max_exp_avg_sq` (default
  ///     `nil`: the parameter's, as in PyTorch). `.bfloat16` or `.float16` halve the
  ///     state's memory and bytes moved for float32 parameters: the moments are widened,
  ///     updated in float32 and rounded once per step (not a PyTorch option).
  ///   - stateRounding: how half-precision state is rounded (default
  ///     ``StateRounding/nearest``); ``StateRounding/stochastic(seed:)`` needs
  ///     `stateDType: .bfloat16` and the fused implementation.
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false,
    maximize: Bool = false, decoupledWeightDecay: Bool = false, stateDType: DType? = nil,
    stateRounding: StateRounding = .nearest,
    implementation: OptimizerImplementation = .default
  ) throws {
    var defaults: [String: HyperValue] = [
      "lr": .number(lr), "betas": .numbers([betas.0, betas.1]), "eps": .number(eps),
      "weight_decay": .number(weightDecay), "amsgrad": .bool(amsgrad),
      "maximize": .bool(maximize), "decoupled_weight_decay": .bool(decoupledWeightDecay),
    ]
    // Only when set, so that state dicts stay PyTorch's otherwise.
    if let stateDType { defaults["state_dtype"] = .string(stateDType.rawValue) }
    if case .stochastic(let seed) = stateRounding {
      defaults["state_rounding_seed"] = .string(String(seed))
    }
    try super.init(params, defaults: defaults, implementation: implementation)
  }

  override func performStep() throws {
    if implementation != .fused,
      paramGroups.contains(where: { $0["state_rounding_seed"]?.string != nil })
    {
      throw OptimizerError(
        "stochastic rounding of Adam's state needs the fused implementation, not \(implementation)")
    }
    try performRuleStep()
  }
}

/// How an optimizer rounds state it keeps in half precision (``Adam``'s `stateDType:`).
public enum StateRounding: Sendable, Hashable {
  /// Round to nearest, ties to even: deterministic, as every dtype conversion.
  case nearest
  /// Stochastic rounding: a value rounds up with probability equal to its distance from
  /// the lower neighbour, so small updates survive on average. The random bits come from
  /// `seed`, the step and the element's index: a run is reproducible.
  case stochastic(seed: UInt64)
}

/// One parameter's Adam state.
public struct AdamState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// First moment (`exp_avg`).
  public var expAvg: Tensor
  /// Second moment (`exp_avg_sq`).
  public var expAvgSq: Tensor
  /// Running maximum of the second moment (`max_exp_avg_sq`), with AMSGrad.
  public var maxExpAvgSq: Tensor?

  public var stateDict: [String: Tensor] {
    var dict = [
      "step": Tensor(scalar: Double(step), dtype: .float32), "exp_avg": expAvg,
      "exp_avg_sq": expAvgSq,
    ]
    if let maxExpAvgSq { dict["max_exp_avg_sq"] = maxExpAvgSq }
    return dict
  }
}

/// Adam's and AdamW's update rule (`_single_tensor_adam` in PyTorch 2.13).
public struct AdamRule: OptimizerRule {
  public static let name = "Adam"

  let lr: Double
  let beta1: Double
  let beta2: Double
  let eps: Double
  let weightDecay: Double
  let amsgrad: Bool
  let maximize: Bool
  let decoupledWeightDecay: Bool
  /// `stateDType:`, as named in the group (`nil`: the parameter's dtype).
  let stateDTypeName: String?
  /// The seed of stochastic rounding, or `nil` to round to nearest.
  let roundingSeed: UInt64?
  var stateDType: DType? { stateDTypeName.flatMap(DType.init(rawValue:)) }

  public init(_ group: ParamGroup) {
    lr = group.lr
    (beta1, beta2) = group.betas
    eps = group.number("eps")
    weightDecay = group.weightDecay
    amsgrad = group.flag("amsgrad")
    maximize = group.flag("maximize")
    decoupledWeightDecay = group.flag("decoupled_weight_decay")
    stateDTypeName = group["state_dtype"]?.string
    roundingSeed = group["state_rounding_seed"]?.string.flatMap { UInt64($0) }
  }

  // `!(0 <= x)` as in PyTorch, so NaN is rejected; PyTorch's order.
  public func validate() throws {
    try HyperparameterChecks.learningRate(lr)
    try HyperparameterChecks.epsilon(eps)
    try HyperparameterChecks.betas(beta1, beta2)
    try HyperparameterChecks.weightDecay(weightDecay)
    if let stateDTypeName, !(stateDType?.isReducedPrecision ?? false) {
      throw OptimizerError("Invalid state_dtype: \(stateDTypeName) (expected bfloat16 or float16)")
    }
    if roundingSeed != nil && stateDType != .bfloat16 {
      throw OptimizerError("stochastic rounding needs state_dtype bfloat16, got \(stateDTypeName ?? "none")")
    }
  }

  private var decoupled: Bool { decoupledWeightDecay && weightDecay != 0 }
  private var coupled: Bool { !decoupledWeightDecay && weightDecay != 0 }

  public func makeState(for param: Tensor) -> AdamState {
    let dtype = stateDType ?? param.dtype
    return AdamState(
      step: 0, expAvg: Tensor.zerosLike(param, dtype: dtype),
      expAvgSq: Tensor.zerosLike(param, dtype: dtype),
      maxExpAvgSq: amsgrad ? Tensor.zerosLike(param, dtype: dtype) : nil)
  }

  public func missingStateKey(in state: AdamState) -> String? {
    amsgrad && state.maxExpAvgSq == nil ? "max_exp_avg_sq" : nil
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> AdamState {
    // The decoder casts to the parameter's dtype; half state goes back to its own.
    let dtype = stateDType
    func kept(_ t: Tensor) -> Tensor { dtype.map { t.to(dtype: $0) } ?? t }
    return AdamState(
      step: try decoder.scalar("step"), expAvg: kept(try decoder.tensor("exp_avg")),
      expAvgSq: kept(try decoder.tensor("exp_avg_sq")),
      maxExpAvgSq: (amsgrad
        ? try decoder.tensor("max_exp_avg_sq") : try decoder.optionalTensor("max_exp_avg_sq")).map(kept))
  }

  /// The float32 kernels with half moments when `stateDType` differs from the parameter's.
  public func fusedKernel(for dtype: DType) -> FusedRangeKernel? {
    guard let state = stateDType, state != dtype else { return Self.fusedKernels?.kernel(for: dtype) }
    guard dtype == .float32 else { return nil }  // other mixes take the widening path
    switch state {
    case .bfloat16: return roundingSeed != nil ? descent_adam_f32_bf16state_sr : descent_adam_f32_bf16state
    case .float16: return descent_adam_f32_f16state
    default: return nil
    }
  }

  /// The scalars of one step, computed in Double as Python does.
  public struct StepScalars {
    /// `lr / (1 - β₁ᵗ)`
    var stepSize = 0.0
    /// `(1 - β₂ᵗ)^0.5`
    var biasCorrection2Sqrt = 1.0
  }
  /// Steps are counted per parameter but are almost always equal: the bias corrections
  /// (two `pow`s) are computed once per distinct step.
  private var lastStep: Float = -1
  private var lastScalars = StepScalars()

  public mutating func beginStep(_ state: inout AdamState, for param: Tensor) -> StepScalars {
    state.step += 1
    if state.step != lastStep {
      let t = Double(state.step)
      lastStep = state.step
      lastScalars = StepScalars(
        stepSize: lr / (1 - pow(beta1, t)), biasCorrection2Sqrt: pow(1 - pow(beta2, t), 0.5))
    }
    return lastScalars
  }

  /// The update, element by element, as `_single_tensor_adam` writes it.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdamState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let m = BLASVector<T>(state.expAvg)
    let v = BLASVector<T>(state.expAvgSq)
    let vMax = amsgrad ? state.maxExpAvgSq.map { BLASVector<T>($0) } : nil
    for i in 0..<p.count {
      var theta = p[i]
      var d = maximize ? -g[i] : g[i]
      if decoupled { theta = theta * T(1 - lr * weightDecay) }  // param.mul_(1 - lr * wd)
      if coupled { d = ElementOps.add(d, theta, alpha: T(weightDecay)) }  // grad.add(param, alpha=wd)
      m[i] = ElementOps.lerp(m[i], d, weight: T(1 - beta1))  // exp_avg.lerp_(grad, 1 - beta1)
      v[i] = ElementOps.addcmul(v[i] * T(beta2), d, d, value: T(1 - beta2))  // mul_, addcmul_
      var second = v[i]
      if let vMax {
        vMax[i] = ElementOps.maximum(vMax[i], v[i])  // torch.maximum(max_exp_avg_sq, exp_avg_sq)
        second = vMax[i]
      }
      let denom = second.squareRoot() / T(scalars.biasCorrection2Sqrt) + T(eps)
      p[i] = ElementOps.addcdiv(theta, m[i], denom, value: T(-scalars.stepSize))
    }
  }

  /// BLAS level 1 for the linear parts (`θ ← (1 - lr·wd)·θ` when decoupled,
  /// `m ← β₁·m + (1-β₁)·(±g) + (1-β₁)·wd·θ`, `v ← β₂·v`), then one loop for the squares,
  /// maxima, square roots and the division.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdamState, scalars: StepScalars
  ) {
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let m = BLASVector<T>(state.expAvg)
    let v = BLASVector<T>(state.expAvgSq)
    let sign: Double = maximize ? -1 : 1
    if decoupled { p.scale(by: 1 - lr * weightDecay) }
    m.scale(by: beta1, adding: g, times: (1 - beta1) * sign)
    if coupled { m.add(p, times: (1 - beta1) * weightDecay) }
    v.scale(by: beta2)

    let signT = T(sign)
    let wd = T(weightDecay)
    let oneMinusBeta2 = T(1 - beta2)
    let biasCorrection2Sqrt = T(scalars.biasCorrection2Sqrt)
    let e = T(eps)
    let negStepSize = T(-scalars.stepSize)
    let vMax = amsgrad ? state.maxExpAvgSq.map { BLASVector<T>($0) } : nil
    let coupled = self.coupled
    @inline(__always) func element(_ i: Int, amsgrad: Bool, coupled: Bool) {
      let d = coupled ? signT * g[i] + wd * p[i] : signT * g[i]
      var sq = v[i] + oneMinusBeta2 * d * d
      v[i] = sq
      if amsgrad {
        sq = ElementOps.maximum(vMax![i], sq)
        vMax![i] = sq
      }
      p[i] = p[i] + negStepSize * m[i] / (sq.squareRoot() / biasCorrection2Sqrt + e)
    }
    parallelChunks(p.count) { range in
      switch (vMax != nil, coupled) {
      case (false, false): for i in range { element(i, amsgrad: false, coupled: false) }
      case (false, true): for i in range { element(i, amsgrad: false, coupled: true) }
      case (true, false): for i in range { element(i, amsgrad: true, coupled: false) }
      case (true, true): for i in range { element(i, amsgrad: true, coupled: true) }
      }
    }
  }

  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_adam_f32, float64: descent_adam_f64, bfloat16: descent_adam_bf16,
    float16: descent_adam_f16)

  /// The group's hyperparameters for `AdamTemplate.h`, which rounds each to the element
  /// type once.
  public var fusedConfig: descent_adam_config {
    descent_adam_config(
      sign: maximize ? -1 : 1, shrink: 1 - lr * weightDecay, weight_decay: weightDecay,
      one_minus_beta1: 1 - beta1, beta2: beta2, one_minus_beta2: 1 - beta2, eps: eps,
      decoupled: decoupled ? 1 : 0, coupled: coupled ? 1 : 0, amsgrad: amsgrad ? 1 : 0,
      reserved: 0)
  }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: AdamState, scalars: StepScalars, start: Int64
  ) -> descent_adam_tensor {
    descent_adam_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      exp_avg: state.expAvg.kernelAddress(), exp_avg_sq: state.expAvgSq.kernelAddress(),
      max_exp_avg_sq: amsgrad ? state.maxExpAvgSq?.kernelAddress() : nil, start: start,
      count: Int64(param.count),
      neg_step_size: -scalars.stepSize, bias_correction2_sqrt: scalars.biasCorrection2Sqrt,
      rounding_seed: roundingSeed.map { seed in
        // Different noise for every step and tensor; the kernel mixes in the index.
        seed ^ (UInt64(state.step) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(start) &* 0xC2B2_AE3D_27D4_EB4F)
      } ?? 0)
  }
}
