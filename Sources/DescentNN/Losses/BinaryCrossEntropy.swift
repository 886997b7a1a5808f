import Descent

/// The clamp of BCE's gradient denominator. PyTorch's kernel declares it as a `float`, so
/// float64 gradients are clamped at `Float(1e-12)` too (giving -1.000000004e12, not -1e12,
/// at an input of 0 with a target of 1).
private let bceEpsilon = Double(Float(1e-12))

private func checkNoGrad(_ tensor: Tensor?, _ what: String, _ op: String) {
  require(
    !(tensor?.requiresGrad ?? false), "\(op): the derivative for '\(what)' is not implemented.")
}

/// Stops unless `tensor` broadcasts to exactly `shape`.
private func checkBroadcasts(_ tensor: Tensor?, to shape: [Int], _ what: String, _ op: String) {
  guard let tensor else { return }
  let lead = shape.count - tensor.rank
  let fits =
    lead >= 0
    && tensor.shape.enumerated().allSatisfy { i, s in s == 1 || s == shape[lead + i] }
  require(
    fits, "\(op): \(what) of shape \(tensor.shape) cannot be broadcast to the input shape \(shape)")
}

/// Binary cross entropy between probabilities `input` and targets `target`
/// (`torch.nn.functional.binary_cross_entropy`):
///
/// `ℓ = -weight · (target · log(input) + (1 - target) · log(1 - input))`
///
/// computed as PyTorch does: `(target - 1) · max(log1p(-input), -100) -
/// target · max(log(input), -100)`, so inputs of exactly 0 or 1 give finite losses. The
/// gradient is PyTorch's `(input - target) / max((1 - input) · input, ε) · weight`, `ε = Float(1e-12)`.
///
/// - Parameters:
///   - input: probabilities in `[0, 1]` (stops otherwise, as PyTorch errors).
///   - target: same shape as `input`, usually in `[0, 1]`.
///   - weight: a rescaling broadcast to the input's shape (not differentiable).
///   - reduction: default ``Reduction/mean`` (a plain mean, even with `weight`).
public func binaryCrossEntropy(
  _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean
) -> Tensor {
  require(
    input.shape == target.shape,
    "binary_cross_entropy: Using a target size (\(target.shape)) that is different to the input size (\(input.shape)) is deprecated. Please ensure they have the same size."
  )
  checkBroadcasts(weight, to: input.shape, "weight", "binary_cross_entropy")
  checkNoGrad(weight, "weight", "binary_cross_entropy")
  let values = input.asArray(Double.self)
  require(
    values.allSatisfy { $0 >= 0 && $0 <= 1 },
    "binary_cross_entropy: all elements of input should be between 0 and 1")
  let inputs = [input, target] + (weight.map { [$0] } ?? [])
  let targetNeedsGrad = target.requiresGrad
  let loss = Autograd.function("BinaryCrossEntropyBackward0", inputs: inputs) { t in
    let (x, y) = (t[0], t[1])
    let logX = Tensor.maximum(x.log(), -100)
    let log1mX = Tensor.maximum((-x).log1p(), -100)
    let loss = (y - 1) * log1mX - y * logX
    return t.count > 2 ? loss * t[2] : loss
  } backward: { g, t, _ in
    let (x, y) = (t[0], t[1])
    var gx = g * (x - y) / Tensor.maximum((1 - x) * x, bceEpsilon)
    if t.count > 2 { gx = gx * t[2] }
    var gy: Tensor? = nil
    if targetNeedsGrad {
      let logX = Tensor.maximum(x.log(), -100)
      let log1mX = Tensor.maximum((-x).log1p(), -100)
      gy = g * (log1mX - logX)
      if t.count > 2 { gy = gy! * t[2] }
    }
    return [gx, gy] + (t.count > 2 ? [nil] : [])
  }
  return reduce(loss, reduction)
}

