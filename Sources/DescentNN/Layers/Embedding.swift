import Descent

/// A lookup table of `numEmbeddings` vectors of size `embeddingDim` (`torch.nn.Embedding`).
///
/// The input is an `int64` tensor of indices of any shape; the output appends
/// `embeddingDim`. The weight starts as `N(0, 1)` draws; the row `paddingIdx`, if given,
/// starts at zero and receives no gradient.
public final class Embedding: Module {
  /// Size of the table.
  public let numEmbeddings: Int
  /// Size of each vector.
  public let embeddingDim: Int
  /// The row that gets no gradient (normalised to be non-negative), if any.
  public let paddingIdx: Int?
  /// The table, `[numEmbeddings, embeddingDim]`.
  public let weight: Tensor

  /// - Parameters:
  ///   - numEmbeddings: number of rows.
  ///   - embeddingDim: size of each row.
  ///   - paddingIdx: a row excluded from training (negative counts from the end).
  ///   - dtype: default `.float32`.
  ///   - generator: random source for the initial values.
  public init(
    _ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil, dtype: DType = .float32,
    generator: Generator? = nil
  ) {
    if let paddingIdx {
      require(
        paddingIdx >= -numEmbeddings && paddingIdx < numEmbeddings,
        "Padding_idx must be within num_embeddings")
    }
    self.numEmbeddings = numEmbeddings
    self.embeddingDim = embeddingDim
    self.paddingIdx = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
    weight = Tensor.zeros([numEmbeddings, embeddingDim], dtype: dtype)
    super.init()
    registerParameter("weight", weight)
    resetParameters(generator: generator)
  }

  public override var extraDescription: String {
    "\(numEmbeddings), \(embeddingDim)" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
  }

  /// Re-draws the weight from `N(0, 1)` and zeroes the padding row (`reset_parameters`).
  public func resetParameters(generator: Generator? = nil) {
    Init.normal(weight, generator: generator)
    if let paddingIdx { withNoGrad { _ = weight[paddingIdx].fill(0) } }
  }

  /// Looks up the rows at `input` (an `int64` tensor).
  public override func forward(_ input: Tensor) -> Tensor {
    Tensor.embedding(input, weight: weight, paddingIdx: paddingIdx)
  }

  /// Looks up the rows at `indices`.
  public func callAsFunction(_ indices: [Int]) -> Tensor { forward(Tensor(indices)) }
}
