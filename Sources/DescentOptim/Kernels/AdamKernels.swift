import CDescentKernels
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

  /// The group's hyperparameters for the fused C kernel, which rounds each to the element
  /// type as the scalar code did (`T(1 - lr·wd)`, `T(1 - β₁)`, ...).
  var fusedConfig: descent_adam_config {
    let decoupled = decoupledWeightDecay && weightDecay != 0
    let coupled = !decoupledWeightDecay && weightDecay != 0
    return descent_adam_config(
      sign: maximize ? -1 : 1, shrink: 1 - lr * weightDecay, weight_decay: weightDecay,
      one_minus_beta1: 1 - beta1, beta2: beta2, one_minus_beta2: 1 - beta2, eps: eps,
      decoupled: decoupled ? 1 : 0, coupled: coupled ? 1 : 0, amsgrad: amsgrad ? 1 : 0,
      reserved: 0)
  }

  /// The fused kernel's entry for one parameter with its step's scalars, starting at `start` in
  /// the group's concatenation.
  func fusedEntry(
    start: Int64, param: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor,
    maxExpAvgSq: Tensor?, scalars s: StepScalars
  ) -> descent_adam_tensor {
    descent_adam_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      exp_avg: expAvg.kernelAddress(), exp_avg_sq: expAvgSq.kernelAddress(),
      max_exp_avg_sq: maxExpAvgSq?.kernelAddress(), start: start, count: Int64(param.count),
      neg_step_size: -s.stepSize, bias_correction2_sqrt: s.biasCorrection2Sqrt)
  }

  /// Runs the fused kernel over every entry of `tables`, one pass per dtype, split across
  /// threads. Per element, in `_single_tensor_adam`'s order:
  /// `θ = θ·(1 - lr·wd)` (decoupled), `d = ±g (+ wd·θ)` (coupled),
  /// `m = lerp(m, d, 1-β₁)`, `v = v·β₂ + ((1-β₂)·d)·d`, `v̂ = max(v̂, v)` (AMSGrad),
  /// `denom = sqrt(v or v̂)/bc2_sqrt + eps`, `θ = θ + ((-step_size)·m)/denom`.
  func runFused(_ tables: KernelTables<descent_adam_tensor>) {
    var config = fusedConfig
    withUnsafePointer(to: &config) { c in
      tables.float32.run(descent_adam_f32, config: c)
      tables.float64.run(descent_adam_f64, config: c)
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
