import CDescentKernels
import Descent
import Foundation

/// Adafactor (`torch.optim.Adafactor`): Adam-like steps with a factored second moment, so
/// that a matrix's state is one row and one column instead of a copy of the matrix.
///
/// For each parameter with a gradient `g`, PyTorch 2.13's update at step `t` (counted per
/// parameter, as a float32):
///
/// ```
/// g ← -g                                           if maximize
/// β̂ ← t^beta2_decay                               (one_minus_beta2_t)
/// ρ ← min(lr, 1/√t)
/// α ← max(eps₂, ‖θ‖₂/√numel(θ)) · ρ                 (θ before the weight decay)
/// θ ← θ · (1 - lr · weight_decay)                   if weight_decay ≠ 0
/// for rank ≥ 2, over the last two dimensions [R, C]:
///     R ← lerp(R, ‖g‖²_row / C, β̂)                 (row_var, [..., R, 1])
///     C ← lerp(C, ‖g‖²_col / R, β̂)                 (col_var, [..., 1, C])
///     V ← (R @ C) / max(mean_rows(R), eps₁)
/// otherwise:
///     V ← v ← lerp(v, g², β̂)                       (variance)
/// U ← (1/√max(V, eps₁²)) · g
/// θ ← θ - α / max(1, ‖U‖₂/(√numel(θ) · d)) · U
/// ```
///
/// `eps₁ = nil` is the machine epsilon of the dtype of the group's first parameter that has
/// a gradient at this step (`torch.finfo(dtype).eps`), as PyTorch resolves it once per
/// group.
///
/// State (``AdafactorState``): `step` (float32 scalar) and, for a parameter of rank ≥ 2,
/// `row_var` and `col_var`, otherwise `variance`, zero-initialised. The rule is
/// ``AdafactorRule``. Adafactor has no fused kernel: its update is not elementwise (it
/// needs the norms of the parameter and of the update before it can write either), so
/// ``OptimizerImplementation/fused`` runs the BLAS form.
public final class Adafactor: RuleOptimizer<AdafactorRule> {
  /// Creates Adafactor over `params`.
  ///
  /// - Parameters:
  ///   - lr: the cap of the relative step size `ρ = min(lr, 1/√t)` and the coefficient of
  ///     the weight decay (default 1e-2). Must be ≥ 0.
  ///   - beta2Decay: the exponent of the second moment's weight `t^beta2Decay` (default
  ///     -0.8). Must be ≤ 0.
  ///   - eps: `(eps₁, eps₂)` (default `(nil, 1e-3)`): `eps₁` bounds the variance estimate
  ///     from below (`nil`: the dtype's machine epsilon); `eps₂` bounds the parameter's
  ///     root mean square that scales the step. Each must be ≥ 0.
  ///   - d: the clipping threshold of the update's root mean square (default 1). Must be
  ///     ≥ 1.
  ///   - weightDecay: decoupled weight decay, scaled by `lr` (default 0). Must be ≥ 0.
  ///   - maximize: maximize the objective (default `false`).
  ///   - implementation: which kernels run (default ``OptimizerImplementation/default``).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid value, or an invalid
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-2, beta2Decay: Double = -0.8,
    eps: (Double?, Double) = (nil, 1e-3), d: Double = 1.0, weightDecay: Double = 0,
    maximize: Bool = false, implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "beta2_decay": .number(beta2Decay),
        "eps": eps.0.map { .numbers([$0, eps.1]) } ?? .optionalNumbers([nil, eps.1]),
        "d": .number(d), "weight_decay": .number(weightDecay), "maximize": .bool(maximize),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's Adafactor state: the factored second moment of a matrix (or of each
/// matrix of a batch), or the full one of a vector or scalar.
public struct AdafactorState: OptimizerState {
  /// Steps taken (`step`), a float32 count as in PyTorch.
  public var step: Float
  /// Row factor (`row_var`, shape `[..., R, 1]`), for parameters of rank ≥ 2.
  public var rowVar: Tensor?
  /// Column factor (`col_var`, shape `[..., 1, C]`), for parameters of rank ≥ 2.
  public var colVar: Tensor?
  /// Second moment (`variance`, the parameter's shape), for parameters of rank < 2.
  public var variance: Tensor?

  public var stateDict: [String: Tensor] {
    var dict = ["step": Tensor(scalar: Double(step), dtype: .float32)]
    if let rowVar { dict["row_var"] = rowVar }
    if let colVar { dict["col_var"] = colVar }
    if let variance { dict["variance"] = variance }
    return dict
  }
}

/// Adafactor's update rule (`_single_tensor_adafactor` in PyTorch 2.13).
public struct AdafactorRule: OptimizerRule {
  public static let name = "Adafactor"

