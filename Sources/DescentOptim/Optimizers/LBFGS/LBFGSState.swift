import Descent

/// LBFGS's global state under `lbfgs.py`'s names, with each number's Python kind.
struct LBFGSState {
  var funcEvals = 0
  var nIter = 0
  /// The last search direction.
  var d: Tensor?
  /// The last step length.
  var t: PythonNumber<Double>?
  /// The curvature pairs `y` and `s`, oldest first.
  var oldDirs: [Tensor]?
  var oldStps: [Tensor]?
  /// `1 / (y·s)` of each pair.
  var ro: [PythonNumber<Double>]?
  /// The scale of the initial inverse Hessian.
  var hDiag: PythonNumber<Double>?
  var prevFlatGrad: Tensor?
  var prevLoss: Double?
  /// The two-loop recursion's coefficients; `nil` entries are Python's `None`.
  var al: [PythonNumber<Double>?]?
}

extension LBFGS {
  /// The state of `param` under PyTorch's keys: LBFGS's global state for the first
  /// parameter (where PyTorch keeps it), empty for the others and before the first step.
  ///
  /// Layout (as tensors, so that a checkpoint can save it): `func_evals` and `n_iter`
  /// (int64 scalars); `d` and `prev_flat_grad` (flat vectors); `t` and `H_diag` (scalars:
  /// the parameters' dtype where PyTorch holds a 0-d tensor, float64 for a Python float,
  /// int64 for a Python int); `old_dirs` and `old_stps` (the history stacked, `[k, n]`);
  /// `ro` (`[k]`); `prev_loss` (a float64 scalar); `al` (the entries set so far, `[m]`; the
  /// remaining `history_size - m` entries are `None`). Keys that PyTorch holds as `None`
  /// are absent.
  public func state(for param: Tensor) -> [String: Tensor] {
    guard let state, params.first === param else { return [:] }
    let dtype = params[0].dtype
    func number(_ n: PythonNumber<Double>) -> Tensor {
      switch n.kind {
      case .int: Tensor([Int(n.value)], shape: [])
      case .float: Tensor(scalar: n.value, dtype: .float64)
      case .tensor: Tensor(scalar: n.value, dtype: dtype)
      }
    }
    func stacked(_ vectors: [Tensor]) -> Tensor {
      let n = params.reduce(0) { $0 + $1.count }
      return vectors.isEmpty
        ? Tensor.zeros([0, n], dtype: dtype) : Tensor.stack(vectors.map { $0.detach() }, dim: 0)
    }
    var dict: [String: Tensor] = [
      "func_evals": Tensor([state.funcEvals], shape: []), "n_iter": Tensor([state.nIter], shape: []),
    ]
    if let d = state.d { dict["d"] = d }
    if let t = state.t { dict["t"] = number(t) }
    if let oldDirs = state.oldDirs { dict["old_dirs"] = stacked(oldDirs) }
    if let oldStps = state.oldStps { dict["old_stps"] = stacked(oldStps) }
    if let ro = state.ro { dict["ro"] = Tensor(ro.map(\.value), shape: [ro.count], dtype: dtype) }
    if let hDiag = state.hDiag { dict["H_diag"] = number(hDiag) }
    if let prevFlatGrad = state.prevFlatGrad { dict["prev_flat_grad"] = prevFlatGrad }
    if let prevLoss = state.prevLoss { dict["prev_loss"] = Tensor(scalar: prevLoss, dtype: .float64) }
    if let al = state.al {
      let set = al.prefix { $0 != nil }.map { $0!.value }
      dict["al"] = Tensor(set, shape: [set.count], dtype: dtype)
    }
    return dict
  }

  /// A snapshot of the state and the group in PyTorch's `state_dict()` layout: the global
  /// state under index 0 (see ``state(for:)``), one group with every parameter's index.
  /// The tensors are copies.
  public func stateDict() -> OptimizerStateDict {
    let entries = params.first.map { state(for: $0) } ?? [:]
    let group = OptimizerStateDict.Group(
      params: Array(params.indices), hyperparameters: paramGroups[0].hyperparameters)
    return OptimizerStateDict(
      state: entries.isEmpty ? [:] : [0: withNoGrad { entries.mapValues { $0.detach().clone() } }],
      paramGroups: [group])
  }

