import CDescentKernels
import Descent

/// One SGD update of one parameter, with a group's hyperparameters.
struct SGDKernel {
  var lr: Double
  var momentum: Double
  var dampening: Double
  var weightDecay: Double
  var nesterov: Bool
  var maximize: Bool

  init(_ group: ParamGroup) {
    lr = group.lr
    momentum = group.momentum
    dampening = group.dampening
    weightDecay = group.weightDecay
    nesterov = group.nesterov
    maximize = group.maximize
  }

  /// The group's hyperparameters for the fused C kernel, which rounds each to the element
  /// type as the scalar code did.
  var fusedConfig: descent_sgd_config {
    descent_sgd_config(
      sign: maximize ? -1 : 1, weight_decay: weightDecay, momentum: momentum,
      one_minus_dampening: 1 - dampening, neg_lr: -lr, has_decay: weightDecay != 0 ? 1 : 0,
      nesterov: nesterov ? 1 : 0)
  }

  /// The fused kernel's entry for one parameter, starting at `start` in the group's
  /// concatenation. `buffer` is the momentum buffer (`nil` without momentum); on the first
  /// step (`firstStep`) it is written, not read: PyTorch's `buf = grad.clone()`.
  func fusedEntry(
    start: Int64, param: Tensor, grad: Tensor, buffer: Tensor?, firstStep: Bool
  ) -> descent_sgd_tensor {
    descent_sgd_tensor(
      param: param.kernelAddress(), grad: UnsafeRawPointer(grad.kernelAddress()),
      momentum_buffer: buffer?.kernelAddress(), start: start, count: Int64(param.count),
      first_step: firstStep ? 1 : 0, reserved: 0)
  }

  /// Runs the fused kernel over every entry of `tables`, one pass per dtype, split across
  /// threads. Per element, in `_single_tensor_sgd`'s order:
  /// `d = ±g (+ wd·p)`, `b = d` or `b = b·μ + (1-τ)·d`, `d = d + μ·b` or `d = b`,
  /// `p = p + (-lr)·d`.
  func runFused(_ tables: KernelTables<descent_sgd_tensor>) {
    var config = fusedConfig
    withUnsafePointer(to: &config) { c in
      tables.float32.run(descent_sgd_f32, config: c)
      tables.float64.run(descent_sgd_f64, config: c)
    }
  }

  /// The same update from BLAS level 1, using linearity to fold the sign and the weight
  /// decay into the coefficients instead of forming `d` in a temporary:
  /// `b = μ·b + (1-τ)·(±g) + (1-τ)·wd·p`, then `p = p - lr·b` or, with Nesterov,
  /// `p = (1 - lr·wd)·p - lr·(±g) - lr·μ·b`.
  func blas<T: TensorScalar>(
    count n: Int, param p: UnsafeMutablePointer<T>, grad g: UnsafePointer<T>,
    buffer b: UnsafeMutablePointer<T>?, firstStep: Bool
  ) {
    let sign: Double = maximize ? -1 : 1
    let hasDecay = weightDecay != 0
    // p ← (1 - lr·wd)·p - lr·(±g): the step without momentum, and Nesterov's gradient term.
    func gradientStep() {
      if hasDecay {
        T.axpby(n, T(-lr * sign), g, 1, T(1 - lr * weightDecay), p, 1)
      } else {
        T.axpy(n, T(-lr * sign), g, 1, p, 1)
      }
    }
    guard let b else {
      gradientStep()
      return
    }
    if firstStep {
      b.update(from: g, count: n)
      if maximize { T.scal(n, -1, b, 1) }
      if hasDecay { T.axpy(n, T(weightDecay), UnsafePointer(p), 1, b, 1) }
    } else {
      T.axpby(n, T((1 - dampening) * sign), g, 1, T(momentum), b, 1)
      if hasDecay { T.axpy(n, T((1 - dampening) * weightDecay), UnsafePointer(p), 1, b, 1) }
    }
    if nesterov {
      gradientStep()
      T.axpy(n, T(-lr * momentum), UnsafePointer(b), 1, p, 1)
    } else {
      T.axpy(n, T(-lr), UnsafePointer(b), 1, p, 1)
    }
  }
}
