import Descent

/// Mean squared error, `(input - target)²` reduced (`torch.nn.functional.mse_loss`).
///
/// `input` and `target` must have the same shape (PyTorch broadcasts with a warning;
/// Descent stops). Zero-size inputs give NaN for ``Reduction/mean``, as in PyTorch.
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
  checkSameShape(input, target, "mse_loss")
  let diff = input - target
  return reduce(diff * diff, reduction)
}

/// Mean absolute error, `|input - target|` reduced (`torch.nn.functional.l1_loss`).
/// The gradient at a zero difference is zero.
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
  checkSameShape(input, target, "l1_loss")
  return reduce((input - target).abs(), reduction)
}

/// Huber loss (`torch.nn.functional.huber_loss`): with `z = |input - target|`,
/// `0.5 z²` where `z < delta`, else `delta (z - 0.5 delta)`. `delta` defaults to 1 and
/// must be positive.
public func huberLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, delta: Double = 1)
  -> Tensor
{
  require(delta > 0, "huber_loss does not support non-positive values for delta.")
  checkSameShape(input, target, "huber_loss")
  let diff = input - target
  let z = diff.abs()
  let quadratic = diff * 0.5 * diff
  let linear = (z - 0.5 * delta) * delta
  return reduce(Tensor.where(z .< delta, quadratic, linear), reduction)
}

/// Smooth L1 loss (`torch.nn.functional.smooth_l1_loss`): with `z = |input - target|`,
/// `0.5 z² / beta` where `z < beta`, else `z - 0.5 beta`. `beta` defaults to 1, must be
/// non-negative, and `beta == 0` is exactly ``l1Loss(_:_:reduction:)``, as in PyTorch.
public func smoothL1Loss(
  _ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, beta: Double = 1
) -> Tensor {
  require(beta >= 0, "smooth_l1_loss does not support negative values for beta.")
  if beta == 0 { return l1Loss(input, target, reduction: reduction) }
  checkSameShape(input, target, "smooth_l1_loss")
  let diff = input - target
  let z = diff.abs()
  let quadratic = diff * 0.5 * diff / beta
  let linear = z - 0.5 * beta
  return reduce(Tensor.where(z .< beta, quadratic, linear), reduction)
}

/// `torch.nn.MSELoss`: see ``mseLoss(_:_:reduction:)``.
public final class MSELoss: Loss {
  public override init(reduction: Reduction = .mean) { super.init(reduction: reduction) }
  public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
    mseLoss(input, target, reduction: reduction)
  }
}

/// `torch.nn.L1Loss`: see ``l1Loss(_:_:reduction:)``.
public final class L1Loss: Loss {
  public override init(reduction: Reduction = .mean) { super.init(reduction: reduction) }
  public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
    l1Loss(input, target, reduction: reduction)
  }
}

/// `torch.nn.HuberLoss`: see ``huberLoss(_:_:reduction:delta:)``.
public final class HuberLoss: Loss {
  /// Where the loss turns from quadratic to linear. Default 1.
  public let delta: Double

  /// A Huber loss with `delta = 1`.
  public override init(reduction: Reduction = .mean) {
    delta = 1
    super.init(reduction: reduction)
  }

  /// - Throws: ``NNError`` unless `delta > 0`.
  public init(reduction: Reduction = .mean, delta: Double) throws {
    guard delta > 0 else {
      throw NNError("huber_loss does not support non-positive values for delta, got \(delta)")
    }
    self.delta = delta
    super.init(reduction: reduction)
  }

  public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
    huberLoss(input, target, reduction: reduction, delta: delta)
  }
}

/// `torch.nn.SmoothL1Loss`: see ``smoothL1Loss(_:_:reduction:beta:)``.
public final class SmoothL1Loss: Loss {
  /// Where the loss turns from quadratic to linear. Default 1.
  public let beta: Double

  /// A smooth L1 loss with `beta = 1`.
  public override init(reduction: Reduction = .mean) {
    beta = 1
    super.init(reduction: reduction)
  }

  /// - Throws: ``NNError`` if `beta < 0`.
  public init(reduction: Reduction = .mean, beta: Double) throws {
    guard beta >= 0 else {
      throw NNError("smooth_l1_loss does not support negative values for beta, got \(beta)")
    }
    self.beta = beta
    super.init(reduction: reduction)
  }

  public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
    smoothL1Loss(input, target, reduction: reduction, beta: beta)
  }
}
