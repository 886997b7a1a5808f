import Descent

/// `max(x, 0)` elementwise (`torch.nn.ReLU`).
public final class ReLU: Module {
  public override init() { super.init() }
  public override func forward(_ input: Tensor) -> Tensor { input.relu() }
}

/// `x` where `x > 0`, else `negativeSlope · x` (`torch.nn.LeakyReLU`).
public final class LeakyReLU: Module {
  /// Slope for negative inputs. Default 0.01.
  public let negativeSlope: Double

  public init(negativeSlope: Double = 0.01) {
    self.negativeSlope = negativeSlope
    super.init()
  }

  public override func forward(_ input: Tensor) -> Tensor {
    input.leakyRelu(negativeSlope: negativeSlope)
  }

  public override var extraDescription: String { "negative_slope=\(negativeSlope)" }
}

/// `1 / (1 + exp(-x))` elementwise (`torch.nn.Sigmoid`).
public final class Sigmoid: Module {
  public override init() { super.init() }
  public override func forward(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// `tanh(x)` elementwise (`torch.nn.Tanh`).
public final class Tanh: Module {
  public override init() { super.init() }
  public override func forward(_ input: Tensor) -> Tensor { input.tanh() }
}

/// Gaussian error linear unit (`torch.nn.GELU`).
public final class GELU: Module {
  /// Which formula ``GELU`` uses.
  public enum Approximation: String, Sendable {
    /// Exact: `x · Φ(x) = x · ½ (1 + erf(x / √2))` (default).
    case none
    /// `½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    case tanh
  }

  /// The formula. Default ``Approximation/none``.
  public let approximate: Approximation

  public init(approximate: Approximation = .none) {
    self.approximate = approximate
    super.init()
  }

  public override var extraDescription: String { "approximate='\(approximate.rawValue)'" }

  public override func forward(_ input: Tensor) -> Tensor {
    switch approximate {
    case .none:
      return input.gelu()
    case .tanh:
      let inner = (input + input * input * input * 0.044715) * (2 / Double.pi).squareRoot()
      return input * 0.5 * (inner.tanh() + 1)
    }
  }
}

/// `exp(x) / sum(exp(x))` along `dim` (`torch.nn.Softmax`).
///
/// Departure from PyTorch: `dim` is required (PyTorch's `dim=None` picks one implicitly
/// and warns that this is deprecated).
public final class Softmax: Module {
  /// The dimension that sums to one.
  public let dim: Int

  public init(dim: Int) {
    self.dim = dim
    super.init()
  }

  public override func forward(_ input: Tensor) -> Tensor { input.softmax(dim: dim) }

  public override var extraDescription: String { "dim=\(dim)" }
}

/// `log(softmax(x))` along `dim`, computed stably (`torch.nn.LogSoftmax`). `dim` is
/// required, as for ``Softmax``.
public final class LogSoftmax: Module {
  /// The dimension normalised over.
  public let dim: Int

  public init(dim: Int) {
    self.dim = dim
    super.init()
  }

  public override func forward(_ input: Tensor) -> Tensor { input.logSoftmax(dim: dim) }

  public override var extraDescription: String { "dim=\(dim)" }
}
