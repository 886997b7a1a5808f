import Descent

/// `y = x Wᵀ + b` (`torch.nn.Linear`).
///
/// `weight` has shape `[outFeatures, inFeatures]` and `bias` `[outFeatures]`. Input of shape
/// `[*, inFeatures]` gives output `[*, outFeatures]`.
///
/// Initialisation is PyTorch's `reset_parameters()`: the weight is
/// `kaiming_uniform_(a: √5)`, i.e. uniform in `±1/√inFeatures`, and the bias is uniform in
/// `±1/√fan_in` (zero when `inFeatures == 0`). The random stream is Descent's
/// (`Generator`), so the values differ from PyTorch's for the same seed.
public final class Linear: Module {
  /// Number of input features.
  public let inFeatures: Int
  /// Number of output features.
  public let outFeatures: Int
  /// The learnable weight, `[outFeatures, inFeatures]`.
  public let weight: Tensor
  /// The learnable bias, `[outFeatures]`, or `nil` when created with `bias: false`.
  public let bias: Tensor?

  /// - Parameters:
  ///   - inFeatures: size of each input sample.
  ///   - outFeatures: size of each output sample.
  ///   - bias: learn an additive bias (default `true`).
  ///   - dtype: parameter dtype (default `.float32`).
  ///   - generator: random source for the initial values (default: the global one).
  public init(
    _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32,
    generator: Generator? = nil
  ) {
    require(
      inFeatures >= 0 && outFeatures >= 0,
      "Linear: in_features and out_features must be non-negative, got \(inFeatures) and \(outFeatures)")
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    weight = Tensor.zeros([outFeatures, inFeatures], dtype: dtype)
    self.bias = bias ? Tensor.zeros([outFeatures], dtype: dtype) : nil
    super.init()
    registerParameter("weight", weight)
    if let b = self.bias { registerParameter("bias", b) }
    resetParameters(generator: generator)
  }

  /// Labelled spelling: `Linear(inFeatures: 4, outFeatures: 2)`.
  public convenience init(
    inFeatures: Int, outFeatures: Int, bias: Bool = true, dtype: DType = .float32,
    generator: Generator? = nil
  ) {
    self.init(inFeatures, outFeatures, bias: bias, dtype: dtype, generator: generator)
  }

  public override var extraDescription: String {
    "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(pythonRepr(bias != nil))"
  }

  /// Re-draws the parameters as at construction (`reset_parameters()`).
  public func resetParameters(generator: Generator? = nil) {
    Init.kaimingUniform(weight, a: 5.0.squareRoot(), generator: generator)
    if let bias {
      let fanIn = Init.fans(weight).fanIn
      let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
      Init.uniform(bias, a: -bound, b: bound, generator: generator)
    }
  }

  /// `input @ weightᵀ + bias` (``Tensor/linear(_:weight:bias:)``): for a 2-D input one
  /// `addmm`, the bias added by the product's `gemm` (node `AddmmBackward0`, as in PyTorch).
  public override func forward(_ input: Tensor) -> Tensor {
    require(input.dtype.isFloatingPoint || bias == nil, linearDTypeMessage(input, weight))
    require(
      input.rank >= 1 && input.shape[input.rank - 1] == inFeatures,
      "Linear: mat1 and mat2 shapes cannot be multiplied (input shape \(input.shape), weight shape \(weight.shape))"
    )
    return Tensor.linear(input, weight: weight, bias: bias)
  }
}
