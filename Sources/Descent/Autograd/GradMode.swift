import Foundation

/// Whether operations record the autograd graph, per thread, like PyTorch's grad mode.
public enum GradMode {
  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  /// `true` unless the calling thread is inside ``withNoGrad(_:)``.
  public static var isEnabled: Bool {
    // The key's default value (nil) means enabled, so new threads start with grad on.
    pthread_getspecific(key) == nil
  }

  static func set(_ enabled: Bool) {
    pthread_setspecific(key, enabled ? nil : UnsafeRawPointer(bitPattern: 1))
  }
}

/// Runs `body` with gradient recording disabled on this thread (`torch.no_grad()`).
///
/// Optimizers update parameters inside it; nesting is allowed and the previous mode is
/// restored afterwards, even when `body` throws.
@discardableResult
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  try withGradMode(false, body)
}

/// Runs `body` with gradient recording enabled on this thread (`torch.enable_grad()`).
@discardableResult
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
  try withGradMode(true, body)
}

func withGradMode<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
  let previous = GradMode.isEnabled
  GradMode.set(enabled)
  defer { GradMode.set(previous) }
  return try body()
}
