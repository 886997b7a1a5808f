import Foundation

/// Whether backward passes check every gradient they compute for NaN, per thread
/// (`torch.autograd.set_detect_anomaly`).
enum AnomalyMode {
  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  /// `true` inside ``Autograd/detectAnomaly(checkNaN:_:)`` with `checkNaN`.
  static var isEnabled: Bool { pthread_getspecific(key) != nil }

  static func set(_ enabled: Bool) {
    pthread_setspecific(key, enabled ? UnsafeRawPointer(bitPattern: 1) : nil)
  }

  /// Stops with PyTorch's message when a node's gradient for input `index` holds a NaN.
  static func check(_ gradient: Tensor, node: String, index: Int) {
    guard gradient.dtype.isFloatingPoint, gradient.isnan().asArray(Bool.self).contains(true) else { return }
    requirementFailure("Function '\(node)' returned nan values in its \(index)th output.")
  }
}

extension Autograd {
  /// Runs `body` with anomaly detection on (`torch.autograd.detect_anomaly`): a backward
  /// pass run inside it stops at the first node whose gradient contains a NaN, with
  /// PyTorch's message naming the op, such as
  /// `Function 'DivBackward0' returned nan values in its 0th output.`
  ///
  /// ```swift
  /// Autograd.detectAnomaly {
  ///   let loss = model(x).log().sum()
  ///   loss.backward()      // stops naming the op whose backward made the NaN
  /// }
  /// ```
  ///
  /// - Parameters:
  ///   - checkNaN: check the gradients for NaN (default `true`, PyTorch's `check_nan`).
  ///   - body: the code to run; its result is returned. Nesting is allowed and the previous
  ///     mode is restored afterwards, even when `body` throws.
  ///
  /// The mode is per thread, like ``GradMode`` (PyTorch's is process-wide): a backward pass
  /// runs on the thread that calls it. Checking reads every gradient, so it is slow; it is a
  /// debugging aid, as in PyTorch. PyTorch also prints the forward traceback of the failing
  /// op; Descent names the op only.
  @discardableResult
  public static func detectAnomaly<R>(checkNaN: Bool = true, _ body: () throws -> R) rethrows -> R {
    let previous = AnomalyMode.isEnabled
    AnomalyMode.set(checkNaN)
    defer { AnomalyMode.set(previous) }
    return try body()
  }

  /// Whether anomaly detection is on for this thread (`torch.is_anomaly_enabled`).
  public static var isAnomalyEnabled: Bool { AnomalyMode.isEnabled }
}
