import Descent

// Class-index targets are `int64` tensors (`Tensor([Int])`, or `[Int]` through the
// convenience overloads), holding class numbers in `0..<C` or `ignoreIndex`.

/// The class-index target flattened to one index per row of a `[M, C]` view of `input`,
/// checked against the class count.
private func indexRows(
  _ input: Tensor, _ target: Tensor, ignoreIndex: Int, op: String
) -> (rows: Tensor, indices: [Int], classes: Int) {
  require(input.rank >= 1, "\(op): input must have at least one dimension, got shape \(input.shape)")
  require(
    target.dtype == .int64,
    "\(op): expected scalar type Long for the class-index target but found \(target.dtype); pass an int64 tensor (Tensor([Int])) or [Int]"
  )
  let classDim = input.rank == 1 ? 0 : 1
  let classes = input.shape[classDim]
  var expectedTarget = input.shape
  expectedTarget.remove(at: classDim)
  require(
    target.shape == expectedTarget,
    "\(op): expected target of shape \(expectedTarget) for input of shape \(input.shape), got \(target.shape)"
  )
  let indices = target.asArray(Int.self)
  for t in indices where t != ignoreIndex {
    require(t >= 0 && t < classes, "\(op): Target \(t) is out of bounds.")
  }
  var rows = input
  if input.rank == 1 {
    rows = input.unsqueeze(0)
  } else if input.rank > 2 {
    var order = Array(0..<input.rank)
    order.remove(at: 1)
    order.append(1)
    rows = input.permute(order).reshape([-1, classes])
  }
  return (rows, indices, classes)
}

private func weightShape(_ weight: Tensor, classes: Int, op: String) {
  require(
    weight.rank == 1 && weight.count == classes,
    "\(op): weight tensor should be defined either for all \(classes) classes or no classes but got weight tensor of shape: \(weight.shape)"
  )
  require(!weight.requiresGrad, "\(op): the derivative for 'weight' is not implemented.")
}

