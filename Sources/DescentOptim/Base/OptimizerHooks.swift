/// Handle returned by the `register…Hook` methods; ``remove()`` unregisters the hook
/// (PyTorch's `RemovableHandle`).
public final class HookHandle {
  private weak var optimizer: Optimizer?
  private let kind: OptimizerHooks.Kind
  private let id: Int

  init(optimizer: Optimizer, kind: OptimizerHooks.Kind, id: Int) {
    self.optimizer = optimizer
    self.kind = kind
    self.id = id
  }

  /// Unregisters the hook. Removing twice does nothing.
  public func remove() {
    optimizer?.hooks.remove(kind, id: id)
  }
}

/// Hooks in registration order, each with an id for removal.
struct HookList<Hook> {
  private(set) var entries: [(id: Int, hook: Hook)] = []

  var hooks: [Hook] { entries.map(\.hook) }

  mutating func add(_ hook: Hook, id: Int, prepend: Bool) {
    if prepend {
      entries.insert((id, hook), at: 0)
    } else {
      entries.append((id, hook))
    }
  }

  mutating func remove(id: Int) {
    entries.removeAll { $0.id == id }
  }
}

struct OptimizerHooks {
  enum Kind { case stepPre, stepPost, stateDictPre, stateDictPost, loadPre, loadPost }

  var nextID = 0
  var stepPre = HookList<(Optimizer) -> Void>()
  var stepPost = HookList<(Optimizer) -> Void>()
  var stateDictPre = HookList<(Optimizer) -> Void>()
  var stateDictPost = HookList<(Optimizer, inout OptimizerStateDict) -> Void>()
  var loadStateDictPre = HookList<(Optimizer, inout OptimizerStateDict) -> Void>()
  var loadStateDictPost = HookList<(Optimizer) -> Void>()

  mutating func remove(_ kind: Kind, id: Int) {
    switch kind {
    case .stepPre: stepPre.remove(id: id)
    case .stepPost: stepPost.remove(id: id)
    case .stateDictPre: stateDictPre.remove(id: id)
    case .stateDictPost: stateDictPost.remove(id: id)
    case .loadPre: loadStateDictPre.remove(id: id)
    case .loadPost: loadStateDictPost.remove(id: id)
    }
  }

  mutating func takeID() -> Int {
    nextID += 1
    return nextID
  }
}

// PyTorch's step pre-hooks may return replacement arguments; `step()` takes none here, so
// the hooks only observe. Global hooks (`register_optimizer_step_pre_hook`) are not
// provided.
extension Optimizer {
  /// Registers `hook(optimizer)` to run at the start of every ``step()``
  /// (`register_step_pre_hook`), before a closure is evaluated.
  @discardableResult
  public func registerStepPreHook(_ hook: @escaping (Optimizer) -> Void) -> HookHandle {
    let id = hooks.takeID()
    hooks.stepPre.add(hook, id: id, prepend: false)
    return HookHandle(optimizer: self, kind: .stepPre, id: id)
  }

  /// Registers `hook(optimizer)` to run after every ``step()`` (`register_step_post_hook`).
  @discardableResult
  public func registerStepPostHook(_ hook: @escaping (Optimizer) -> Void) -> HookHandle {
    let id = hooks.takeID()
    hooks.stepPost.add(hook, id: id, prepend: false)
    return HookHandle(optimizer: self, kind: .stepPost, id: id)
  }

  /// Registers `hook(optimizer)` to run before ``stateDict()`` builds its snapshot
  /// (`register_state_dict_pre_hook`). With `prepend`, it runs before the hooks already
  /// registered.
  @discardableResult
  public func registerStateDictPreHook(
    prepend: Bool = false, _ hook: @escaping (Optimizer) -> Void
  ) -> HookHandle {
    let id = hooks.takeID()
    hooks.stateDictPre.add(hook, id: id, prepend: prepend)
    return HookHandle(optimizer: self, kind: .stateDictPre, id: id)
  }

  /// Registers `hook(optimizer, &stateDict)` to run on the snapshot before
  /// ``stateDict()`` returns it (`register_state_dict_post_hook`); the hook may change it.
  @discardableResult
  public func registerStateDictPostHook(
    prepend: Bool = false, _ hook: @escaping (Optimizer, inout OptimizerStateDict) -> Void
  ) -> HookHandle {
    let id = hooks.takeID()
    hooks.stateDictPost.add(hook, id: id, prepend: prepend)
    return HookHandle(optimizer: self, kind: .stateDictPost, id: id)
  }

  /// Registers `hook(optimizer, &stateDict)` to run on the dict before
  /// ``loadStateDict(_:)`` checks and loads it (`register_load_state_dict_pre_hook`).
  @discardableResult
  public func registerLoadStateDictPreHook(
    prepend: Bool = false, _ hook: @escaping (Optimizer, inout OptimizerStateDict) -> Void
  ) -> HookHandle {
    let id = hooks.takeID()
    hooks.loadStateDictPre.add(hook, id: id, prepend: prepend)
    return HookHandle(optimizer: self, kind: .loadPre, id: id)
  }

  /// Registers `hook(optimizer)` to run after ``loadStateDict(_:)`` has loaded a dict
  /// (`register_load_state_dict_post_hook`).
  @discardableResult
  public func registerLoadStateDictPostHook(
    prepend: Bool = false, _ hook: @escaping (Optimizer) -> Void
  ) -> HookHandle {
    let id = hooks.takeID()
    hooks.loadStateDictPost.add(hook, id: id, prepend: prepend)
    return HookHandle(optimizer: self, kind: .loadPost, id: id)
  }
}
