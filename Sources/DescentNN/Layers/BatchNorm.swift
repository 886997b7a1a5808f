import CDescentKernels
import Descent

/// Batch normalisation over a 2-D `[N, C]` or 3-D `[N, C, L]` input (`torch.nn.BatchNorm1d`):
///
/// `y = (x - mean) / √(var + eps) · weight + bias`, per channel `C`.
///
/// In training mode (or without running statistics) `mean` and `var` are the batch's
/// (biased variance), and the running statistics are updated as
/// `running = (1 - momentum) · running + momentum · batch`, with the *unbiased* batch
/// variance for `runningVar`, as in PyTorch. In evaluation mode the running statistics are
/// used. The buffers carry PyTorch's state-dict names: `running_mean`, `running_var`,
/// `num_batches_tracked`.
public final class BatchNorm1d: Module {
  /// Number of channels `C`.
  public let numFeatures: Int
  /// Added to the variance for stability. Default 1e-5.
  public let eps: Double
  /// Weight of the new batch in the running statistics (default 0.1); `nil` means a
  /// cumulative moving average (`1 / numBatchesTracked`). Settable, as in PyTorch
  /// (DescentSWA's `updateBN` sets it to `nil` for its pass and restores it).
  public var momentum: Double?
  /// Per-channel scale (initially ones), or `nil` without `affine`.
  public let weight: Tensor?
  /// Per-channel shift (initially zeros), or `nil` without `affine`.
  public let bias: Tensor?
  /// Running mean buffer (initially zeros), or `nil` without `trackRunningStats`.
  public let runningMean: Tensor?
  /// Running variance buffer (initially ones), or `nil` without `trackRunningStats`.
  public let runningVar: Tensor?
  /// Number of training batches seen, an `int64` scalar buffer.
  public let numBatchesTracked: Tensor?

  /// - Parameters:
  ///   - numFeatures: number of channels `C`.
  ///   - eps: default 1e-5.
  ///   - momentum: default 0.1; `nil` for a cumulative average.
  ///   - affine: learn `weight` and `bias`. Default `true`.
  ///   - trackRunningStats: keep running statistics for evaluation. Default `true`.
  ///   - dtype: dtype of the parameters and running statistics. Default `.float32`.
  public init(
    _ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
    trackRunningStats: Bool = true, dtype: DType = .float32
  ) {
    self.numFeatures = numFeatures
    self.eps = eps
    self.momentum = momentum
    weight = affine ? Tensor.ones([numFeatures], dtype: dtype) : nil
    bias = affine ? Tensor.zeros([numFeatures], dtype: dtype) : nil
    runningMean = trackRunningStats ? Tensor.zeros([numFeatures], dtype: dtype) : nil
    runningVar = trackRunningStats ? Tensor.ones([numFeatures], dtype: dtype) : nil
    numBatchesTracked = trackRunningStats ? Tensor([0], shape: []) : nil
    super.init()
    if let weight { registerParameter("weight", weight) }
    if let bias { registerParameter("bias", bias) }
    if let runningMean { registerBuffer("running_mean", runningMean) }
    if let runningVar { registerBuffer("running_var", runningVar) }
    if let numBatchesTracked { registerBuffer("num_batches_tracked", numBatchesTracked) }
  }

  public override var extraDescription: String {
    "\(numFeatures), eps=\(eps), momentum=\(pythonRepr(momentum)), affine=\(pythonRepr(weight != nil)), bias=\(pythonRepr(bias != nil)), track_running_stats=\(pythonRepr(runningMean != nil))"
  }

  /// Resets the running statistics to zeros, ones and a count of 0.
  public func resetRunningStats() {
    withNoGrad {
      runningMean?.fill(0)
      runningVar?.fill(1)
      numBatchesTracked?.fill(0)
    }
  }

