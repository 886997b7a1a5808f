import Descent

/// Parameter initialisation (`torch.nn.init`).
///
/// Each function fills its tensor in place without recording autograd (as PyTorch's
/// trailing-underscore functions do under `no_grad`) and returns it. Random draws come from
/// `generator`, or the global `Generator.default`: the distributions are PyTorch's but the
/// streams are Descent's, so values differ from PyTorch's for the same seed.
public enum Init {
  /// The activation that follows a layer, for ``calculateGain(_:param:)``.
  public enum Nonlinearity: String, Sendable, CaseIterable {
    case linear, conv1d, conv2d, conv3d
    case convTranspose1d = "conv_transpose1d"
    case convTranspose2d = "conv_transpose2d"
    case convTranspose3d = "conv_transpose3d"
    case sigmoid, tanh, relu
    case leakyRelu = "leaky_relu"
    case selu
  }

  /// Which fan the Kaiming initialisers preserve the variance of.
  public enum FanMode: String, Sendable {
    /// Preserve the variance of activations in the forward pass (default).
    case fanIn = "fan_in"
    /// Preserve the variance of gradients in the backward pass.
    case fanOut = "fan_out"
  }

  /// The recommended gain for a nonlinearity (`calculate_gain`): 1 for linear, convolution
  /// and sigmoid, 5/3 for tanh, √2 for ReLU, `√(2 / (1 + slope²))` for leaky ReLU (`param`
  /// is the negative slope, default 0.01) and 3/4 for SELU.
  public static func calculateGain(_ nonlinearity: Nonlinearity, param: Double? = nil) -> Double {
    switch nonlinearity {
    case .linear, .conv1d, .conv2d, .conv3d, .convTranspose1d, .convTranspose2d, .convTranspose3d,
      .sigmoid:
      return 1
    case .tanh: return 5.0 / 3
    case .relu: return 2.0.squareRoot()
    case .leakyRelu:
      let slope = param ?? 0.01
      return (2.0 / (1 + slope * slope)).squareRoot()
    case .selu: return 3.0 / 4
    }
  }

  /// `fan_in` and `fan_out` of a weight of rank 2 or more
  /// (`_calculate_fan_in_and_fan_out`): `shape[1]` and `shape[0]`, each times the receptive
  /// field size (the product of the dims after the first two).
  public static func fans(_ tensor: Tensor) -> (fanIn: Int, fanOut: Int) {
    require(
      tensor.rank >= 2,
      "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape \(tensor.shape))"
    )
    let receptive = tensor.shape.dropFirst(2).reduce(1, *)
    return (tensor.shape[1] * receptive, tensor.shape[0] * receptive)
  }

  /// Fills with `U(a, b)` (`uniform_`; defaults 0 and 1).
  @discardableResult
  public static func uniform(_ tensor: Tensor, a: Double = 0, b: Double = 1, generator: Generator? = nil)
    -> Tensor
  {
    withNoGrad { tensor.fillUniform(low: a, high: b, generator: generator) }
  }

  /// Fills with `N(mean, std²)` (`normal_`; defaults 0 and 1).
  @discardableResult
  public static func normal(
    _ tensor: Tensor, mean: Double = 0, std: Double = 1, generator: Generator? = nil
  ) -> Tensor {
    withNoGrad { tensor.fillNormal(mean: mean, std: std, generator: generator) }
  }

  /// Fills with `value` (`constant_`).
  @discardableResult
  public static func constant(_ tensor: Tensor, _ value: Double) -> Tensor {
    withNoGrad { tensor.fill(value) }
  }

  /// Fills with zeros (`zeros_`).
  @discardableResult
  public static func zeros(_ tensor: Tensor) -> Tensor { constant(tensor, 0) }

  /// Fills with ones (`ones_`).
  @discardableResult
  public static func ones(_ tensor: Tensor) -> Tensor { constant(tensor, 1) }

  /// Glorot uniform (`xavier_uniform_`): `U(-a, a)` with
  /// `a = gain · √(6 / (fan_in + fan_out))`. Default `gain` 1.
  @discardableResult
  public static func xavierUniform(_ tensor: Tensor, gain: Double = 1, generator: Generator? = nil)
    -> Tensor
  {
    let (fanIn, fanOut) = fans(tensor)
    let std = gain * (2 / Double(fanIn + fanOut)).squareRoot()
    let a = 3.0.squareRoot() * std
    return uniform(tensor, a: -a, b: a, generator: generator)
  }

