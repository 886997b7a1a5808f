import Foundation

/// A registered hook; ``remove()`` unregisters it (PyTorch's `RemovableHandle`).
public final class GradHookHandle {
  let id: Int

  init(id: Int) { self.id = id }

  /// Unregisters the hook. Removing it twice does nothing.
  public func remove() { PostAccumulateGradHooks.remove(id) }
}

/// The hooks that run after a leaf's gradient has been accumulated.
///
/// A side table rather than a stored property of `Tensor`: almost no tensor has a hook, and
/// every tensor would pay for the field. Entries hold their tensor weakly, so a freed tensor
/// whose identifier is reused never runs another tensor's hooks.
enum PostAccumulateGradHooks {
  private struct Entry {
    let id: Int
    weak var tensor: Tensor?
    let hook: (Tensor) -> Void
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var entries: [ObjectIdentifier: [Entry]] = [:]
  nonisolated(unsafe) private static var nextID = 0
  /// Read without the lock on every accumulation: a stale `false` can only be seen by a
  /// backward pass that started before the hook was registered on another thread.
  nonisolated(unsafe) private static var isEmpty = true

  static func add(_ tensor: Tensor, _ hook: @escaping (Tensor) -> Void) -> GradHookHandle {
    lock.lock()
    defer { lock.unlock() }
    nextID += 1
    let key = ObjectIdentifier(tensor)
    // Drop entries whose tensor is gone before reusing its identifier.
    entries[key] = (entries[key] ?? []).filter { $0.tensor != nil }
    entries[key]!.append(Entry(id: nextID, tensor: tensor, hook: hook))
    isEmpty = false
    return GradHookHandle(id: nextID)
  }

  static func remove(_ id: Int) {
    lock.lock()
    defer { lock.unlock() }
    for (key, list) in entries {
      let kept = list.filter { $0.id != id && $0.tensor != nil }
      entries[key] = kept.isEmpty ? nil : kept
    }
    isEmpty = entries.isEmpty
  }

  /// Runs the hooks of `tensor`, in registration order, outside the lock (a hook may
  /// register or remove hooks).
  static func run(for tensor: Tensor) {
    if isEmpty { return }
    lock.lock()
    let hooks = (entries[ObjectIdentifier(tensor)] ?? []).filter { $0.tensor === tensor }.map(\.hook)
    lock.unlock()
    for hook in hooks { hook(tensor) }
  }
}

extension Tensor {
  /// Registers `hook` to run after this leaf's gradient has been accumulated into
  /// ``grad`` by a backward pass (`register_post_accumulate_grad_hook`).
  ///
  /// The hook receives the tensor itself and may read or change its `.grad` in place; it
  /// runs on the thread of the backward pass, with gradient recording off, once per pass
  /// that reaches the tensor. ``Autograd/grad(_:inputs:gradOutputs:retainGraph:allowUnused:)``
  /// accumulates nothing and runs no hook. Distributed data parallelism uses it to reduce
  /// gradients as soon as they are ready.
  ///
  /// - Parameter hook: the function to run, given this tensor.
  /// - Returns: a handle whose `remove()` unregisters the hook.
  @discardableResult
  public func registerPostAccumulateGradHook(_ hook: @escaping (Tensor) -> Void) -> GradHookHandle {
    require(
      gradFn == nil,
      "post accumulate grad hooks cannot be registered on non-leaf tensors")
    require(
      requiresGrad,
      "cannot register a hook on a tensor that doesn't require gradient")
    return PostAccumulateGradHooks.add(self, hook)
  }
}
