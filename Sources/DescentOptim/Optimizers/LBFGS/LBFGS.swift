import Descent

/// L-BFGS (`torch.optim.LBFGS`): a quasi-Newton method that re-evaluates the objective as
/// often as it needs within one ``step(closure:)``.
///
/// A step runs up to `maxIter` iterations over the parameters flattened into one vector
/// `x`, with the flat gradient `g`:
///
/// ```
/// d ← -g                                              first iteration ever
/// otherwise, with y = g - g_prev, s = t_prev · d_prev:
///     if y·s > 1e-10: append (y, s, ρ = 1/(y·s)) to the last history_size pairs,
///                     H_diag ← (y·s)/(y·y)
///     q ← -g;  for i newest → oldest: αᵢ = ρᵢ·(sᵢ·q),  q ← q - αᵢ·yᵢ
///     d ← H_diag · q;  for i oldest → newest: βᵢ = ρᵢ·(yᵢ·d),  d ← d + (αᵢ - βᵢ)·sᵢ
/// t ← min(1, 1/‖g‖₁) · lr on the first iteration ever, lr afterwards
/// stop if g·d > -tolerance_change
/// strong Wolfe line search for t along d (c1 = 1e-4, c2 = 0.9), or a fixed step t
/// x ← x + t·d
/// stop after max_iter iterations or max_eval evaluations, when ‖g‖∞ ≤ tolerance_grad,
/// ‖t·d‖∞ ≤ tolerance_change or |loss - loss_prev| < tolerance_change
/// ```
///
/// It is a literal port of `lbfgs.py` (PyTorch 2.13): the same branches, the same
/// evaluation counts, and the same numbers (the inner products and axpys of the two-loop
/// recursion go to BLAS). Numbers that PyTorch keeps as 0-d tensors (`y·s`, `H_diag`, the
/// step `t` after the first iteration's scaling, the line search's slopes) are rounded to
/// the parameters' dtype, as there.
///
/// ```swift
/// let optimizer = try LBFGS(model.parameters(), lineSearchFn: .strongWolfe)
/// for _ in 0..<10 {
///   let loss = try optimizer.step {
///     optimizer.zeroGrad()
///     let loss = criterion(model(x), y)
///     loss.backward()
///     return loss
///   }
/// }
/// ```
///
/// LBFGS is not an ``Optimizer`` subclass: its step needs a closure, it has a single
/// parameter group, and its state is global (PyTorch keeps it under the first parameter,
/// as ``state(for:)`` and ``stateDict()`` do here). All parameters must have one floating
/// dtype and be contiguous. It is not in ``OptimizerKind``'s registry, whose optimizers
/// step without a closure.
public final class LBFGS {
  /// The line searches LBFGS supports (`line_search_fn`).
  public enum LineSearch: String, Sendable {
    /// A line search that satisfies the strong Wolfe conditions (`'strong_wolfe'`).
    case strongWolfe = "strong_wolfe"
  }

  /// The single parameter group. Its hyperparameters (`lr`, `max_iter`, `max_eval`,
  /// `tolerance_grad`, `tolerance_change`, `history_size`, `line_search_fn`) are read at
  /// every step and can be changed between steps.
  public var paramGroups: [ParamGroup]
  /// The constructor's hyperparameters.
  public let defaults: [String: HyperValue]
  /// The global state; `nil` before the first step.
  var state: LBFGSState?

