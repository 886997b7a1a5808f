import Descent

/// Per-column standardisation, `(x - mean) / scale`
/// (`sklearn.preprocessing.StandardScaler`).
///
/// Fit it on the training rows only and apply it to both the training and the test rows, so
/// that nothing about the test set leaks into training:
///
/// ```swift
/// let scaler = try StandardScaler(fitting: train.features)
/// let xTrain = try scaler.transform(train.features)
/// let xTest = try scaler.transform(test.features)
/// ```
///
/// - `mean[j]`: the column mean.
/// - `scale[j]`: the population standard deviation `sqrt(mean((x - mean)^2))` (no Bessel
///   correction, as scikit-learn), or 1 for a constant column, so that it passes through
///   centred instead of dividing by zero. A column counts as constant by scikit-learn's
///   test `var <= n * eps * var + (n * mean * eps)^2` with `eps` the float64 epsilon.
///
/// Statistics are computed in float64 whatever the dtype of `x`; ``transform(_:)`` returns
/// the dtype of its input.
public struct StandardScaler: Sendable {
  /// Column means, float64 `[d]`.
  public let mean: [Double]
  /// Column scales, float64 `[d]` (1 for constant columns).
  public let scale: [Double]

  /// Fits on `x`, a `[n, d]` tensor with `n > 0`.
  public init(fitting x: Tensor) throws {
    guard x.rank == 2, x.shape[0] > 0 else {
      throw DataError.invalidArgument(
        "StandardScaler: expected a [n, d] tensor with n > 0, got shape \(x.shape)")
    }
    let n = x.shape[0]
    let d = x.shape[1]
    let values = x.asArray(Double.self)
    var mean = [Double](repeating: 0, count: d)
    var variance = [Double](repeating: 0, count: d)
    values.withUnsafeBufferPointer { v in
      for i in 0..<n {
        for j in 0..<d { mean[j] += v[i * d + j] }
      }
      for j in 0..<d { mean[j] /= Double(n) }
      for i in 0..<n {
        for j in 0..<d {
          let c = v[i * d + j] - mean[j]
          variance[j] += c * c
        }
      }
    }
    let eps = Double.ulpOfOne
    let count = Double(n)
    self.mean = mean
    self.scale = (0..<d).map { j in
      let v = variance[j] / count
      let mj = mean[j]
      let isConstant = v <= count * eps * v + (count * mj * eps) * (count * mj * eps)
      return isConstant ? 1 : v.squareRoot()
    }
  }

  /// `(x - mean) / scale` for a `[m, d]` tensor, in the dtype of `x`.
  public func transform(_ x: Tensor) throws -> Tensor {
    let (m, s) = try statistics(for: x)
    return (x - m) / s
  }

  /// `x * scale + mean`, undoing ``transform(_:)``.
  public func inverseTransform(_ x: Tensor) throws -> Tensor {
    let (m, s) = try statistics(for: x)
    return x * s + m
  }

  /// `mean` and `scale` as `[1, d]` rows in the dtype of `x`, after checking that `x` is
  /// `[m, d]` with the fitted number of columns.
  private func statistics(for x: Tensor) throws -> (mean: Tensor, scale: Tensor) {
    guard x.rank == 2, x.shape[1] == mean.count else {
      throw DataError.invalidArgument(
        "StandardScaler: fitted on \(mean.count) columns, got a tensor of shape \(x.shape)")
    }
    return (
      Tensor(mean, shape: [1, mean.count], dtype: x.dtype),
      Tensor(scale, shape: [1, scale.count], dtype: x.dtype)
    )
  }
}
