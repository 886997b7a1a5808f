import Descent

/// An optimizer defined by an ``OptimizerRule``: the shared half of every optimizer.
///
/// It keeps each parameter's typed state, runs the rule over each group in the selected
/// ``OptimizerImplementation`` (one fused kernel call per group and dtype, split across
/// threads; or the BLAS form; or the scalar reference), and converts state to and from
/// PyTorch's layout for ``Optimizer/stateDict()`` and ``Optimizer/loadStateDict(_:)``.
/// Subclass it with a rule to add an optimizer (see ``OptimizerRule``).
open class RuleOptimizer<Rule: OptimizerRule>: Optimizer {
  private var slots: [ObjectIdentifier: StateSlot<Rule.State>] = [:] {
    didSet { slotGeneration &+= 1 }
  }
  /// Bumped whenever `slots` changes: the group plans below are then rebuilt.
  private var slotGeneration = 0
  /// Each group's slots in parameter order, so that a step over thousands of tensors does
  /// not look each one up in `slots` every time.
  private var plans: [GroupPlan<Rule.State>] = []
  /// The fused kernel's entries, reused from step to step.
  private let tables = KernelTables<Rule.FusedEntry>()

  /// Creates an optimizer over `params` (one group) with `defaults` as its hyperparameters
  /// under PyTorch's names; the rule reads them from each group.
  ///
  /// - Throws: ``OptimizerError`` for an empty parameter list, and whatever
  ///   ``Optimizer/addParamGroup(_:)`` or the rule's `validate()` throws.
  public override init(
    _ params: [Tensor], defaults: [String: HyperValue],
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(params, defaults: defaults, implementation: implementation)
  }

  override func validate(_ group: ParamGroup) throws {
    try Rule(group).validate()
  }

  override func performStep() throws {
    try performRuleStep()
  }

  /// A whole step: every group's gradients and state are checked before any group is
  /// updated. Each optimizer class overrides `performStep()` with a call to it, where the
  /// rule's type is known: the compiler then specialises the whole step, down to the element
  /// loops, instead of running the rule through generic witnesses (which also allocate).
  @inline(__always)
  final func performRuleStep() throws {
    var index = 0
    for group in paramGroups {
      try checkGradients(of: group, firstIndex: index)
      let rule = Rule(group)
      let groupSlots = plan(for: group)
      for offset in group.params.indices where group.params[offset].grad != nil {
        if let state = groupSlots[offset].state, let key = rule.missingStateKey(in: state) {
          throw OptimizerError(
            "state of parameter \(index + offset) has no '\(key)', which \(name) needs")
        }
      }
      index += group.params.count
    }
    try withNoGrad {
      for group in paramGroups { try update(group) }
    }
  }

