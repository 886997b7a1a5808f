import Descent

/// Flattens dims `startDim...endDim` into one (`torch.nn.Flatten`); by default everything
/// but the batch dimension.
public final class Flatten: Module {
  /// First dim to flatten. Default 1.
  public let startDim: Int
  /// Last dim to flatten. Default -1.
  public let endDim: Int

  public init(startDim: Int = 1, endDim: Int = -1) {
    self.startDim = startDim
    self.endDim = endDim
    super.init()
  }

  public override var extraDescription: String { "start_dim=\(startDim), end_dim=\(endDim)" }

  public override func forward(_ input: Tensor) -> Tensor {
    input.flatten(startDim: startDim, endDim: endDim)
  }
}

/// Returns its input (`torch.nn.Identity`), e.g. as a placeholder layer.
public final class Identity: Module {
  public override init() { super.init() }
  public override func forward(_ input: Tensor) -> Tensor { input }
}