  /// Loads a state saved by ``stateDict()`` (`load_state_dict`): the group's
  /// hyperparameters and the global state, cast to the parameters' dtype. Nothing changes
  /// when it throws.
  public func loadStateDict(_ stateDict: OptimizerStateDict) throws {
    guard stateDict.paramGroups.count == 1 else {
      throw OptimizerError("loaded state dict has a different number of parameter groups")
    }
    guard stateDict.paramGroups[0].params.count == params.count else {
      throw OptimizerError(
        "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
      )
    }
    var group = ParamGroup(params, defaults)
    try Self.complete(&group, from: stateDict.paramGroups[0].hyperparameters, defaults: defaults)
    for key in stateDict.state.keys where key != stateDict.paramGroups[0].params.first {
      throw OptimizerError(
        "loaded state dict has state for parameter \(key), but LBFGS keeps its state under the first parameter"
      )
    }
    let values = stateDict.paramGroups[0].params.first.flatMap { stateDict.state[$0] } ?? [:]
    let historySize = Int(group.number("history_size"))
    let loaded = try values.isEmpty ? nil : decodeState(values, historySize: historySize)
    paramGroups = [group]
    state = loaded
  }

  private func decodeState(_ values: [String: Tensor], historySize: Int) throws -> LBFGSState {
    let known: Set<String> = [
      "func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad",
      "prev_loss", "al",
    ]
    for key in values.keys.sorted() where !known.contains(key) {
      throw OptimizerError("loaded state dict has '\(key)', which LBFGS does not keep")
    }
    let dtype = params[0].dtype
    let n = params.reduce(0) { $0 + $1.count }
    func entry(_ key: String, shape: [Int]?) throws -> Tensor? {
      guard let value = values[key] else { return nil }
      if let shape, value.shape != shape {
        throw OptimizerError(
          "state '\(key)' of LBFGS has shape \(value.shape), but LBFGS keeps it in shape \(shape)")
      }
      guard value.dtype != .bool else {
        throw OptimizerError("state '\(key)' of LBFGS is a torch.bool tensor")
      }
      return value
    }
    func vector(_ key: String) throws -> Tensor? {
      try entry(key, shape: [n]).map { value in withNoGrad { value.to(dtype: dtype).detach().clone() } }
    }
    func number(_ key: String) throws -> PythonNumber<Double>? {
      guard let value = try entry(key, shape: nil) else { return nil }
      guard value.count == 1 else {
        throw OptimizerError("state '\(key)' of LBFGS must be a single number, got shape \(value.shape)")
      }
      switch value.dtype {
      case .int64: return .int(Int(value.item()))
      case dtype: return .tensor(value.item())
      default:
        // A Python float; for float64 parameters the two kinds compute alike.
        return dtype == .float32 ? .float(value.item()) : .tensor(value.item())
      }
    }
    func history(_ key: String) throws -> [Tensor]? {
      guard let value = try entry(key, shape: nil) else { return nil }
      guard value.rank == 2, value.shape[1] == n else {
        throw OptimizerError(
          "state '\(key)' of LBFGS has shape \(value.shape), but LBFGS keeps it in shape [k, \(n)]")
      }
      let rows = withNoGrad { value.to(dtype: dtype).detach().contiguous() }
      return (0..<value.shape[0]).map { i in
        withNoGrad { rows.narrow(dim: 0, start: i, length: 1).reshape([n]).clone() }
      }
    }
    func list(_ key: String) throws -> [Double]? {
      guard let value = try entry(key, shape: nil) else { return nil }
      guard value.rank == 1 else {
        throw OptimizerError("state '\(key)' of LBFGS must be a list of numbers, got shape \(value.shape)")
      }
      return withNoGrad { value.to(dtype: dtype).asArray(Double.self) }
    }

    var state = LBFGSState()
    state.funcEvals = Int(try number("func_evals")?.value ?? 0)
    state.nIter = Int(try number("n_iter")?.value ?? 0)
    state.d = try vector("d")
    state.t = try number("t")
    state.oldDirs = try history("old_dirs")
    state.oldStps = try history("old_stps")
    state.ro = try list("ro")?.map { .tensor($0) }
    state.hDiag = try number("H_diag")
    state.prevFlatGrad = try vector("prev_flat_grad")
    state.prevLoss = try number("prev_loss")?.value
    if let al = try list("al") {
      state.al = al.map { .tensor($0) } + Array(repeating: nil, count: Swift.max(0, historySize - al.count))
    }
    let counts = [state.oldDirs?.count, state.oldStps?.count, state.ro?.count].compactMap { $0 }
    guard Set(counts).count <= 1 else {
      throw OptimizerError(
        "LBFGS's old_dirs, old_stps and ro must hold the same number of pairs, got \(counts)")
    }
    return state
  }
}