/// Binary cross entropy on logits (`torch.nn.functional.binary_cross_entropy_with_logits`):
/// sigmoid and BCE in one numerically stable step.
///
/// `ℓ = weight · ((1 - target) · x - w_p · logσ(x))`, `w_p = (posWeight - 1) · target + 1`,
///
/// with `logσ(x) = min(x, 0) - log1p(exp(-|x|))`, PyTorch's formula: finite and exact for
/// logits of any size (±100 included). The gradient is PyTorch's
/// `((posWeight · target + 1 - target) · σ(x) - posWeight · target) · weight`.
///
/// - Parameters:
///   - input: logits.
///   - target: same shape as `input`, in `[0, 1]`.
///   - weight: a rescaling broadcast to the input's shape (not differentiable).
///   - posWeight: weight of positive examples, broadcast along the last (class) dim, e.g.
///     of shape `[C]` (not differentiable).
///   - reduction: default ``Reduction/mean`` (a plain mean, even with weights).
public func binaryCrossEntropyWithLogits(
  _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, posWeight: Tensor? = nil,
  reduction: Reduction = .mean
) -> Tensor {
  require(
    input.shape == target.shape,
    "binary_cross_entropy_with_logits: Target size (\(target.shape)) must be the same as input size (\(input.shape))"
  )
  checkBroadcasts(weight, to: input.shape, "weight", "binary_cross_entropy_with_logits")
  checkBroadcasts(posWeight, to: input.shape, "pos_weight", "binary_cross_entropy_with_logits")
  checkNoGrad(weight, "weight", "binary_cross_entropy_with_logits")
  checkNoGrad(posWeight, "pos_weight", "binary_cross_entropy_with_logits")
  var inputs = [input, target]
  let targetNeedsGrad = target.requiresGrad
  let weightIndex = appendOptional(weight, to: &inputs)
  let posWeightIndex = appendOptional(posWeight, to: &inputs)
  let extra = inputs.count - 2
  let loss = Autograd.function("BinaryCrossEntropyWithLogitsBackward0", inputs: inputs) { t in
    let (x, y) = (t[0], t[1])
    // log_sigmoid is one kernel in PyTorch: a half input computes in float32, rounded once.
    let wide = x.dtype.isReducedPrecision ? x.to(dtype: .float32) : x
    var logSigmoid = (Tensor.minimum(wide, 0) - (-wide.abs()).exp().log1p()).to(dtype: x.dtype)
    if let p = posWeightIndex { logSigmoid = logSigmoid * ((t[p] - 1) * y + 1) }
    let loss = (1 - y) * x - logSigmoid
    return weightIndex.map { loss * t[$0] } ?? loss
  } backward: { g, t, _ in
    let (x, y) = (t[0], t[1])
    var gx: Tensor
    if let p = posWeightIndex {
      let py = t[p] * y
      gx = (py + 1 - y) * x.sigmoid() - py
    } else {
      gx = x.sigmoid() - y
    }
    gx = gx * g
    if let w = weightIndex { gx = gx * t[w] }
    var gy: Tensor? = nil
    if targetNeedsGrad {
      var d = -x
      if let p = posWeightIndex {
        let logSigmoid = Tensor.minimum(x, 0) - (-x.abs()).exp().log1p()
        d = d - (t[p] - 1) * logSigmoid
      }
      gy = d * g
      if let w = weightIndex { gy = gy! * t[w] }
    }
    return [gx, gy] + [Tensor?](repeating: nil, count: extra)
  }
  return reduce(loss, reduction)
}

/// `torch.nn.BCELoss`: see ``binaryCrossEntropy(_:_:weight:reduction:)``. `weight` is a
/// buffer.
public final class BCELoss: Loss {
  /// Rescaling broadcast to the input's shape, or `nil`.
  public let weight: Tensor?

  public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
    self.weight = weight
    super.init(reduction: reduction)
    if let weight { registerBuffer("weight", weight) }
  }

  public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
    binaryCrossEntropy(input, target, weight: weight, reduction: reduction)
  }
}

/// `torch.nn.BCEWithLogitsLoss`: see
/// ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:)``. `weight` and
/// `posWeight` are buffers (`weight`, `pos_weight`).
///
/// ```swift
/// let criterion = BCEWithLogitsLoss(reduction: .sum)
/// let loss = criterion(model(x), y)
/// loss.backward()
/// ```
public final class BCEWithLogitsLoss: Loss {
  /// Rescaling broadcast to the input's shape, or `nil`.
  public let weight: Tensor?
  /// Weight of positive examples along the class dim, or `nil`.
  public let posWeight: Tensor?

  public init(weight: Tensor? = nil, reduction: Reduction = .mean, posWeight: Tensor? = nil) {
    self.weight = weight
    self.posWeight = posWeight
    super.init(reduction: reduction)
    if let weight { registerBuffer("weight", weight) }
    if let posWeight { registerBuffer("pos_weight", posWeight) }
  }

  public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
    binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight, reduction: reduction)
  }
}