  let lr: Double
  let beta2Decay: Double
  /// `eps₁`; `nil` until the first parameter of a step resolves it from its dtype.
  var eps1: Double?
  let eps2: Double
  let d: Double
  let weightDecay: Double
  let maximize: Bool

  public init(_ group: ParamGroup) {
    lr = group.lr
    beta2Decay = group.number("beta2_decay")
    guard let eps = group["eps"]?.optionalNumbers, eps.count == 2, let eps2 = eps[1] else {
      requirementFailure(
        "Adafactor's 'eps' must be (eps1 or None, eps2), got \(String(describing: group["eps"]))")
    }
    eps1 = eps[0]
    self.eps2 = eps2
    d = group.number("d")
    weightDecay = group.weightDecay
    maximize = group.flag("maximize")
  }

  // `!(0 <= x)` as in PyTorch, so NaN is rejected; PyTorch's order and messages.
  public func validate() throws {
    if !(0 <= lr) { throw OptimizerError("Learning rate should be >= 0 but is: \(lr)") }
    if !(0 >= beta2Decay) { throw OptimizerError("beta2_decay should be <= 0 but is: \(beta2Decay)") }
    if let eps1, !(0 <= eps1) { throw OptimizerError("epsilon1 should be >= 0 but is: \(eps1)") }
    if !(0 <= eps2) { throw OptimizerError("epsilon2 should be >= 0 but is: \(eps2)") }
    if !(1 <= d) { throw OptimizerError("Clipping threshold d should be >= 1 but is: \(d)") }
    if !(0 <= weightDecay) {
      throw OptimizerError("weight_decay should be >= 0 but is: \(weightDecay)")
    }
  }

  /// The shapes of a matrix parameter's factors: `[..., R, 1]` and `[..., 1, C]`.
  static func factorShapes(of param: Tensor) -> (row: [Int], column: [Int]) {
    var row = param.shape
    row[row.count - 1] = 1
    var column = param.shape
    column[column.count - 2] = 1
    return (row, column)
  }

  public func makeState(for param: Tensor) -> AdafactorState {
    guard param.rank > 1 else {
      return AdafactorState(step: 0, variance: Tensor.zerosLike(param))
    }
    let shapes = Self.factorShapes(of: param)
    return AdafactorState(
      step: 0, rowVar: Tensor.zeros(shapes.row, dtype: param.dtype),
      colVar: Tensor.zeros(shapes.column, dtype: param.dtype))
  }

  public func decodeState(_ decoder: inout StateDecoder) throws -> AdafactorState {
    let step = try decoder.scalar("step")
    guard decoder.param.rank > 1 else {
      return AdafactorState(step: step, variance: try decoder.tensor("variance"))
    }
    let shapes = Self.factorShapes(of: decoder.param)
    return AdafactorState(
      step: step, rowVar: try decoder.tensor("row_var", shape: shapes.row),
      colVar: try decoder.tensor("col_var", shape: shapes.column))
  }

  /// The scalars of one step, in Double as Python computes them.
  public struct StepScalars {
    /// `t^beta2_decay`, the weight of the new squared gradient.
    var oneMinusBeta2: Double
    /// `min(lr, 1/√t)`.
    var rho: Double
    /// `eps₁`, resolved.
    var eps1: Double
    /// The parameter's dtype: for bfloat16 and float16 the update runs as PyTorch's
    /// for-loop does, rounding every tensor op to it.
    var storage: DType
  }

  public mutating func beginStep(_ state: inout AdafactorState, for param: Tensor) -> StepScalars {
    // PyTorch resolves a `None` eps₁ from the first parameter it updates and keeps it for
    // the rest of the group.
    if eps1 == nil { eps1 = Self.machineEpsilon(of: param.dtype) }
    state.step += 1
    let t = Double(state.step)
    return StepScalars(
      oneMinusBeta2: pow(t, beta2Decay), rho: pythonMin(lr, 1 / pow(t, 0.5)), eps1: eps1!,
      storage: param.dtype)
  }

  /// `torch.finfo(dtype).eps`: the distance from 1 to the next value of the dtype.
  static func machineEpsilon(of dtype: DType) -> Double {
    switch dtype {
    case .float32: Double(Float.ulpOfOne)
    case .bfloat16: 0x1p-7
    case .float16: 0x1p-10
    default: Double.ulpOfOne
    }
  }