  /// Updates the parameters of one group from their gradients.
  @inline(__always)
  private func update(_ group: ParamGroup) throws {
    var rule = Rule(group)
    let fused = implementation == .fused
    // This group's kernel per dtype (no array: a step allocates nothing).
    let kernels = GroupKernels(rule, fused: fused)
    if fused { tables.reset() }
    let groupSlots = plan(for: group)
    for offset in group.params.indices {
      let param = group.params[offset]
      let slot = groupSlots[offset]
      guard let given = param.grad else { continue }
      // Gradients from backward() are contiguous; only a hand-assigned view is copied.
      let grad = given.isContiguous ? given : given.contiguous()
      if slot.state == nil { slot.state = initialState(for: param, rule: rule) }
      let scalars = rule.beginStep(&slot.state!, for: param)
      let state = slot.state!
      if fused, kernels.kernel(for: param.dtype) != nil {
        // One pass over the whole group after the loop; the tensors stay alive in the
        // group, the gradients and the state (or the table, for a copied gradient).
        let table = tables.table(for: param.dtype)
        if grad !== given { table.keepAlive(grad) }
        table.append(
          rule.fusedEntry(
            param: param, grad: grad, state: state, scalars: scalars, start: table.nextStart),
          elements: rule.fusedLength(of: param))
      } else if param.dtype.isReducedPrecision || Self.hasHalfState(state) {
        // No half kernel for this form: float32 arithmetic on widened tensors, each stored
        // value rounded once, as the fused half kernels do.
        withFloat32Storage(param, grad, state) {
          if implementation == .reference {
            rule.reference(Float.self, param: param, grad: grad, state: state, scalars: scalars)
          } else {
            rule.blas(Float.self, param: param, grad: grad, state: state, scalars: scalars)
          }
        }
      } else if implementation == .reference {
        if param.dtype == .float32 {
          rule.reference(Float.self, param: param, grad: grad, state: state, scalars: scalars)
        } else {
          rule.reference(Double.self, param: param, grad: grad, state: state, scalars: scalars)
        }
      } else {
        if param.dtype == .float32 {
          rule.blas(Float.self, param: param, grad: grad, state: state, scalars: scalars)
        } else {
          rule.blas(Double.self, param: param, grad: grad, state: state, scalars: scalars)
        }
      }
    }
    if fused {
      var config = rule.fusedConfig
      withUnsafePointer(to: &config) { c in
        if let k = kernels.float32 { tables.float32.run(k, config: c) }
        if let k = kernels.float64 { tables.float64.run(k, config: c) }
        if let k = kernels.bfloat16 { tables.bfloat16.run(k, config: c) }
        if let k = kernels.float16 { tables.float16.run(k, config: c) }
      }
      tables.reset()
    }
  }

  /// Whether a parameter's state holds half-precision tensors while its parameter does not
  /// (Adam's `stateDType:`): the non-fused forms then widen it.
  private static func hasHalfState(_ state: Rule.State) -> Bool {
    state.stateDict.values.contains { $0.dtype.isReducedPrecision }
  }

  /// Runs `body` with the half-precision tensors among `param`, `grad` and the state
  /// converted to float32 in place, and converts them back after it: the update computes
  /// in float32 and each stored value is rounded (to nearest even) once. The tensors keep
  /// their identity but get new storage (views taken of them earlier no longer see the
  /// updates).
  private func withFloat32Storage(
    _ param: Tensor, _ grad: Tensor, _ state: Rule.State, _ body: () -> Void
  ) {
    var converted: [(Tensor, DType)] = []
    for t in [param, grad] + Array(state.stateDict.values)
    where t.dtype.isReducedPrecision && !converted.contains(where: { $0.0 === t }) {
      converted.append((t, t.dtype))
    }
    for (t, _) in converted { t.convertInPlace(to: .float32) }
    body()
    for (t, dtype) in converted { t.convertInPlace(to: dtype) }
  }

  /// The state `param` starts with on its first step: the rule's
  /// (``OptimizerRule/makeState(for:)``), unless the optimizer makes it otherwise (PyTorch's
  /// Adagrad makes it from the optimizer's defaults, not from the group's).
  func initialState(for param: Tensor, rule: Rule) -> Rule.State {
    rule.makeState(for: param)
  }

  /// Gives every parameter its initial state, replacing any it has: for optimizers whose
  /// PyTorch constructor makes the state of its parameters up front (Adagrad).
  final func resetToInitialStates() {
    var made: [ObjectIdentifier: StateSlot<Rule.State>] = [:]
    for group in paramGroups {
      let rule = Rule(group)
      for param in group.params {
        let slot = StateSlot<Rule.State>(param: param)
        slot.state = initialState(for: param, rule: rule)
        made[ObjectIdentifier(param)] = slot
      }
    }
    slots = made
  }

  // MARK: State in PyTorch's layout

  override func stateEntries(of param: Tensor) -> [String: Tensor] {
    guard let slot = slots[ObjectIdentifier(param)], let state = slot.state else { return [:] }
    return slot.extras.merging(state.stateDict) { _, typed in typed }
  }

