import Descent
import Foundation

/// One Adam/AdamW update of one parameter, with a group's hyperparameters.
struct AdamKernel {
  var lr: Double
  var beta1: Double
  var beta2: Double
  var eps: Double
  var weightDecay: Double
  var amsgrad: Bool
  var maximize: Bool
  var decoupledWeightDecay: Bool

  init(_ group: ParamGroup) {
    lr = group.lr
    (beta1, beta2) = group.betas
    eps = group.eps
    weightDecay = group.weightDecay
    amsgrad = group.amsgrad
    maximize = group.maximize
    decoupledWeightDecay = group.decoupledWeightDecay
  }

  struct Buffers<T> {
    var param: UnsafeMutablePointer<T>
    var grad: UnsafePointer<T>
    var expAvg: UnsafeMutablePointer<T>
    var expAvgSq: UnsafeMutablePointer<T>
    /// Present with AMSGrad.
    var maxExpAvgSq: UnsafeMutablePointer<T>?
  }

  /// The scalars of step `step` (the value after the increment), computed in Double as
  /// Python does: `step_size = lr / (1 - β₁^t)`, `bias_correction2_sqrt = (1 - β₂^t)^0.5`.
  struct StepScalars {
    var stepSize: Double
    var biasCorrection2Sqrt: Double
  }

  func scalars(step: Double) -> StepScalars {
    let biasCorrection1 = 1 - pow(beta1, step)
    let biasCorrection2 = 1 - pow(beta2, step)
    return StepScalars(stepSize: lr / biasCorrection1, biasCorrection2Sqrt: pow(biasCorrection2, 0.5))
  }

  func run<T: TensorScalar>(
    count n: Int, _ x: Buffers<T>, step: Double, implementation: OptimizerImplementation
  ) {
    switch implementation {
    case .fused: fused(count: n, x, scalars(step: step))
    case .blas: blas(count: n, x, scalars(step: step))
    }
  }

  /// Per element, in `_single_tensor_adam`'s order:
  /// `θ = θ·(1 - lr·wd)` (decoupled), `d = ±g (+ wd·θ)` (coupled),
  /// `m = lerp(m, d, 1-β₁)`, `v = v·β₂ + ((1-β₂)·d)·d`, `v̂ = max(v̂, v)` (AMSGrad),
  /// `denom = sqrt(v or v̂)/bc2_sqrt + eps`, `θ = θ + ((-step_size)·m)/denom`.
  func fused<T: TensorScalar>(count n: Int, _ x: Buffers<T>, _ s: StepScalars) {
    let decoupled = decoupledWeightDecay && weightDecay != 0
    let coupled = !decoupledWeightDecay && weightDecay != 0
    // Negating by a multiplication with ±1 is exact, so it matches PyTorch's `-grad`.
    let sign: T = maximize ? -1 : 1
    let shrink = T(1 - lr * weightDecay)
    let wd = T(weightDecay)
    let w1 = T(1 - beta1)
    let small = Swift.abs(w1) < 0.5
    let b2 = T(beta2)
    let oneMinusB2 = T(1 - beta2)
    let bc2Sqrt = T(s.biasCorrection2Sqrt)
    let e = T(eps)
    let negStepSize = T(-s.stepSize)
    let p = x.param
    let g = x.grad
    let m = x.expAvg
    let v = x.expAvgSq
    let vMax = x.maxExpAvgSq
    // The flags are passed as literals below, so each loop is compiled without branches
    // and vectorises.
    @inline(__always) func element(_ i: Int, amsgrad: Bool, decoupled: Bool, coupled: Bool) {
      var theta = p[i]
      if decoupled { theta = theta * shrink }
      var d = sign * g[i]
      if coupled { d = d + wd * theta }
      let mean = lerp(m[i], d, weight: w1, weightIsSmall: small)
      m[i] = mean
      var sq = v[i] * b2 + oneMinusB2 * d * d
      v[i] = sq
      if amsgrad {
        sq = nanPropagatingMax(vMax![i], sq)
        vMax![i] = sq
      }
      let denom = sq.squareRoot() / bc2Sqrt + e
      p[i] = theta + negStepSize * mean / denom
    }
    parallelChunks(n) { range in
      switch (vMax != nil, decoupled, coupled) {
      case (false, false, false):
        for i in range { element(i, amsgrad: false, decoupled: false, coupled: false) }
      case (false, true, _): for i in range { element(i, amsgrad: false, decoupled: true, coupled: false) }
      case (false, _, true): for i in range { element(i, amsgrad: false, decoupled: false, coupled: true) }
      case (true, false, false):
        for i in range { element(i, amsgrad: true, decoupled: false, coupled: false) }
      case (true, true, _): for i in range { element(i, amsgrad: true, decoupled: true, coupled: false) }
      case (true, _, true): for i in range { element(i, amsgrad: true, decoupled: false, coupled: true) }
      }
    }
  }

  /// BLAS level 1 for the linear parts (`θ ← (1 - lr·wd)·θ` when decoupled,
  /// `m ← β₁·m + (1-β₁)·(±g) + (1-β₁)·wd·θ`, `v ← β₂·v`), then one loop for the squares,
  /// maxima, square roots and the division.
  func blas<T: TensorScalar>(count n: Int, _ x: Buffers<T>, _ s: StepScalars) {
    let sign: Double = maximize ? -1 : 1
    let decoupled = decoupledWeightDecay && weightDecay != 0
    let coupled = !decoupledWeightDecay && weightDecay != 0
    if decoupled { T.scal(n, T(1 - lr * weightDecay), x.param, 1) }
    T.axpby(n, T((1 - beta1) * sign), x.grad, 1, T(beta1), x.expAvg, 1)
    if coupled { T.axpy(n, T((1 - beta1) * weightDecay), UnsafePointer(x.param), 1, x.expAvg, 1) }
    T.scal(n, T(beta2), x.expAvgSq, 1)

    let signT = T(sign)
    let wd = T(weightDecay)
    let oneMinusB2 = T(1 - beta2)
    let bc2Sqrt = T(s.biasCorrection2Sqrt)
    let e = T(eps)
    let negStepSize = T(-s.stepSize)
    let p = x.param
    let g = x.grad
    let m = x.expAvg
    let v = x.expAvgSq
    let vMax = x.maxExpAvgSq
    @inline(__always) func element(_ i: Int, amsgrad: Bool, coupled: Bool) {
      let d = coupled ? signT * g[i] + wd * p[i] : signT * g[i]
      var sq = v[i] + oneMinusB2 * d * d
      v[i] = sq
      if amsgrad {
        sq = nanPropagatingMax(vMax![i], sq)
        vMax![i] = sq
      }
      p[i] = p[i] + negStepSize * m[i] / (sq.squareRoot() / bc2Sqrt + e)
    }
    parallelChunks(n) { range in
      switch (vMax != nil, coupled) {
      case (false, false): for i in range { element(i, amsgrad: false, coupled: false) }
      case (false, true): for i in range { element(i, amsgrad: false, coupled: true) }
      case (true, false): for i in range { element(i, amsgrad: true, coupled: false) }
      case (true, true): for i in range { element(i, amsgrad: true, coupled: true) }
      }
    }
  }
}