  public override func forward(_ input: Tensor) -> Tensor {
    require(
      input.rank == 2 || input.rank == 3, "BatchNorm1d: expected 2D or 3D input (got \(input.rank)D input)")
    require(
      input.shape[1] == numFeatures,
      "BatchNorm1d: running_mean should contain \(input.shape[1]) elements not \(numFeatures) (input shape \(input.shape))"
    )
    let useBatchStats = isTraining || runningMean == nil
    var factor = momentum ?? 0
    if isTraining, let numBatchesTracked {
      let seen = numBatchesTracked.item(Int.self) + 1
      withNoGrad { numBatchesTracked.copyInPlace(from: Tensor([seen], shape: [])) }
      factor = momentum ?? 1 / Double(seen)
    }
    let sameHalfType = [weight, bias, runningMean, runningVar].allSatisfy {
      $0 == nil || $0!.dtype == input.dtype
    }
    if input.dtype.isReducedPrecision && useBatchStats && sameHalfType {
      return halfBatchNorm(input, factor: factor)
    }
    if input.dtype.isReducedPrecision {
      // Evaluation, or parameters of another dtype: statistics, running averages and output
      // in float32, each stored result rounded once.
      let runningMean32 = runningMean?.to(dtype: .float32).clone()
      let runningVar32 = runningVar?.to(dtype: .float32).clone()
      let out = normalize(
        input.to(dtype: .float32), weight: weight?.to(dtype: .float32), bias: bias?.to(dtype: .float32),
        runningMean: runningMean32, runningVar: runningVar32, useBatchStats: useBatchStats, factor: factor)
      withNoGrad {
        if let runningMean, let runningMean32 { runningMean.copyInPlace(from: runningMean32) }
        if let runningVar, let runningVar32 { runningVar.copyInPlace(from: runningVar32) }
      }
      return out.to(dtype: input.dtype)
    }
    return normalize(
      input, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
      useBatchStats: useBatchStats, factor: factor)
  }

  /// The normalisation with explicit tensors (the module's own, or float32 copies of them).
  private func normalize(
    _ input: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
    useBatchStats: Bool, factor: Double
  ) -> Tensor {
    let dims = input.rank == 2 ? [0] : [0, 2]
    let channelShape = input.rank == 2 ? [numFeatures] : [numFeatures, 1]
    let perChannel = dims.reduce(1) { $0 * input.shape[$1] }
    let mean: Tensor
    let variance: Tensor
    if useBatchStats {
      require(
        perChannel > 1,
        "Expected more than 1 value per channel when training, got input size \(input.shape)")
      mean = input.mean(dims: dims)
      variance = input.variance(dims: dims, correction: 0)
      if isTraining, let runningMean, let runningVar {
        withNoGrad {
          let unbiased = variance * (Double(perChannel) / Double(perChannel - 1))
          runningMean.copyInPlace(from: mean * factor + runningMean * (1 - factor))
          runningVar.copyInPlace(from: unbiased * factor + runningVar * (1 - factor))
        }
      }
    } else {
      mean = runningMean!
      variance = runningVar!
    }
    // PyTorch's CPU kernel folds everything into y = x · alpha + beta per channel.
    var alpha = (variance + eps).rsqrt()
    if let weight { alpha = alpha * weight }
    var beta = -(mean * alpha)
    if let bias { beta = bias - mean * alpha }
    return input * alpha.reshape(channelShape) + beta.reshape(channelShape)
  }

