import Descent

/// The line search of `torch.optim.LBFGS` (`_strong_wolfe` and `_cubic_interpolate` in
/// `lbfgs.py`, themselves ported from minFunc's `lswolfe.lua` and `polyinterp.lua`),
/// line for line. Losses are Python floats; directional derivatives are 0-d tensors.
enum StrongWolfe<T: TensorScalar> {
  typealias Number = PythonNumber<T>

  /// The minimiser of the cubic through `(x1, f1)` and `(x2, f2)` with slopes `g1`, `g2`,
  /// clamped to `bounds` (default: between the points); their midpoint when the cubic has
  /// no minimum.
  static func cubicInterpolate(
    _ x1: Number, _ f1: Number, _ g1: Number, _ x2: Number, _ f2: Number, _ g2: Number,
    bounds: (Number, Number)? = nil
  ) -> Number {
    let (xminBound, xmaxBound) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
    let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    let d2Square = d1.squared - g1 * g2
    if d2Square >= 0 {
      let d2 = d2Square.squareRoot
      let minPos =
        x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
      return pythonMin(pythonMax(minPos, xminBound), xmaxBound)
    }
    return (xminBound + xmaxBound) / 2.0
  }

  /// The result of a line search: the loss and flat gradient at the step `t`, and the
  /// number of evaluations it made.
  struct Result {
    var loss: Double
    var flatGrad: Tensor
    var t: Number
    var evaluations: Int
  }

  /// Searches along `d` from the parameters `x` (loss `f`, flat gradient `g`, directional
  /// derivative `gtd`) for a step satisfying the strong Wolfe conditions, starting at `t`.
  /// `evaluate(x, t, d)` returns the loss and flat gradient at `x + t·d` (and restores
  /// `x`).
  static func search(
    _ evaluate: (Number, Tensor) throws -> (Double, Tensor), t initial: Number, d: Tensor,
    f: Double, g: Tensor, gtd: Number, c1: Double = 1e-4, c2: Double = 0.9,
    toleranceChange: Double = 1e-9, maxLS: Int
  ) throws -> Result {
    var t = initial
    let dNorm = Number.tensor(FlatVector<T>.maxMagnitude(d))
    var (fNew, gNew) = try evaluate(t, d)
    var lsFuncEvals = 1
    var gtdNew = Number.tensor(FlatVector<T>.dot(gNew, d))

    // Bracket an interval containing a point satisfying the Wolfe criteria.
    var tPrev: Number = 0
    var fPrev = f
    var gPrev = g
    var gtdPrev = gtd
    var done = false
    var lsIter = 0
    var bracket: [Number] = []
    var bracketF: [Double] = []
    var bracketG: [Tensor] = []
    var bracketGtd: [Number] = []
    var bracketed = false
    let c1 = Number.float(c1)
    let c2 = Number.float(c2)
    while lsIter < maxLS {
      // check conditions
      if Number.float(fNew) > (Number.float(f) + c1 * t * gtd) || (lsIter > 1 && fNew >= fPrev) {
        (bracket, bracketF, bracketG, bracketGtd) = (
          [tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]
        )
        bracketed = true
        break
      }
      if gtdNew.magnitude <= -c2 * gtd {
        (bracket, bracketF, bracketG) = ([t], [fNew], [gNew])
        bracketed = true
        done = true
        break
      }
      if gtdNew >= 0 {
        (bracket, bracketF, bracketG, bracketGtd) = (
          [tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]
        )
        bracketed = true
        break
      }
      // interpolate
      let minStep = t + 0.01 * (t - tPrev)
      let maxStep = t * 10
      let tmp = t
      t = cubicInterpolate(tPrev, .float(fPrev), gtdPrev, t, .float(fNew), gtdNew, bounds: (minStep, maxStep))
      // next step
      tPrev = tmp
      fPrev = fNew
      gPrev = gNew
      gtdPrev = gtdNew
      (fNew, gNew) = try evaluate(t, d)
      lsFuncEvals += 1
      gtdNew = .tensor(FlatVector<T>.dot(gNew, d))
      lsIter += 1
    }

    // reached max number of iterations?
    if lsIter == maxLS {
      (bracket, bracketF, bracketG) = ([0, t], [f, fNew], [g, gNew])
      bracketed = true
    }
    guard bracketed else {
      // PyTorch fails here with an UnboundLocalError (max_eval below the evaluations made).
      throw OptimizerError(
        "LBFGS's line search was given \(maxLS) function evaluations: max_eval must exceed the evaluations made before the line search"
      )
    }

    // Zoom phase: we now have a point satisfying the criteria, or a bracket around it. We
    // refine the bracket until we find the exact point satisfying the criteria.
    var insufficientProgress = false
    // find high and low points in bracket
    var (lowPos, highPos) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
    while !done && lsIter < maxLS {
      // line-search bracket is so small
      if ((bracket[1] - bracket[0]).magnitude * dNorm) < Number.float(toleranceChange) { break }

      // compute new trial value
      t = cubicInterpolate(
        bracket[0], .float(bracketF[0]), bracketGtd[0], bracket[1], .float(bracketF[1]), bracketGtd[1])

      // test that we are making sufficient progress: in case `t` is so close to boundary,
      // we mark that we are making insufficient progress, and if we have made insufficient
      // progress in the last step, or `t` is at one of the boundary, we will move `t` to a
      // position which is `0.1 * len(bracket)` away from the nearest boundary point.
      let high = pythonMax(bracket[0], bracket[1])
      let low = pythonMin(bracket[0], bracket[1])
      let eps = 0.1 * (high - low)
      if pythonMin(high - t, t - low) < eps {
        // interpolation close to boundary
        if insufficientProgress || t >= high || t <= low {
          // evaluate at 0.1 away from boundary
          t = (t - high).magnitude < (t - low).magnitude ? high - eps : low + eps
          insufficientProgress = false
        } else {
          insufficientProgress = true
        }
      } else {
        insufficientProgress = false
      }

      // Evaluate new point
      (fNew, gNew) = try evaluate(t, d)
      lsFuncEvals += 1
      gtdNew = .tensor(FlatVector<T>.dot(gNew, d))
      lsIter += 1

      if Number.float(fNew) > (Number.float(f) + c1 * t * gtd) || fNew >= bracketF[lowPos] {
        // Armijo condition not satisfied or not lower than lowest point
        bracket[highPos] = t
        bracketF[highPos] = fNew
        bracketG[highPos] = gNew
        bracketGtd[highPos] = gtdNew
        (lowPos, highPos) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
      } else {
        if gtdNew.magnitude <= -c2 * gtd {
          // Wolfe conditions satisfied
          done = true
        } else if gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0 {
          // old high becomes new low
          bracket[highPos] = bracket[lowPos]
          bracketF[highPos] = bracketF[lowPos]
          bracketG[highPos] = bracketG[lowPos]
          bracketGtd[highPos] = bracketGtd[lowPos]
        }
        // new point becomes new low
        bracket[lowPos] = t
        bracketF[lowPos] = fNew
        bracketG[lowPos] = gNew
        bracketGtd[lowPos] = gtdNew
      }
    }

    // return stuff
    return Result(
      loss: bracketF[lowPos], flatGrad: bracketG[lowPos], t: bracket[lowPos], evaluations: lsFuncEvals)
  }
}