  /// `α = max(eps₂, ‖θ‖₂ / √numel) · ρ` from the parameter's norm (rounded to its dtype,
  /// as PyTorch's `param.norm(2).item()`).
  private func alpha(norm: Double, count: Int, _ scalars: StepScalars) -> Double {
    pythonMax(eps2, norm / pow(Double(count), 0.5)) * scalars.rho
  }

  /// `max(1, ‖U‖₂ / (√numel · d))`.
  private func clipDenominator(updateNorm: Double, count: Int) -> Double {
    pythonMax(1.0, updateNorm / (pow(Double(count), 0.5) * d))
  }

  /// The update as `_single_tensor_adafactor` writes it: each tensor operation in turn, on
  /// one thread, with the update `U` materialised. Norms and means accumulate in Double and
  /// are rounded to the dtype, as PyTorch's reductions return them. On bfloat16 and float16
  /// parameters (computed in float32, `T` = Float) every op's result is rounded to the
  /// parameter's dtype, and so are the scalars that PyTorch casts to it (clamp bounds,
  /// `alpha`).
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdafactorState, scalars: StepScalars
  ) {
    let n = param.count
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let storage = scalars.storage
    // Identity for float32 and float64 parameters.
    func r(_ x: T) -> T {
      storage.isReducedPrecision ? T(storage.rounding(Double(x))) : x
    }
    let sign: T = maximize ? -1 : 1
    // `rsqrt_` and `add_(alpha=)` round differently in PyTorch's scalar tails.
    let tails = storage.isReducedPrecision ? PyTorchScalarTails(count: n) : nil
    let w = T(scalars.oneMinusBeta2)
    let eps1 = r(T(scalars.eps1))
    let eps1Squared = r(T(scalars.eps1 * scalars.eps1))
    // var_estimate.clamp_(min=eps1²).rsqrt_(): 1/√x rounded once, or in a tail 1/r(√x).
    func rsqrt(_ x: T, at k: Int) -> T {
      let root = clampMin(x, eps1Squared).squareRoot()
      return r(1 / (tails?.contains(k) == true ? r(root) : root))
    }

    var squares = 0.0
    for i in 0..<n { squares += Double(p[i]) * Double(p[i]) }
    let alpha = alpha(norm: Double(r(T(squares.squareRoot()))), count: n, scalars)
    if weightDecay != 0 {
      let shrink = T(1 - lr * weightDecay)
      for i in 0..<n { p[i] = r(p[i] * shrink) }  // param.mul_(1 - lr * weight_decay)
    }

    var update = [T](repeating: 0, count: n)
    if let rowVar = state.rowVar, let colVar = state.colVar {
      let rows = param.shape[param.rank - 2]
      let columns = param.shape[param.rank - 1]
      let batches = param.shape.dropLast(2).reduce(1, *)
      let rowVar = BLASVector<T>(rowVar)
      let colVar = BLASVector<T>(colVar)
      for b in 0..<batches {
        let base = b * rows * columns
        for i in 0..<rows {  // row_var.lerp_(norm(grad, dim=-1)².div_(C), β̂)
          var sum = 0.0
          for j in 0..<columns {
            let x = Double(sign * g[base + i * columns + j])
            sum += x * x
          }
          let norm = r(T(sum.squareRoot()))
          rowVar[b * rows + i] = r(
            ElementOps.lerp(rowVar[b * rows + i], r(r(norm * norm) / T(columns)), weight: w))
        }
        for j in 0..<columns {  // col_var.lerp_(norm(grad, dim=-2)².div_(R), β̂)
          var sum = 0.0
          for i in 0..<rows {
            let x = Double(sign * g[base + i * columns + j])
            sum += x * x
          }
          let norm = r(T(sum.squareRoot()))
          colVar[b * columns + j] = r(
            ElementOps.lerp(colVar[b * columns + j], r(r(norm * norm) / T(rows)), weight: w))
        }
        var rowSum = 0.0  // row_var.mean(dim=-2).clamp_(min=eps1)
        for i in 0..<rows { rowSum += Double(rowVar[b * rows + i]) }
        let rowMean = clampMin(r(T(rowSum) / T(rows)), eps1)
        for i in 0..<rows {
          for j in 0..<columns {
            let k = base + i * columns + j
            let estimate = r(r(rowVar[b * rows + i] * colVar[b * columns + j]) / rowMean)  // (R @ C).div_
            update[k] = r(rsqrt(estimate, at: k) * (sign * g[k]))
          }
        }
      }
    } else if let variance = state.variance {
      let v = BLASVector<T>(variance)
      for i in 0..<n {
        let gi = sign * g[i]
        v[i] = r(ElementOps.lerp(v[i], r(gi * gi), weight: w))  // variance.lerp_(grad * grad, β̂)
        update[i] = r(rsqrt(v[i], at: i) * gi)  // clamp_, rsqrt_, mul_
      }
    }

    var updateSquares = 0.0
    for u in update { updateSquares += Double(u) * Double(u) }
    let denom = clipDenominator(updateNorm: Double(r(T(updateSquares.squareRoot()))), count: n)
    let step = r(T(-alpha / denom))
    // param.add_(U, alpha=step); PyTorch's scalar tails of it on a half tensor round step·U
    // to the half type first.
    for i in 0..<n {
      p[i] = r(
        tails?.contains(i) == true ? p[i] + r(step * update[i]) : ElementOps.add(p[i], update[i], alpha: step)
      )
    }
  }