  /// Training on a half input with half parameters, as PyTorch's reduced-precision kernels
  /// compute it (torch 2.13's batch_norm_kernel.cpp, in their roundings and summation
  /// orders; the C kernel in CDescentKernels' BatchNormHalf.c). Per channel in float32: the
  /// mean, and the sum of squared deviations accumulated with fma; a 2-d input sums over the
  /// samples in order, a 3-d input per sample in float vector lanes along its length.
  /// bfloat16 keeps the sum of squares in bfloat16 and divides it in bfloat16 arithmetic.
  /// The mean and `invstd = 1/√(var + eps)` are saved rounded to the half type;
  /// `y = fma(x, α, β - mean·α)` with `α = invstd·γ`, rounded once. Backward from the saved
  /// mean and invstd: `dβ = Σdy`, `dγ = Σ(x - mean)·dy · invstd`, and
  /// `dx = (fma(-(x - mean), k, dy - Σdy/N)·invstd)·γ` with `k = Σ(x - mean)·dy · invstd²/N`.
  /// Running averages: float16 `momentum·new + (1 - momentum)·running` in float32, rounded
  /// once; bfloat16 `fma(momentum, new, round(complement·running))` with the momentum and its
  /// complement rounded to bfloat16, on the saved mean and the bfloat16 unbiased variance.
  private func halfBatchNorm(_ input: Tensor, factor: Double) -> Tensor {
    let dtype = input.dtype
    let batch = input.shape[0]
    let channels = numFeatures
    let length = input.rank == 3 ? input.shape[2] : 1
    let count = batch * length
    require(count > 1, "Expected more than 1 value per channel when training, got input size \(input.shape)")
    var savedMean = [Float](repeating: 0, count: channels)
    var savedInvstd = [Float](repeating: 0, count: channels)
    var inputs = [input]
    let weightIndex = appendOptional(weight, to: &inputs)
    let biasIndex = appendOptional(bias, to: &inputs)
    let eps = Float(self.eps)
    let bfloat16: Int32 = dtype == .bfloat16 ? 1 : 0
    let lanes = descent_pytorch_float_lanes()
    let out = Autograd.function("NativeBatchNormBackward0", inputs: inputs) { t in
      let x = Float32Operand(t[0])
      let gamma = weightIndex.map { Float32Operand(t[$0]) }
      let beta = biasIndex.map { Float32Operand(t[$0]) }
      var means = [Float](repeating: 0, count: channels)
      var unbiased = [Float](repeating: 0, count: channels)
      let (y, yPointer) = Tensor.float32Output(input.shape)
      savedMean.withUnsafeMutableBufferPointer { savedMean in
        savedInvstd.withUnsafeMutableBufferPointer { savedInvstd in
          means.withUnsafeMutableBufferPointer { means in
            unbiased.withUnsafeMutableBufferPointer { unbiased in
              let args = descent_half_batch_norm(
                x: x.pointer, gamma: gamma?.pointer, beta: beta?.pointer, y: yPointer,
                saved_mean: savedMean.baseAddress, saved_invstd: savedInvstd.baseAddress,
                mean: means.baseAddress,
                unbiased_var: unbiased.baseAddress, batch: Int64(batch), channels: Int64(channels),
                length: Int64(length), eps: eps, bfloat16: bfloat16, float_lanes: lanes, reserved: 0)
              withUnsafePointer(to: args) { args in
                forEachChunk(channels, itemWidth: 4 * count) { descent_half_batch_norm_forward(args, $0, $1) }
              }
            }
          }
        }
      }
      withExtendedLifetime((x, gamma, beta)) {}
      if let runningMean, let runningVar {
        let f = Float(factor)
        let rm = float32Elements(runningMean)
        let rv = float32Elements(runningVar)
        // bfloat16's running averages: the momentum and its complement rounded to bfloat16,
        // fma(momentum, new, round(complement·running)) rounded (PyTorch's contracted
        // bfloat16 arithmetic), on the saved mean and the bfloat16 unbiased variance.
        let (m, keep) = (dtype.rounding(Float(factor)), dtype.rounding(Float(1 - factor)))
        let newMean = (0..<channels).map { c in
          dtype == .bfloat16
            ? dtype.rounding(dtype.rounding(keep * rm[c]).addingProduct(m, savedMean[c]))
            : f * means[c] + (1 - f) * rm[c]
        }
        runningMean.copyInPlace(from: Tensor(newMean, shape: [channels]))
        let newVar = (0..<channels).map { c in
          dtype == .bfloat16
            ? dtype.rounding(dtype.rounding(keep * rv[c]).addingProduct(m, unbiased[c]))
            : f * unbiased[c] + (1 - f) * rv[c]
        }
        runningVar.copyInPlace(from: Tensor(newVar, shape: [channels]))
      }
      return y.to(dtype: dtype)
    } backward: { g, t, _ in
      let dy = Float32Operand(g)
      let x = Float32Operand(t[0])
      let gamma = weightIndex.map { Float32Operand(t[$0]) }
      let (dx, dxPointer) = Tensor.float32Output(input.shape)
      let (dgamma, dgammaPointer) = Tensor.float32Output([channels])
      let (dbeta, dbetaPointer) = Tensor.float32Output([channels])
      savedMean.withUnsafeBufferPointer { savedMean in
        savedInvstd.withUnsafeBufferPointer { savedInvstd in
          let args = descent_half_batch_norm_backward_args(
            dy: dy.pointer, x: x.pointer, gamma: gamma?.pointer, saved_mean: savedMean.baseAddress,
            saved_invstd: savedInvstd.baseAddress, dx: dxPointer, dgamma: dgammaPointer, dbeta: dbetaPointer,
            batch: Int64(batch), channels: Int64(channels), length: Int64(length), float_lanes: lanes,
            reserved: 0)
          withUnsafePointer(to: args) { args in
            forEachChunk(channels, itemWidth: 3 * count) { descent_half_batch_norm_backward(args, $0, $1) }
          }
        }
      }
      withExtendedLifetime((dy, x, gamma)) {}
      var grads: [Tensor?] = [dx.to(dtype: dtype)]
      if weightIndex != nil { grads.append(dgamma) }
      if biasIndex != nil { grads.append(dbeta) }
      return grads
    }
    return out
  }
}
