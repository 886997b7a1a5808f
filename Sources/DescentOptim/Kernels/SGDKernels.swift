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

  /// `buffer` is the momentum buffer (`nil` without momentum); on the first step
  /// (`firstStep`) it is written, not read: PyTorch's `buf = grad.clone()`.
  func run<T: TensorScalar>(
    _: T.Type, count n: Int, param p: UnsafeMutablePointer<T>, grad g: UnsafePointer<T>,
    buffer b: UnsafeMutablePointer<T>?, firstStep: Bool, implementation: OptimizerImplementation
  ) {
    switch implementation {
    case .fused: fused(count: n, param: p, grad: g, buffer: b, firstStep: firstStep)
    case .blas: blas(count: n, param: p, grad: g, buffer: b, firstStep: firstStep)
    }
  }

  /// Per element, in `_single_tensor_sgd`'s order:
  /// `d = ±g (+ wd·p)`, `b = d` or `b = b·μ + (1-τ)·d`, `d = d + μ·b` or `d = b`,
  /// `p = p + (-lr)·d`.
  func fused<T: TensorScalar>(
    count n: Int, param p: UnsafeMutablePointer<T>, grad g: UnsafePointer<T>,
    buffer b: UnsafeMutablePointer<T>?, firstStep: Bool
  ) {
    // Negating by a multiplication with ±1 is exact, so it matches PyTorch's `-grad`.
    let sign: T = maximize ? -1 : 1
    let wd = T(weightDecay)
    let hasDecay = weightDecay != 0
    let mu = T(momentum)
    let undamped = T(1 - dampening)
    let negLR = T(-lr)
    // The flags are passed as literals below, so each loop is compiled without branches
    // and vectorises.
    @inline(__always) func element(_ i: Int, first: Bool, nesterov: Bool, momentum: Bool) {
      let grad = sign * g[i]
      let theta = p[i]
      var d = hasDecay ? grad + wd * theta : grad
      if momentum {
        let buf = first ? d : b![i] * mu + undamped * d
        b![i] = buf
        d = nesterov ? d + mu * buf : buf
      }
      p[i] = theta + negLR * d
    }
    parallelChunks(n) { range in
      switch (b != nil, firstStep, nesterov) {
      case (false, _, _): for i in range { element(i, first: false, nesterov: false, momentum: false) }
      case (true, true, false): for i in range { element(i, first: true, nesterov: false, momentum: true) }
      case (true, true, true): for i in range { element(i, first: true, nesterov: true, momentum: true) }
      case (true, false, false): for i in range { element(i, first: false, nesterov: false, momentum: true) }
      case (true, false, true): for i in range { element(i, first: false, nesterov: true, momentum: true) }
      }
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
