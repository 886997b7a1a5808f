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
    // PyTorch's kernel computes a half input's statistics and output in float32 and rounds
    // the output once (and its backward likewise, through the conversions' gradients).
    return layerNorm(
      input.to(dtype: .float32), normalizedShape: normalizedShape, weight: weight?.to(dtype: .float32),
      bias: bias?.to(dtype: .float32), eps: eps
    ).to(dtype: input.dtype)
  }
  let dims = Array((input.rank - k)..<input.rank)
  let mean = input.mean(dims: dims, keepDim: true)
  let variance = input.variance(dims: dims, correction: 0, keepDim: true)
  var out = (input - mean) * (variance + eps).rsqrt()
  if let weight { out = out * weight }
  if let bias { out = out + bias }
  return out
}
