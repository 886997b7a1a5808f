import Descent

/// Layer normalisation over the trailing `normalizedShape` dims (`torch.nn.LayerNorm`):
///
/// `y = (x - E[x]) / √(Var[x] + eps) · weight + bias`
///
/// with the mean and the biased variance taken over the last `normalizedShape.count` dims
/// of each sample. The statistics are the same in training and evaluation.
public final class LayerNorm: Module {
  /// The trailing shape normalised over.
  public let normalizedShape: [Int]
  /// Added to the variance for stability. Default 1e-5.
  public let eps: Double
  /// Elementwise scale of shape `normalizedShape` (initially ones), or `nil` without
  /// `elementwiseAffine`.
  public let weight: Tensor?
  /// Elementwise shift (initially zeros), or `nil` without `elementwiseAffine` or `bias`.
  public let bias: Tensor?

  /// - Parameters:
  ///   - normalizedShape: trailing dims of the input to normalise over.
  ///   - eps: default 1e-5.
  ///   - elementwiseAffine: learn `weight` (and `bias`). Default `true`.
  ///   - bias: learn `bias` when affine. Default `true`.
  ///   - dtype: parameter dtype. Default `.float32`.
  public init(
    _ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
    dtype: DType = .float32
  ) {
    self.normalizedShape = normalizedShape
    self.eps = eps
    weight = elementwiseAffine ? Tensor.ones(normalizedShape, dtype: dtype) : nil
    self.bias = elementwiseAffine && bias ? Tensor.zeros(normalizedShape, dtype: dtype) : nil
    super.init()
    if let weight { registerParameter("weight", weight) }
    if let b = self.bias { registerParameter("bias", b) }
  }

  /// Normalising over the last dim of size `normalizedShape`.
  public convenience init(
    _ normalizedShape: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
    dtype: DType = .float32
  ) {
    self.init([normalizedShape], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias, dtype: dtype)
  }

  public override var extraDescription: String {
    "\(pythonTuple(normalizedShape)), eps=\(eps), elementwise_affine=\(pythonRepr(weight != nil)), bias=\(pythonRepr(bias != nil))"
  }

  public override func forward(_ input: Tensor) -> Tensor {
    layerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
  }
}

/// `torch.nn.functional.layer_norm`.
public func layerNorm(
  _ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5
) -> Tensor {
  let k = normalizedShape.count
  require(
    k >= 1 && input.rank >= k && Array(input.shape.suffix(k)) == normalizedShape,
    "Given normalized_shape=\(normalizedShape), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(input.shape)"
  )
  if input.dtype.isReducedPrecision {
    return halfLayerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
  }
  let dims = Array((input.rank - k)..<input.rank)
  let mean = input.mean(dims: dims, keepDim: true)
  let variance = input.variance(dims: dims, correction: 0, keepDim: true)
  var out = (input - mean) * (variance + eps).rsqrt()
  if let weight { out = out * weight }
  if let bias { out = out + bias }
  return out
}

/// `layer_norm` on a bfloat16/float16 input as PyTorch's CPU kernel computes it. Forward,
/// per row in float32: `y = (x·rstd + (-rstd·mean))·γ + β`, rounded once; the row's mean and
/// rstd are saved rounded to the half type. Backward from those saved values: `dx` in
/// float32 (`a·dy·γ + b·x + c` with the row sums `Σ dy·γ·x`, `Σ dy·γ`), rounded once; `dγ`
/// and `dβ` accumulated row after row in the half type, as PyTorch does on one thread.
func halfLayerNorm(
  _ input: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Double
) -> Tensor {
  let dtype = input.dtype
  let n = normalizedShape.reduce(1, *)
  let rows = n == 0 ? 0 : input.count / n
  var inputs = [input]
  let weightIndex = appendOptional(weight, to: &inputs)
  let biasIndex = appendOptional(bias, to: &inputs)
  var savedMean = [Float](repeating: 0, count: rows)
  var savedRstd = [Float](repeating: 0, count: rows)
  return Autograd.function("NativeLayerNormBackward0", inputs: inputs) { t in
    let x = float32Elements(t[0])
    let gamma = weightIndex.map { float32Elements(t[$0]) }
    let beta = biasIndex.map { float32Elements(t[$0]) }
    var y = [Float](repeating: 0, count: x.count)
    for i in 0..<rows {
      var sum = 0.0
      for j in 0..<n { sum += Double(x[i * n + j]) }
      let mean = Float(sum / Double(n))
      var squares = 0.0
      for j in 0..<n {
        let d = Double(x[i * n + j]) - Double(mean)
        squares += d * d
      }
      let rstd = 1 / (Float(squares / Double(n)) + Float(eps)).squareRoot()
      let shift = -rstd * mean
      for j in 0..<n {
        var v = shift.addingProduct(x[i * n + j], rstd)
        if let gamma, let beta {
          v = beta[j].addingProduct(v, gamma[j])
        } else {
          if let gamma { v = v * gamma[j] }
          if let beta { v = v + beta[j] }
        }
        y[i * n + j] = v
      }
      savedMean[i] = dtype.rounding(mean)
      savedRstd[i] = dtype.rounding(rstd)
    }
    return Tensor(y.map(Double.init), shape: input.shape, dtype: .float32).to(dtype: dtype)
  } backward: { g, t, _ in
    let dy = float32Elements(g)
    let x = float32Elements(t[0])
    let gamma = weightIndex.map { float32Elements(t[$0]) }
    var dx = [Float](repeating: 0, count: x.count)
    var dgamma = [Float](repeating: 0, count: n)
    var dbeta = [Float](repeating: 0, count: n)
    let scale = Float(1 / Double(n))
    for i in 0..<rows {
      let a = savedRstd[i]
      let mean = savedMean[i]
      var ds: Float = 0
      var db: Float = 0
      for j in 0..<n {
        let dyg = dy[i * n + j] * (gamma?[j] ?? 1)
        ds += dyg * x[i * n + j]
        db += dyg
      }
      let b = (db * mean - ds) * a * a * a * scale
      let c = -b * mean - db * a * scale
      for j in 0..<n {
        let k = i * n + j
        dx[k] = a * (dy[k] * (gamma?[j] ?? 1)) + b * x[k] + c
        dgamma[j] = dtype.rounding(dgamma[j] + dy[k] * (a * x[k] + (-a * mean)))
        dbeta[j] = dtype.rounding(dbeta[j] + dy[k])
      }
    }
    var grads: [Tensor?] = [
      Tensor(dx.map(Double.init), shape: input.shape, dtype: .float32).to(dtype: dtype)
    ]
    if let weight { grads.append(Tensor(dgamma.map(Double.init), shape: weight.shape, dtype: weight.dtype)) }
    if let bias { grads.append(Tensor(dbeta.map(Double.init), shape: bias.shape, dtype: bias.dtype)) }
    return grads
  }
}
