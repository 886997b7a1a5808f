import Descent

/// Randomly zeroes elements with probability `p` during training and scales the rest by
/// `1 / (1 - p)` (`torch.nn.Dropout`); the identity in evaluation mode.
///
/// The mask is drawn from `generator` (or the global `Generator.default`), so a seeded
/// generator reproduces it; the stream is Descent's, not PyTorch's.
public final class Dropout: Module {
  /// Probability of zeroing an element. Default 0.5.
  public let p: Double
  private let generator: Generator?

  /// - Throws: ``NNError`` unless `0 <= p <= 1`.
  public init(p: Double = 0.5, generator: Generator? = nil) throws {
    guard p >= 0 && p <= 1 else {
      throw NNError("dropout probability has to be between 0 and 1, but got \(p)")
    }
    self.p = p
    self.generator = generator
    super.init()
  }

  public override var extraDescription: String { "p=\(p), inplace=False" }

  public override func forward(_ input: Tensor) -> Tensor {
    dropout(input, p: p, training: isTraining, generator: generator)
  }
}

/// `torch.nn.functional.dropout`: in training, keeps each element with probability
/// `1 - p` and scales it by `1 / (1 - p)`; with `p == 1` the result is all zeros.
/// Returns `input` itself when not training or when `p == 0`.
public func dropout(_ input: Tensor, p: Double = 0.5, training: Bool = true, generator: Generator? = nil)
  -> Tensor
{
  require(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got \(p)")
  if !training || p == 0 { return input }
  if p == 1 { return input * 0.0 }
  let keep = Tensor.rand(input.shape, dtype: input.dtype, generator: generator) .< (1 - p)
  let mask = keep.to(dtype: input.dtype) / (1 - p)
  return input * mask
}