/// Negative log likelihood of class-index targets (`torch.nn.functional.nll_loss`):
/// `ℓᵢ = -weight[tᵢ] · input[i, tᵢ]`, and 0 where `tᵢ == ignoreIndex`.
///
/// - Parameters:
///   - input: log-probabilities of shape `[C]`, `[N, C]` or `[N, C, d₁, …]`.
///   - target: `int64` class indices of shape `[]`, `[N]` or `[N, d₁, …]`.
///   - weight: per-class weights of shape `[C]`, or `nil` for ones.
///   - ignoreIndex: a target value that contributes nothing (default -100).
///   - reduction: ``Reduction/mean`` (default) divides the sum by the total weight of the
///     non-ignored targets `Σ weight[tᵢ]`, as PyTorch does; NaN when that is zero (every
///     target ignored, or an empty batch).
public func nllLoss(
  _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
  reduction: Reduction = .mean
) -> Tensor {
  let (rows, indices, classes) = indexRows(input, target, ignoreIndex: ignoreIndex, op: "nll_loss")
  if let weight { weightShape(weight, classes: classes, op: "nll_loss") }
  let classWeights = weight?.asArray(Double.self)
  // wᵢ = weight[tᵢ], 0 where ignored; the mean divides by their sum, as PyTorch does.
  let sampleWeights = indices.map { t in t == ignoreIndex ? 0 : classWeights?[t] ?? 1 }
  let dtype = input.dtype
  let totalWeight =
    input.rank <= 2
    ? NLLCascade.totalWeight(sampleWeights, indices, ignoreIndex, weighted: weight != nil, dtype)
    : sampleWeights.reduce(0, +)
  // One node, as PyTorch records it (NllLossBackward0 for [C] and [N, C] inputs,
  // NllLoss2DBackward0 for more dimensions, viewed to the target's shape as PyTorch's
  // 3-D and 5-D+ unreduced losses are): the forward picks -wᵢ · input[i, tᵢ] from the rows,
  // the backward writes -wᵢ · gᵢ there.
  let name = input.rank <= 2 ? "NllLossBackward0" : "NllLoss2DBackward0"
  let viewedBack = reduction == .none && input.rank > 2 && input.rank != 4
  let outShape = viewedBack ? [indices.count] : target.shape
  let losses = Autograd.function(name, inputs: [rows]) { xs in
    let x = xs[0].to(dtype: .float64).contiguous().asArray(Double.self)
    var values = [Double](repeating: 0, count: indices.count)
    for (i, t) in indices.enumerated() where t != ignoreIndex {
      values[i] = -sampleWeights[i] * x[i * classes + t]
    }
    switch reduction {
    case .none:
      return Tensor(values, shape: outShape, dtype: dtype)
    case .sum where input.rank <= 2, .mean where input.rank <= 2:
      // PyTorch's `nll_loss` kernel: a cascade of partial sums in the input's dtype.
      let sum = NLLCascade.sum(
        indices.indices.map { i in
          indices[i] == ignoreIndex
            ? nil : (x[i * classes + indices[i]], weight == nil ? nil : sampleWeights[i])
        }, dtype)
      return Tensor(scalar: reduction == .mean ? dtype.rounding(sum / totalWeight) : sum, dtype: dtype)
    case .sum:
      return Tensor(scalar: values.reduce(0, +), dtype: dtype)
    case .mean:
      // Rounded like PyTorch: the sum and the total weight each in the input's dtype.
      let sum = Tensor(scalar: values.reduce(0, +), dtype: dtype)
      return sum / Tensor(scalar: totalWeight, dtype: dtype)
    }
  } backward: { g, xs, _ in
    let upstream = g.to(dtype: .float64).contiguous().asArray(Double.self)
    let grad = Tensor.zeros([indices.count, classes], dtype: .float64)
    grad.withUnsafeMutablePointer(Double.self) { p in
      // Reduced, PyTorch rounds -(g / total) (or -g) to the dtype, then multiplies by the
      // class weight; unreduced, -w · gᵢ rounds once.
      let reduced = -(reduction == .mean ? dtype.rounding(upstream[0] / totalWeight) : upstream[0])
      for (i, t) in indices.enumerated() where t != ignoreIndex {
        p[i * classes + t] =
          reduction == .none
          ? -sampleWeights[i] * upstream[i]
          : weight == nil ? reduced : dtype.rounding(sampleWeights[i] * reduced)
      }
    }
    return [grad.to(dtype: xs[0].dtype)]
  }
  return viewedBack ? losses.reshape(target.shape) : losses
}

/// `nll_loss`'s reduction as PyTorch's CPU kernel computes it for `[C]` and `[N, C]` inputs:
/// eight levels of partial sums in the input's dtype (each operation rounded to it), the
/// first taking 2^max(4, ⌈log₂N⌉/8) samples before it is carried into the next.
enum NLLCascade {
  static let levels = 8

  private static func levelPower(_ n: Int) -> Int {
    let ceilLog2 = n <= 1 ? 0 : Int.bitWidth - (n - 1).leadingZeroBitCount
    return Swift.max(4, ceilLog2 / levels)
  }

  /// Σ -xᵢ·wᵢ over the samples (`nil`: ignored; a `nil` weight: unweighted).
  static func sum(_ samples: [(value: Double, weight: Double?)?], _ dtype: DType) -> Double {
    cascade(
      samples.map { $0.map { s in s.weight.map { w in -dtype.rounding(s.value * w) } ?? -s.value } }, dtype)
  }

  /// The mean's divisor: the count of samples not ignored, or the sum of their weights.
  static func totalWeight(
    _ sampleWeights: [Double], _ indices: [Int], _ ignoreIndex: Int, weighted: Bool, _ dtype: DType
  ) -> Double {
    guard weighted else { return dtype.rounding(Double(indices.filter { $0 != ignoreIndex }.count)) }
    return cascade(indices.indices.map { indices[$0] == ignoreIndex ? nil : sampleWeights[$0] }, dtype)
  }

