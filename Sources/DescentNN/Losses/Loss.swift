import Descent

/// How a loss combines its per-element values (`reduction=`).
public enum Reduction: String, Sendable, CaseIterable {
  /// The per-element losses, unreduced (`'none'`).
  case none
  /// Their mean (`'mean'`, the default). Weighted losses divide by the total weight
  /// instead, as documented on each.
  case mean
  /// Their sum (`'sum'`).
  case sum
}

/// The base class of loss modules: a ``Module`` called with an input and a target,
/// `criterion(pred, y)`, like PyTorch's `_Loss`.
open class Loss: Module {
  /// How the per-element losses are combined. Default ``Reduction/mean``.
  public let reduction: Reduction

  public init(reduction: Reduction = .mean) {
    self.reduction = reduction
    super.init()
  }

  /// The loss of `input` against `target`. Subclasses override it.
  open func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
    requirementFailure("Loss [\(type(of: self))] is missing the required \"forward\" function")
  }

  /// Runs ``forward(_:_:)``: `criterion(pred, y)`.
  public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { forward(input, target) }
}

func reduce(_ loss: Tensor, _ reduction: Reduction) -> Tensor {
  switch reduction {
  case .none: loss
  case .mean: loss.mean()
  case .sum: loss.sum()
  }
}

/// Stops unless `input` and `target` have the same shape.
///
/// PyTorch broadcasts mismatched shapes in the regression losses with a warning that the
/// result is probably wrong; Descent stops instead.
func checkSameShape(_ input: Tensor, _ target: Tensor, _ op: String) {
  require(
    input.shape == target.shape,
    "\(op): Using a target size (\(target.shape)) that is different to the input size (\(input.shape)). Please ensure they have the same size."
  )
}