  override func replaceStates(_ loaded: [LoadedState]) throws {
    var decoded: [ObjectIdentifier: StateSlot<Rule.State>] = [:]
    for entry in loaded where !entry.values.isEmpty {
      let index = entry.index
      let name = self.name
      decoded[ObjectIdentifier(entry.param)] = try decode(entry) { key in
        "loaded state dict has no '\(key)' for parameter \(index), which \(name) needs"
      }
    }
    slots = decoded
  }

  override func replaceState(of entry: LoadedState) throws {
    let id = ObjectIdentifier(entry.param)
    guard !entry.values.isEmpty else {
      slots[id] = nil
      return
    }
    let index = entry.index
    let name = self.name
    slots[id] = try decode(entry) { key in
      "state of parameter \(index) has no '\(key)', which \(name) needs"
    }
  }

  private func decode(_ entry: LoadedState, missingKeyMessage: @escaping (String) -> String)
    throws -> StateSlot<Rule.State>
  {
    var decoder = StateDecoder(
      entry.values, param: entry.param, index: entry.index, optimizerName: name,
      missingKeyMessage: missingKeyMessage)
    let slot = StateSlot<Rule.State>(param: entry.param)
    slot.state = try Rule(entry.group).decodeState(&decoder)
    slot.extras = try decoder.unreadEntries()
    return slot
  }

  /// The slots of `group`'s parameters, in order, creating empty ones. Valid while `slots`
  /// and the group's parameter list are unchanged; hyperparameter changes keep it.
  private func plan(for group: ParamGroup) -> [StateSlot<Rule.State>] {
    for plan in plans where plan.generation == slotGeneration && plan.isFor(group.params) {
      return plan.slots
    }
    let groupSlots = group.params.map { param in
      let id = ObjectIdentifier(param)
      if let slot = slots[id] { return slot }
      let slot = StateSlot<Rule.State>(param: param)
      slots[id] = slot
      return slot
    }
    plans.removeAll { plan in plan.generation != slotGeneration || plan.isFor(group.params) }
    plans.append(GroupPlan(params: group.params, generation: slotGeneration, slots: groupSlots))
    return groupSlots
  }
}

/// One parameter's state. A class, so that a step updates it in place through the group's
/// plan without copying it out of the dictionary and back.
final class StateSlot<State> {
  /// Holding the parameter keeps its `ObjectIdentifier` from being reused while the state
  /// exists.
  let param: Tensor
  /// `nil` until the parameter's first step (or a load).
  var state: State?
  /// Loaded entries that the rule does not read, kept for the next state dict.
  var extras: [String: Tensor] = [:]

  init(param: Tensor) { self.param = param }
}

/// The slots of one group's parameters, for the parameter list it was made for.
private struct GroupPlan<State> {
  /// Held, so that its buffer, whose address identifies the list, is not reused.
  let params: [Tensor]
  let generation: Int
  let slots: [StateSlot<State>]

  func isFor(_ other: [Tensor]) -> Bool {
    params.count == other.count
      && params.withUnsafeBufferPointer { a in
        other.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress }
      }
  }
}

/// A group's fused kernel for each parameter dtype, as its rule picks them.
private struct GroupKernels {
  let float32: FusedRangeKernel?
  let float64: FusedRangeKernel?
  let bfloat16: FusedRangeKernel?
  let float16: FusedRangeKernel?

  init<Rule: OptimizerRule>(_ rule: Rule, fused: Bool) {
    float32 = fused ? rule.fusedKernel(for: .float32) : nil
    float64 = fused ? rule.fusedKernel(for: .float64) : nil
    bfloat16 = fused ? rule.fusedKernel(for: .bfloat16) : nil
    float16 = fused ? rule.fusedKernel(for: .float16) : nil
  }

  func kernel(for dtype: DType) -> FusedRangeKernel? {
    switch dtype {
    case .float32: float32
    case .float64: float64
    case .bfloat16: bfloat16
    case .float16: float16
    default: nil
    }
  }
}