  /// The same update without materialising `U`: the parameter's norm and the weight decay
  /// through BLAS level 1 (`?dot`, `?scal`), the factors' row and column norms, then one
  /// parallel pass that updates the second moment and sums `U²`, and one that recomputes
  /// `U` and adds it. The two passes are vectorised C (`AdafactorKernels.h`): they need
  /// vector square roots and divisions, which Swift lowers to scalar instructions.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: AdafactorState, scalars: StepScalars
  ) {
    // Half parameters round after every op, as PyTorch's for-loop does: the reference form.
    if scalars.storage.isReducedPrecision {
      return reference(T.self, param: param, grad: grad, state: state, scalars: scalars)
    }
    let n = param.count
    let p = BLASVector<T>(param)
    let g = BLASVector<T>(grad)
    let w = T(scalars.oneMinusBeta2)
    let eps1 = T(scalars.eps1)

    let norm = T.dot(n, p.base, 1, p.base, 1).squareRoot()
    let alpha = alpha(norm: Double(norm), count: n, scalars)
    if weightDecay != 0 { p.scale(by: 1 - lr * weightDecay) }

    if let rowVar = state.rowVar, let colVar = state.colVar {
      let rows = param.shape[param.rank - 2]
      let columns = param.shape[param.rank - 1]
      let batches = param.shape.dropLast(2).reduce(1, *)
      let r = BLASVector<T>(rowVar)
      let c = BLASVector<T>(colVar)
      // Row sums of squares (one dot per row), column sums accumulated row by row.
      var columnSquares = [Double](repeating: 0, count: columns)
      var rowMeans = [T](repeating: 0, count: batches)
      for b in 0..<batches {
        let base = b * rows * columns
        for j in 0..<columns { columnSquares[j] = 0 }
        var rowSum = 0.0
        for i in 0..<rows {
          let row = g.base + base + i * columns
          let rowNorm = T.dot(columns, row, 1, row, 1).squareRoot()
          r[b * rows + i] = ElementOps.lerp(r[b * rows + i], rowNorm * rowNorm / T(columns), weight: w)
          rowSum += Double(r[b * rows + i])
          for j in 0..<columns { columnSquares[j] += Double(row[j]) * Double(row[j]) }
        }
        for j in 0..<columns {
          let columnNorm = T(columnSquares[j].squareRoot())
          c[b * columns + j] = ElementOps.lerp(
            c[b * columns + j], columnNorm * columnNorm / T(rows), weight: w)
        }
        rowMeans[b] = clampMin(T(rowSum) / T(rows), eps1)
      }
      // U over whole rows (all batches' rows in turn), in the C passes.
      let totalRows = batches * rows
      let rowGrain = Swift.max(1, Threads.grainSize / Swift.max(columns, 1))
      var config = kernelConfig(scalars)
      rowMeans.withUnsafeBufferPointer { means in
        let m = means.baseAddress!
        let updateSquares = parallelSum(totalRows, grain: rowGrain) { range in
          AdafactorPasses.factored(config, r.base, c.base, m, g.base, rows, columns, range)
        }
        config.step = -alpha / clipDenominator(updateNorm: Double(T(updateSquares.squareRoot())), count: n)
        parallelChunks(totalRows, grain: rowGrain) { range in
          AdafactorPasses.applyFactored(config, p.base, r.base, c.base, m, g.base, rows, columns, range)
        }
      }
    } else if let variance = state.variance {
      let v = BLASVector<T>(variance)
      var config = kernelConfig(scalars)
      let updateSquares = parallelSum(n) { range in AdafactorPasses.variance(config, v.base, g.base, range) }
      config.step = -alpha / clipDenominator(updateNorm: Double(T(updateSquares.squareRoot())), count: n)
      parallelChunks(n) { range in AdafactorPasses.applyVariance(config, p.base, v.base, g.base, range) }
    }
  }

  /// The step's scalars for the C passes (`step` is set once ‖U‖ is known).
  private func kernelConfig(_ scalars: StepScalars) -> descent_adafactor_config {
    descent_adafactor_config(
      sign: maximize ? -1 : 1, weight: scalars.oneMinusBeta2,
      eps1_squared: scalars.eps1 * scalars.eps1, step: 0)
  }
}