  /// The cascade over the terms (`nil`: skipped, but counted in the carry pattern).
  private static func cascade(_ terms: [Double?], _ dtype: DType) -> Double {
    let power = levelPower(terms.count)
    let mask = (1 << power) - 1
    var partial = [Double](repeating: 0, count: levels)
    for (b, term) in terms.enumerated() {
      guard let term else { continue }
      partial[0] = dtype.rounding(partial[0] + term)
      for j in 0..<(levels - 1) {
        if b & (mask << (j * power)) != 0 { break }
        partial[j + 1] = dtype.rounding(partial[j + 1] + partial[j])
        partial[j] = 0
      }
    }
    return partial.reduce(0) { dtype.rounding($0 + $1) }
  }
}

/// `nllLoss` with class indices given as `[Int]` (one per sample).
public func nllLoss(
  _ input: Tensor, _ target: [Int], weight: Tensor? = nil, ignoreIndex: Int = -100,
  reduction: Reduction = .mean
) -> Tensor {
  nllLoss(input, Tensor(target), weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
}

/// Cross entropy between logits and targets (`torch.nn.functional.cross_entropy`):
/// `logSoftmax` over the class dim followed by the negative log likelihood.
///
/// `input` holds unnormalised logits of shape `[C]`, `[N, C]` or `[N, C, d₁, …]` (class
/// dim 1, or 0 without a batch). As in PyTorch, the target kind follows its shape:
///
/// - **Class indices** (`int64`, the input's shape without the class dim):
///   `ℓᵢ = -weight[tᵢ] · log pᵢ[tᵢ]`, 0 for `tᵢ == ignoreIndex`. ``Reduction/mean``
///   divides by the total weight of the kept targets (NaN if it is zero). With label
///   smoothing `ε`, PyTorch's formula:
///   `(1 - ε) · nll + ε / C · smooth`, where `smoothᵢ = -Σ_c weight[c] · log pᵢ[c]`
///   (0 for ignored targets), summed, or for the mean divided by the same total weight.
/// - **Class probabilities** (floating, the input's shape): `ℓᵢ = -Σ_c weight[c] ·
///   yᵢ[c] · log pᵢ[c]` with `y` smoothed to `y (1 - ε) + ε / C`; ``Reduction/mean``
///   divides by the number of samples (not the weights), NaN for an empty batch.
///   `ignoreIndex` must stay negative (PyTorch errors otherwise).
///
/// - Parameters:
///   - input: logits `[C]`, `[N, C]` or `[N, C, d₁, …]`.
///   - target: class indices (`int64`) or class probabilities (the input's shape).
///   - weight: per-class weights `[C]`, or `nil`.
///   - ignoreIndex: default -100.
///   - reduction: default ``Reduction/mean``.
///   - labelSmoothing: `ε` in `[0, 1]`, default 0.
public func crossEntropy(
  _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
  reduction: Reduction = .mean, labelSmoothing: Double = 0
) -> Tensor {
  require(
    labelSmoothing >= 0 && labelSmoothing <= 1,
    "cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: \(labelSmoothing)")
  require(input.rank >= 1, "cross_entropy: input must have at least one dimension")
  let classDim = input.rank == 1 ? 0 : 1
  let classes = input.shape[classDim]
  if let weight { weightShape(weight, classes: classes, op: "cross_entropy") }
  let logProbs = input.logSoftmax(dim: classDim)
  var weightView: Tensor? = nil
  if let weight {
    var shape = [Int](repeating: 1, count: input.rank)
    shape[classDim] = classes
    weightView = weight.reshape(shape)
  }

  if target.shape == input.shape {
    require(
      target.dtype.isFloatingPoint,
      "cross_entropy: Expected floating point type for target with class probabilities, got \(target.dtype)")
    require(ignoreIndex < 0, "cross_entropy: ignore_index is not supported for floating point target")
    let smoothed =
      labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / Double(classes) : target
    var product = logProbs * smoothed
    if let weightView { product = product * weightView }
    switch reduction {
    case .none:
      return -product.sum(dim: classDim)
    case .sum:
      return -product.sum()
    case .mean:
      let samples = classes == 0 ? 0 : input.count / classes
      if input.count == 0 { return -product.sum() * Double.nan }
      return -product.sum() / Double(samples)
    }
  }

  let nll = nllLoss(logProbs, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
  guard labelSmoothing > 0 else { return nll }
  let indices = target.asArray(Int.self)
  let ignored = Tensor(indices.map { $0 == ignoreIndex }, shape: target.shape)
  var smooth = weightView.map { -(logProbs * $0).sum(dim: classDim) } ?? -logProbs.sum(dim: classDim)
  smooth = Tensor.where(ignored, 0, smooth)
  let reduced: Tensor
  switch reduction {
  case .none:
    reduced = smooth
  case .sum:
    reduced = smooth.sum()
  case .mean:
    let kept = indices.filter { $0 != ignoreIndex }
    if let weight {
      let w = weight.asArray(Double.self)
      reduced = smooth.sum() / Tensor(kept.map { w[$0] }, dtype: weight.dtype).sum()
    } else {
      reduced = smooth.sum() / Tensor(scalar: Double(kept.count), dtype: input.dtype)
    }
  }
  return nll * (1 - labelSmoothing) + reduced * (labelSmoothing / Double(classes))
}

/// `crossEntropy` with class indices given as `[Int]` (one per sample).
public func crossEntropy(
  _ input: Tensor, _ target: [Int], weight: Tensor? = nil, ignoreIndex: Int = -100,
  reduction: Reduction = .mean, labelSmoothing: Double = 0
) -> Tensor {
  crossEntropy(
    input, Tensor(target), weight: weight, ignoreIndex: ignoreIndex, reduction: reduction,
    labelSmoothing: labelSmoothing)
}

/// `torch.nn.CrossEntropyLoss`: see
/// ``crossEntropy(_:_:weight:ignoreIndex:reduction:labelSmoothing:)-(_,Tensor,_,_,_,_)``. `weight` is a buffer.
public final class CrossEntropyLoss: Loss {
  /// Per-class weights `[C]`, or `nil`.
  public let weight: Tensor?
  /// A class-index target value that is skipped. Default -100.
  public let ignoreIndex: Int
  /// Label smoothing `ε`. Default 0.
  public let labelSmoothing: Double

  /// A cross-entropy loss without label smoothing.
  public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
    self.weight = weight
    self.ignoreIndex = ignoreIndex
    labelSmoothing = 0
    super.init(reduction: reduction)
    if let weight { registerBuffer("weight", weight) }
  }

  /// A cross-entropy loss with label smoothing.
  ///
  /// - Throws: ``NNError`` unless `0 <= labelSmoothing <= 1`.
  public init(
    weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean, labelSmoothing: Double
  ) throws {
    guard labelSmoothing >= 0 && labelSmoothing <= 1 else {
      throw NNError("label_smoothing must be between 0.0 and 1.0. Got: \(labelSmoothing)")
    }
    self.weight = weight
    self.ignoreIndex = ignoreIndex
    self.labelSmoothing = labelSmoothing
    super.init(reduction: reduction)
    if let weight { registerBuffer("weight", weight) }
  }

  public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
    crossEntropy(
      input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction,
      labelSmoothing: labelSmoothing)
  }

  /// The loss against class indices given as `[Int]`.
  public func callAsFunction(_ input: Tensor, _ target: [Int]) -> Tensor { forward(input, Tensor(target)) }
}

/// `torch.nn.NLLLoss`: see ``nllLoss(_:_:weight:ignoreIndex:reduction:)-(_,Tensor,_,_,_)``. `weight` is a
/// buffer.
public final class NLLLoss: Loss {
  /// Per-class weights `[C]`, or `nil`.
  public let weight: Tensor?
  /// A target value that is skipped. Default -100.
  public let ignoreIndex: Int

  public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
    self.weight = weight
    self.ignoreIndex = ignoreIndex
    super.init(reduction: reduction)
    if let weight { registerBuffer("weight", weight) }
  }

  public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
    nllLoss(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
  }

  /// The loss against class indices given as `[Int]`.
  public func callAsFunction(_ input: Tensor, _ target: [Int]) -> Tensor { forward(input, Tensor(target)) }
}
