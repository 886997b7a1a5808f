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

  func run<T: TensorScalar>(
    count n: Int, _ x: Buffers<T>, implementation: OptimizerImplementation
  ) {
    switch implementation {
    case .fused: fused(count: n, x)
    case .blas: blas(count: n, x)
    }
  }

  /// Per element, in `_single_tensor_rmsprop`'s order:
  /// `d = ±g (+ wd·θ)`, `v = v·α + ((1-α)·d)·d`, `ḡ = lerp(ḡ, d, 1-α)` when centered,
  /// `a = sqrt(v + (-ḡ)·ḡ)` or `sqrt(v)`, `a = a + eps`,
  /// `b = b·μ + d/a`, `θ = θ + (-lr)·b` with momentum, else `θ = θ + ((-lr)·d)/a`.
  func fused<T: TensorScalar>(count n: Int, _ x: Buffers<T>) {
    // Negating by a multiplication with ±1 is exact, so it matches PyTorch's `-grad`.
    let sign: T = maximize ? -1 : 1
    let wd = T(weightDecay)
    let hasDecay = weightDecay != 0
    let a = T(alpha)
    let oneMinusAlpha = T(1 - alpha)
    let small = Swift.abs(oneMinusAlpha) < 0.5
    let e = T(eps)
    let mu = T(momentum)
    let negLR = T(-lr)
    let p = x.param
    let g = x.grad
    let v = x.squareAvg
    let ga = x.gradAvg
    let b = x.buffer
    // The flags are passed as literals below, so each loop is compiled without branches
    // and vectorises.
    @inline(__always) func element(_ i: Int, centered: Bool, momentum: Bool) {
      let theta = p[i]
      let grad = sign * g[i]
      let d = hasDecay ? grad + wd * theta : grad
      let sq = v[i] * a + oneMinusAlpha * d * d
      v[i] = sq
      var avg: T
      if centered {
        let mean = lerp(ga![i], d, weight: oneMinusAlpha, weightIsSmall: small)
        ga![i] = mean
        avg = (sq + -1 * mean * mean).squareRoot()
      } else {
        avg = sq.squareRoot()
      }
      avg = avg + e
      if momentum {
        let buf = b![i] * mu + 1 * d / avg
        b![i] = buf
        p[i] = theta + negLR * buf
      } else {
        p[i] = theta + negLR * d / avg
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
