import CDescentKernels
import Descent

/// One RMSprop update of one parameter, with a group's hyperparameters.
struct RMSpropKernel {
  var lr: Double
  var alpha: Double
  var eps: Double
  var weightDecay: Double
  var momentum: Double
  var centered: Bool
  var maximize: Bool

  init(_ group: ParamGroup) {
    lr = group.lr
    alpha = group.alpha
    eps = group.eps
    weightDecay = group.weightDecay
    momentum = group.momentum
    centered = group.centered
    maximize = group.maximize
  }

  /// `gradAvg` is present when centered, `buffer` when momentum > 0.
  struct Buffers<T> {
    var param: UnsafeMutablePointer<T>
    var grad: UnsafePointer<T>
    var squareAvg: UnsafeMutablePointer<T>
    var gradAvg: UnsafeMutablePointer<T>?
    var buffer: UnsafeMutablePointer<T>?
  }

  /// The group's hyperparameters for the fused C kernel, which rounds each to the element
  /// type as the scalar code did.
  var fusedConfig: descent_rmsprop_config {
    descent_rmsprop_config(
      sign: maximize ? -1 : 1, weight_decay: weightDecay, alpha: alpha, one_minus_alpha: 1 - alpha,
      eps: eps, momentum: momentum, neg_lr: -lr, has_decay: weightDecay != 0 ? 1 : 0,
      centered: centered ? 1 : 0, has_momentum: momentum > 0 ? 1 : 0, reserved: 0)
  }

  /// The fused kernel's entry for one parameter, starting at `start` in the group's
  /// concatenation.
  func fusedEntry(
    start: Int64, param: Tensor, grad: Tensor, squareAvg: Tensor, gradAvg: Tensor?,
    buffer: Tensor?
  ) -> descent_rmsprop_tensor {
    descent_rmsprop_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      square_avg: squareAvg.kernelAddress(), grad_avg: gradAvg?.kernelAddress(),
      momentum_buffer: buffer?.kernelAddress(), start: start, count: Int64(param.count))
  }

  /// Runs the fused kernel over every entry of `tables`, one pass per dtype, split across
  /// threads. Per element, in `_single_tensor_rmsprop`'s order:
  /// `d = ±g (+ wd·θ)`, `v = v·α + ((1-α)·d)·d`, `ḡ = lerp(ḡ, d, 1-α)` when centered,
  /// `a = sqrt(v + (-ḡ)·ḡ)` or `sqrt(v)`, `a = a + eps`,
  /// `b = b·μ + d/a`, `θ = θ + (-lr)·b` with momentum, else `θ = θ + ((-lr)·d)/a`.
  func runFused(_ tables: KernelTables<descent_rmsprop_tensor>) {
    var config = fusedConfig
    withUnsafePointer(to: &config) { c in
      tables.float32.run(descent_rmsprop_f32, config: c)
      tables.float64.run(descent_rmsprop_f64, config: c)
    }
  }

  /// BLAS level 1 for the linear parts (`v ← α·v`, `ḡ ← α·ḡ + (1-α)·(±g) + (1-α)·wd·θ`,
  /// `b ← μ·b`, and `θ ← θ - lr·b` with momentum), then one loop for the squares, square
  /// roots and divisions.
  func blas<T: TensorScalar>(count n: Int, _ x: Buffers<T>) {
    let sign: Double = maximize ? -1 : 1
    let hasDecay = weightDecay != 0
    T.scal(n, T(alpha), x.squareAvg, 1)
    if let ga = x.gradAvg {
      T.axpby(n, T((1 - alpha) * sign), x.grad, 1, T(alpha), ga, 1)
      if hasDecay { T.axpy(n, T((1 - alpha) * weightDecay), UnsafePointer(x.param), 1, ga, 1) }
    }
    if let b = x.buffer { T.scal(n, T(momentum), b, 1) }

    let signT = T(sign)
    let wd = T(weightDecay)
    let oneMinusAlpha = T(1 - alpha)
    let e = T(eps)
    let negLR = T(-lr)
    let p = x.param
    let g = x.grad
    let v = x.squareAvg
    let ga = x.gradAvg
    let b = x.buffer
    @inline(__always) func element(_ i: Int, centered: Bool, momentum: Bool) {
      let d = hasDecay ? signT * g[i] + wd * p[i] : signT * g[i]
      let sq = v[i] + oneMinusAlpha * d * d
      v[i] = sq
      let variance = centered ? sq - ga![i] * ga![i] : sq
      let avg = variance.squareRoot() + e
      if momentum {
        b![i] = b![i] + d / avg
      } else {
        p[i] = p[i] + negLR * d / avg
      }
    }
    parallelChunks(n) { range in
      switch (ga != nil, b != nil) {
      case (false, false): for i in range { element(i, centered: false, momentum: false) }
      case (false, true): for i in range { element(i, centered: false, momentum: true) }
      case (true, false): for i in range { element(i, centered: true, momentum: false) }
      case (true, true): for i in range { element(i, centered: true, momentum: true) }
      }
    }
    if let b { T.axpy(n, T(-lr), UnsafePointer(b), 1, p, 1) }
  }
}