  /// Creates LBFGS over `params`.
  ///
  /// - Parameters:
  ///   - lr: the step size (default 1): the line search's first trial step, or the fixed
  ///     step without one. Must be ≥ 0.
  ///   - maxIter: the most iterations per ``step(closure:)`` (default 20).
  ///   - maxEval: the most closure evaluations per step (default `nil`: `maxIter * 5 / 4`,
  ///     rounded down).
  ///   - toleranceGrad: stop when the gradient's largest magnitude is at most this
  ///     (default 1e-7).
  ///   - toleranceChange: stop when the step or the loss changes by less (default 1e-9).
  ///   - historySize: the number of curvature pairs kept (default 100). Must be ≥ 1
  ///     (PyTorch fails at its second iteration with 0).
  ///   - lineSearchFn: `.strongWolfe`, or `nil` for fixed steps (default `nil`).
  /// - Throws: ``OptimizerError`` with PyTorch's message for an invalid learning rate, and
  ///   for an empty, non-floating, non-leaf, duplicated, non-contiguous or mixed-dtype
  ///   parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1, maxIter: Int = 20, maxEval: Int? = nil,
    toleranceGrad: Double = 1e-7, toleranceChange: Double = 1e-9, historySize: Int = 100,
    lineSearchFn: LineSearch? = nil
  ) throws {
    if !(0 <= lr) { throw OptimizerError("Invalid learning rate: \(lr)") }
    guard historySize >= 1 else {
      throw OptimizerError("LBFGS's history_size must be at least 1, got \(historySize)")
    }
    // max_iter * 5 // 4: Python's floor division.
    let floorDivided = (maxIter * 5).quotientAndRemainder(dividingBy: 4)
    let defaultMaxEval = floorDivided.quotient - (floorDivided.remainder < 0 ? 1 : 0)
    defaults = [
      "lr": .number(lr), "max_iter": .number(Double(maxIter)),
      "max_eval": .number(Double(maxEval ?? defaultMaxEval)),
      "tolerance_grad": .number(toleranceGrad), "tolerance_change": .number(toleranceChange),
      "history_size": .number(Double(historySize)),
      "line_search_fn": lineSearchFn.map { .string($0.rawValue) } ?? .null,
    ]
    try Self.checkParameters(params)
    paramGroups = [ParamGroup(params, defaults)]
  }

  /// Creates LBFGS from parameter groups, which must be exactly one: LBFGS refuses
  /// per-parameter options with PyTorch's message. The group's own hyperparameters
  /// override the other arguments.
  public convenience init(
    _ groups: [ParamGroup], lr: Double = 1, maxIter: Int = 20, maxEval: Int? = nil,
    toleranceGrad: Double = 1e-7, toleranceChange: Double = 1e-9, historySize: Int = 100,
    lineSearchFn: LineSearch? = nil
  ) throws {
    guard groups.count == 1 else {
      if groups.isEmpty { throw OptimizerError("optimizer got an empty parameter list") }
      throw OptimizerError("LBFGS doesn't support per-parameter options (parameter groups)")
    }
    try self.init(
      groups[0].params, lr: lr, maxIter: maxIter, maxEval: maxEval, toleranceGrad: toleranceGrad,
      toleranceChange: toleranceChange, historySize: historySize, lineSearchFn: lineSearchFn)
    var group = paramGroups[0]
    try Self.complete(&group, from: groups[0].hyperparameters, defaults: defaults)
    paramGroups[0] = group
  }

  /// Always throws: LBFGS has one parameter group (PyTorch's message).
  public func addParamGroup(_ group: ParamGroup) throws {
    throw OptimizerError("LBFGS doesn't support per-parameter options (parameter groups)")
  }

  /// The parameters, in order.
  var params: [Tensor] { paramGroups[0].params }

  /// Resets the gradients of all parameters (`zero_grad`): to `nil` by default, or to zeros
  /// in place with `setToNone: false`.
  public func zeroGrad(setToNone: Bool = true) {
    for group in paramGroups {
      for param in group.params where param.grad != nil {
        if setToNone {
          param.grad = nil
        } else {
          withNoGrad { _ = param.grad!.fill(0) }
        }
      }
    }
  }

  /// Performs one optimization step (`step(closure)`): up to `max_iter` L-BFGS iterations,
  /// calling `closure` as often as they need (with gradient recording on).
  ///
  /// - Parameter closure: zeroes the gradients, computes the loss, calls `backward()` and
  ///   returns the loss (a one-element tensor).
  /// - Returns: the closure's first loss of this step (before any update).
  /// - Throws: what `closure` throws, and ``OptimizerError`` when the optimizer has several
  ///   parameter groups or an unsupported `line_search_fn`.
  @discardableResult
  public func step(closure: () throws -> Tensor) throws -> Tensor {
    guard paramGroups.count == 1 else {
      throw OptimizerError("Expected exactly one param_group, but got \(paramGroups.count)")
    }
    guard params[0].dtype == .float32 || params[0].dtype == .float64 else {
      throw OptimizerError("LBFGS supports float32 and float64 parameters, got \(params[0].dtype)")
    }
    return try withNoGrad {
      params[0].dtype == .float32
        ? try run(Float.self, closure) : try run(Double.self, closure)
    }
  }

  // MARK: The algorithm (LBFGS.step in lbfgs.py)

  private func run<T: TensorScalar>(_: T.Type, _ closure: () throws -> Tensor) throws -> Tensor {
    typealias Number = PythonNumber<T>
    typealias V = FlatVector<T>
    let group = paramGroups[0]
    let lr = Number.float(group.lr)
    let maxIter = Int(group.number("max_iter"))
    let maxEval = Int(group.number("max_eval"))
    let toleranceGrad = Number.float(group.number("tolerance_grad"))
    let toleranceChange = group.number("tolerance_change")
    let lineSearchFn = group["line_search_fn"]
    let historySize = Int(group.number("history_size"))

    // NOTE: LBFGS has only global state, kept as the state of the first parameter.
    if state == nil { state = LBFGSState() }

    // evaluate initial f(x) and df/dx
    let origLoss = try withGrad { try closure() }
    var loss = origLoss.item()
    var currentEvals = 1
    state!.funcEvals += 1

    var flatGrad = gatherFlatGrad(T.self)
    var optCond = Number.tensor(V.maxMagnitude(flatGrad)) <= toleranceGrad
    // optimal condition
    if optCond { return origLoss }

    // tensors cached in state (for tracing)
    var d = state!.d
    var t = state!.t.map { Number($0) }
    var oldDirs = state!.oldDirs ?? []
    var oldStps = state!.oldStps ?? []
    var ro = (state!.ro ?? []).map { Number($0) }
    var hDiag: Number = state!.hDiag.map { Number($0) } ?? 1
    var prevFlatGrad = state!.prevFlatGrad
    var prevLoss = state!.prevLoss

    var nIter = 0
    // optimize for a max of max_iter iterations
    while nIter < maxIter {
      // keep track of nb of iterations
      nIter += 1
      state!.nIter += 1

      // compute gradient descent direction
      if state!.nIter == 1 {
        d = V.scaled(flatGrad, by: -1)
        oldDirs = []
        oldStps = []
        ro = []
        hDiag = 1
      } else {
        // do lbfgs update (update memory)
        let y = V.difference(flatGrad, prevFlatGrad!)
        let s = V.scaled(d!, by: t!.scalar)
        let ys = Number.tensor(V.dot(y, s))  // y*s
        if ys > 1e-10 {
          // updating memory
          if oldDirs.count == historySize {
            // shift history by one (limited-memory)
            oldDirs.removeFirst()
            oldStps.removeFirst()
            ro.removeFirst()
          }
          // store new direction/step
          oldDirs.append(y)
          oldStps.append(s)
          ro.append(Number.float(1.0) / ys)
          // update scale of initial Hessian approximation
          hDiag = ys / Number.tensor(V.dot(y, y))  // (y*y)
        }

        // compute the approximate (L-BFGS) inverse Hessian multiplied by the gradient
        let numOld = oldDirs.count
        if state!.al == nil { state!.al = Array(repeating: nil, count: historySize) }
        var al: [Number?] = state!.al!.map { $0.map { Number($0) } }
        if al.count < numOld { al += Array(repeating: nil, count: numOld - al.count) }

        // iteration in L-BFGS loop collapsed to use just one buffer
        let q = V.scaled(flatGrad, by: -1)
        for i in stride(from: numOld - 1, through: 0, by: -1) {
          let alpha = Number.tensor(V.dot(oldStps[i], q)) * ro[i]
          al[i] = alpha
          V.add(q, oldDirs[i], alpha: (-alpha).scalar)
        }
        // multiply by initial Hessian; r/d is the final direction
        let r = V.scaled(q, by: hDiag.scalar)
        for i in 0..<numOld {
          let be = Number.tensor(V.dot(oldDirs[i], r)) * ro[i]
          V.add(r, oldStps[i], alpha: (al[i]! - be).scalar)
        }
        d = r
        state!.al = al.map { $0.map { PythonNumber<Double>($0) } }
      }

      prevFlatGrad = flatGrad.clone()
      prevLoss = loss

      // compute step length: reset initial guess for step size
      if state!.nIter == 1 {
        t = pythonMin(Number.float(1.0), Number.float(1.0) / Number.tensor(V.sumOfMagnitudes(flatGrad))) * lr
      } else {
        t = lr
      }

      // directional derivative
      let gtd = Number.tensor(V.dot(flatGrad, d!))  // g * d
      // directional derivative is below tolerance
      if gtd > -Number.float(toleranceChange) { break }

      // optional line search: user function
      var lsFuncEvals = 0
      if let lineSearchFn, lineSearchFn != .null {
        // perform line search, using user function
        guard lineSearchFn == .string(LineSearch.strongWolfe.rawValue) else {
          throw OptimizerError("only 'strong_wolfe' is supported")
        }
        let xInit = params.map { $0.clone() }
        let result = try StrongWolfe<T>.search(
          { t, d in try directionalEvaluate(closure, xInit, t.scalar, d) }, t: t!, d: d!, f: loss,
          g: flatGrad, gtd: gtd, maxLS: maxEval - currentEvals)
        loss = result.loss
        flatGrad = result.flatGrad
        t = result.t
        lsFuncEvals = result.evaluations
        addGrad(t!.scalar, d!)
        optCond = Number.tensor(V.maxMagnitude(flatGrad)) <= toleranceGrad
      } else {
        // no line search, simply move with fixed-step
        addGrad(t!.scalar, d!)
        if nIter != maxIter {
          // re-evaluate function only if not in last iteration; in a stochastic setting
          // there is no use re-evaluating it here
          loss = try withGrad { try closure() }.item()
          flatGrad = gatherFlatGrad(T.self)
          optCond = Number.tensor(V.maxMagnitude(flatGrad)) <= toleranceGrad
          lsFuncEvals = 1
        }
      }
      // update func eval
      currentEvals += lsFuncEvals
      state!.funcEvals += lsFuncEvals

      // check conditions
      if nIter == maxIter { break }
      if currentEvals >= maxEval { break }
      // optimal condition
      if optCond { break }
      // lack of progress
      if Number.tensor(V.maxMagnitude(d!, scaledBy: t!.scalar)) <= .float(toleranceChange) { break }
      if Swift.abs(loss - prevLoss!) < toleranceChange { break }
    }

    state!.d = d
    state!.t = t.map { PythonNumber<Double>($0) }
    state!.oldDirs = oldDirs
    state!.oldStps = oldStps
    state!.ro = ro.map { PythonNumber<Double>($0) }
    state!.hDiag = PythonNumber<Double>(hDiag)
    state!.prevFlatGrad = prevFlatGrad
    state!.prevLoss = prevLoss
    return origLoss
  }

  /// The gradients of all parameters in one vector (zeros for a parameter without one).
  private func gatherFlatGrad<T: TensorScalar>(_: T.Type) -> Tensor {
    let flat = Tensor.zeros([params.reduce(0) { $0 + $1.count }], dtype: T.dtype)
    var offset = 0
    withExtendedLifetime(flat) {
      let out = flat.rawPointer(T.self)
      for param in params {
        if let grad = param.grad {
          let source = grad.isContiguous ? grad : grad.contiguous()
          withExtendedLifetime(source) {
            (out + offset).update(from: source.rawPointer(T.self), count: param.count)
          }
        }
        offset += param.count
      }
    }
    return flat
  }

  /// `x ← x + step·update` over the parameters in place (`_add_grad`).
  private func addGrad<T: TensorScalar>(_ step: T, _ update: Tensor) {
    var offset = 0
    withExtendedLifetime(update) {
      let source = update.rawPointer(T.self)
      for param in params {
        withExtendedLifetime(param) {
          T.axpy(param.count, step, source + offset, 1, param.rawPointer(T.self), 1)
        }
        offset += param.count
      }
    }
  }

  /// The loss and flat gradient at `x + t·d`; the parameters are restored to `x`
  /// (`_directional_evaluate`).
  private func directionalEvaluate<T: TensorScalar>(
    _ closure: () throws -> Tensor, _ x: [Tensor], _ t: T, _ d: Tensor
  ) throws -> (Double, Tensor) {
    addGrad(t, d)
    let loss = try withGrad { try closure() }.item()
    let flatGrad = gatherFlatGrad(T.self)
    for (param, saved) in zip(params, x) { param.copyInPlace(from: saved) }
    return (loss, flatGrad)
  }

  // MARK: Checks

  static func checkParameters(_ params: [Tensor]) throws {
    try Optimizer.checkParameters(params, optimizerName: "LBFGS")
    let first = params[0]
    var seen = Set<ObjectIdentifier>()
    for param in params {
      guard param.dtype == first.dtype else {
        throw OptimizerError(
          "LBFGS flattens its parameters into one vector and needs them in one dtype, got \(first.dtype) and \(param.dtype)"
        )
      }
      guard seen.insert(ObjectIdentifier(param)).inserted else {
        throw OptimizerError("optimizer contains a parameter group with duplicate parameters")
      }
    }
  }

  /// Sets `group`'s hyperparameters from `values`, checking names, kinds and `lr`.
  static func complete(
    _ group: inout ParamGroup, from values: [String: HyperValue], defaults: [String: HyperValue]
  ) throws {
    for (key, value) in values.sorted(by: { $0.key < $1.key }) {
      if let standard = defaults[key] {
        let textOrNone = key == "line_search_fn" && (value == .null || value.string != nil)
        guard textOrNone || value.hasSameKind(as: standard) else {
          throw OptimizerError(
            "hyperparameter '\(key)' of LBFGS must be \(standard.kindName), got \(value)")
        }
      } else if try !ParamGroup.isSchedulerKey(key, value) {
        let known = defaults.keys.sorted().joined(separator: ", ")
        throw OptimizerError("LBFGS has no hyperparameter '\(key)' (it has: \(known))")
      }
      group[key] = value
    }
    let lr = group.lr
    if !(0 <= lr) { throw OptimizerError("Invalid learning rate: \(lr)") }
  }
}
