import CDescentKernels
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
/// per row in float32: the mean and variance by PyTorch's `RowwiseMoments` (Welford over its
/// float vector lanes, merged in a cascade), `y = (x·rstd + (-rstd·mean))·γ + β` as two
/// fmas, rounded once; the row's mean and rstd are saved rounded to the half type. Backward
/// from those saved values: `dx` in float32 (`a·dy·γ + b·x + c` with the row sums `Σ dy·x·γ`,
/// `Σ dy·γ` in PyTorch's vector order), rounded once; `dγ` (fma) and `dβ` accumulated row
/// after row in the half type, as PyTorch does on one thread.
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
  let bfloat16: Int32 = dtype == .bfloat16 ? 1 : 0
  return Autograd.function("NativeLayerNormBackward0", inputs: inputs) { t in
    let x = Float32Operand(t[0])
    let gamma = weightIndex.map { Float32Operand(t[$0]) }
    let beta = biasIndex.map { Float32Operand(t[$0]) }
    let (y, yPointer) = Tensor.float32Output(input.shape)
    savedMean.withUnsafeMutableBufferPointer { mean in
      savedRstd.withUnsafeMutableBufferPointer { rstd in
        let args = descent_half_layer_norm(
          x: x.pointer, gamma: gamma?.pointer, beta: beta?.pointer, y: yPointer, mean: mean.baseAddress,
          rstd: rstd.baseAddress, n: Int64(n), eps: eps, bfloat16: bfloat16,
          float_lanes: descent_pytorch_float_lanes())
        withUnsafePointer(to: args) { args in
          forEachChunk(rows, itemWidth: 3 * n) { descent_half_layer_norm_forward(args, $0, $1) }
        }
      }
    }
    withExtendedLifetime((x, gamma, beta)) {}
    return y.to(dtype: dtype)
  } backward: { g, t, _ in
    let dy = Float32Operand(g)
    let x = Float32Operand(t[0])
    let gamma = weightIndex.map { Float32Operand(t[$0]) }
    let (dx, dxPointer) = Tensor.float32Output(input.shape)
    let dgamma = weight.map { Tensor.float32Output($0.shape) }
    let dbeta = bias.map { Tensor.float32Output($0.shape) }
    savedMean.withUnsafeBufferPointer { mean in
      savedRstd.withUnsafeBufferPointer { rstd in
        let args = descent_half_layer_norm_backward_args(
          dy: dy.pointer, x: x.pointer, gamma: gamma?.pointer, mean: mean.baseAddress, rstd: rstd.baseAddress,
          dx: dxPointer, dgamma: dgamma?.1, dbeta: dbeta?.1, rows: Int64(rows), n: Int64(n),
          bfloat16: bfloat16,
          float_lanes: descent_pytorch_float_lanes())
        withUnsafePointer(to: args) { args in
          forEachChunk(rows, itemWidth: 3 * n) { descent_half_layer_norm_backward_dx(args, $0, $1) }
          if dgamma != nil || dbeta != nil {
            // Column by column: each column's sum runs over the rows in order.
            forEachChunk(n, itemWidth: 2 * rows) { descent_half_layer_norm_backward_affine(args, $0, $1) }
          }
        }
      }
    }
    withExtendedLifetime((dy, x, gamma)) {}
    var grads: [Tensor?] = [dx.to(dtype: dtype)]
    if let weight, let dgamma { grads.append(dgamma.0.to(dtype: weight.dtype)) }
    if let bias, let dbeta { grads.append(dbeta.0.to(dtype: bias.dtype)) }
    return grads
  }
}