/// Adafactor's C passes for `T` (see `AdafactorKernels.h`), over a range of elements or
/// rows.
enum AdafactorPasses {
  @inline(__always)
  private static func cast<T, U>(_ p: UnsafeMutablePointer<T>, _: U.Type) -> UnsafeMutablePointer<U> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self)
  }

  static func variance<T: TensorScalar>(
    _ config: descent_adafactor_config, _ v: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>,
    _ range: Range<Int>
  ) -> Double {
    withUnsafePointer(to: config) { c in
      T.self == Float.self
        ? descent_adafactor_variance_f32(
          c, cast(v, Float.self), cast(g, Float.self), Int64(range.lowerBound), Int64(range.upperBound))
        : descent_adafactor_variance_f64(
          c, cast(v, Double.self), cast(g, Double.self), Int64(range.lowerBound), Int64(range.upperBound))
    }
  }

  static func applyVariance<T: TensorScalar>(
    _ config: descent_adafactor_config, _ p: UnsafeMutablePointer<T>, _ v: UnsafeMutablePointer<T>,
    _ g: UnsafeMutablePointer<T>, _ range: Range<Int>
  ) {
    withUnsafePointer(to: config) { c in
      if T.self == Float.self {
        descent_adafactor_apply_variance_f32(
          c, cast(p, Float.self), cast(v, Float.self), cast(g, Float.self), Int64(range.lowerBound),
          Int64(range.upperBound))
      } else {
        descent_adafactor_apply_variance_f64(
          c, cast(p, Double.self), cast(v, Double.self), cast(g, Double.self), Int64(range.lowerBound),
          Int64(range.upperBound))
      }
    }
  }

  static func factored<T: TensorScalar>(
    _ config: descent_adafactor_config, _ r: UnsafeMutablePointer<T>, _ c: UnsafeMutablePointer<T>,
    _ means: UnsafePointer<T>, _ g: UnsafeMutablePointer<T>, _ rows: Int, _ columns: Int,
    _ range: Range<Int>
  ) -> Double {
    let m = UnsafeMutablePointer(mutating: means)
    return withUnsafePointer(to: config) { k in
      T.self == Float.self
        ? descent_adafactor_factored_f32(
          k, cast(r, Float.self), cast(c, Float.self), cast(m, Float.self), cast(g, Float.self),
          Int64(rows), Int64(columns), Int64(range.lowerBound), Int64(range.upperBound))
        : descent_adafactor_factored_f64(
          k, cast(r, Double.self), cast(c, Double.self), cast(m, Double.self), cast(g, Double.self),
          Int64(rows), Int64(columns), Int64(range.lowerBound), Int64(range.upperBound))
    }
  }

  static func applyFactored<T: TensorScalar>(
    _ config: descent_adafactor_config, _ p: UnsafeMutablePointer<T>, _ r: UnsafeMutablePointer<T>,
    _ c: UnsafeMutablePointer<T>, _ means: UnsafePointer<T>, _ g: UnsafeMutablePointer<T>, _ rows: Int,
    _ columns: Int, _ range: Range<Int>
  ) {
    let m = UnsafeMutablePointer(mutating: means)
    withUnsafePointer(to: config) { k in
      if T.self == Float.self {
        descent_adafactor_apply_factored_f32(
          k, cast(p, Float.self), cast(r, Float.self), cast(c, Float.self), cast(m, Float.self),
          cast(g, Float.self), Int64(rows), Int64(columns), Int64(range.lowerBound), Int64(range.upperBound))
      } else {
        descent_adafactor_apply_factored_f64(
          k, cast(p, Double.self), cast(r, Double.self), cast(c, Double.self), cast(m, Double.self),
          cast(g, Double.self), Int64(rows), Int64(columns), Int64(range.lowerBound), Int64(range.upperBound))
      }
    }
  }
}