  /// Glorot normal (`xavier_normal_`): `N(0, std²)` with
  /// `std = gain · √(2 / (fan_in + fan_out))`. Default `gain` 1.
  @discardableResult
  public static func xavierNormal(_ tensor: Tensor, gain: Double = 1, generator: Generator? = nil)
    -> Tensor
  {
    let (fanIn, fanOut) = fans(tensor)
    let std = gain * (2 / Double(fanIn + fanOut)).squareRoot()
    return normal(tensor, mean: 0, std: std, generator: generator)
  }

  private static func kaimingStd(
    _ tensor: Tensor, a: Double, mode: FanMode, nonlinearity: Nonlinearity
  ) -> Double {
    let (fanIn, fanOut) = fans(tensor)
    let fan = mode == .fanIn ? fanIn : fanOut
    return calculateGain(nonlinearity, param: a) / Double(fan).squareRoot()
  }

  /// He uniform (`kaiming_uniform_`): `U(-bound, bound)` with
  /// `bound = gain · √(3 / fan)`, `gain = calculateGain(nonlinearity, param: a)`.
  ///
  /// - Parameters:
  ///   - tensor: the weight to fill, of rank 2 or more.
  ///   - a: the negative slope of the leaky ReLU that follows (default 0).
  ///   - mode: ``FanMode/fanIn`` (default) or ``FanMode/fanOut``.
  ///   - nonlinearity: default ``Nonlinearity/leakyRelu``, as in PyTorch.
  ///   - generator: random source (default: the global one).
  ///
  /// A tensor with no elements is left as is (PyTorch warns).
  @discardableResult
  public static func kaimingUniform(
    _ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu,
    generator: Generator? = nil
  ) -> Tensor {
    if tensor.count == 0 { return tensor }
    let bound = 3.0.squareRoot() * kaimingStd(tensor, a: a, mode: mode, nonlinearity: nonlinearity)
    return uniform(tensor, a: -bound, b: bound, generator: generator)
  }

  /// He normal (`kaiming_normal_`): `N(0, std²)` with `std = gain / √fan`. Parameters as
  /// ``kaimingUniform(_:a:mode:nonlinearity:generator:)``.
  @discardableResult
  public static func kaimingNormal(
    _ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu,
    generator: Generator? = nil
  ) -> Tensor {
    if tensor.count == 0 { return tensor }
    let std = kaimingStd(tensor, a: a, mode: mode, nonlinearity: nonlinearity)
    return normal(tensor, mean: 0, std: std, generator: generator)
  }

  /// A (semi-)orthogonal matrix (`orthogonal_`), as PyTorch computes it: draw
  /// `N(0, 1)` of shape `[rows, numel / rows]` (transposed when wider than tall), take its
  /// QR decomposition (LAPACK, `Linalg.qr`), fix the signs by `sign(diag(R))`, and
  /// scale by `gain` (default 1). Needs rank 2 or more.
  @discardableResult
  public static func orthogonal(_ tensor: Tensor, gain: Double = 1, generator: Generator? = nil)
    -> Tensor
  {
    require(
      tensor.rank >= 2, "Only tensors with 2 or more dimensions are supported (shape \(tensor.shape))")
    if tensor.count == 0 { return tensor }
    let rows = tensor.shape[0]
    let cols = tensor.count / rows
    return withNoGrad {
      var flattened = Tensor.normal([rows, cols], dtype: tensor.dtype, generator: generator)
      if rows < cols { flattened = flattened.t().contiguous() }
      var (q, r) = Linalg.qr(flattened)
      let k = Swift.min(rows, cols)
      let rValues = r.asArray(Double.self)
      let diagonal = (0..<k).map { rValues[$0 * r.shape[1] + $0] }
      let signs = Tensor(diagonal, dtype: tensor.dtype).sign()
      q = q * signs
      if rows < cols { q = q.t() }
      tensor.copyInPlace(from: q.reshape(tensor.shape) * gain)
      return tensor
    }
  }
}
