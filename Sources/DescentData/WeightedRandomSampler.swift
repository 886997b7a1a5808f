import Descent
import Foundation

/// Indices drawn with probabilities proportional to `weights`
/// (`torch.utils.data.WeightedRandomSampler`).
///
/// Each epoch draws `numSamples` indices from `0..<weights.count` by `torch.multinomial`'s
/// rules:
/// - `replacement: true` (default): independent draws, index `i` with probability
///   `weights[i] / sum(weights)` (inverse-CDF sampling on the normalised cumulative sum).
/// - `replacement: false`: no index twice; the draw is the top `numSamples` of
///   `weights[i] / q[i]` with `q[i] ~ Exp(1)`, PyTorch's algorithm, so zero-weight indices
///   come last. `numSamples` may not exceed the number of weights.
///
/// Weights need not sum to one. Negative, infinite or NaN weights and an all-zero vector throw
/// PyTorch's `multinomial` errors from the initialiser (PyTorch raises them when the first
/// epoch starts; checking early lets a Swift sampler be a non-throwing `Sequence`).
public struct WeightedRandomSampler: Sampler {
  /// The unnormalised weights, one per index.
  public let weights: [Double]
  /// Indices per epoch.
  public let numSamples: Int
  /// Whether an index may be drawn more than once.
  public let replacement: Bool
  /// The generator, or `nil` for the default generator.
  public let generator: Descent.Generator?

  /// Throws PyTorch's errors unless `numSamples` is positive and `weights` form a valid
  /// multinomial distribution for the chosen `replacement`.
  public init(
    _ weights: [Double], numSamples: Int, replacement: Bool = true, generator: Descent.Generator? = nil
  ) throws {
    guard numSamples > 0 else {
      throw DataError.invalidArgument(
        "num_samples should be a positive integer value, but got num_samples=\(numSamples)")
    }
    try multinomialCheck(weights, numSamples: numSamples, replacement: replacement)
    self.weights = weights
    self.numSamples = numSamples
    self.replacement = replacement
    self.generator = generator
  }

  public var count: Int { numSamples }

  /// One epoch of indices, drawn when the iterator is made.
  public func makeIterator() -> IndexingIterator<[Int]> {
    multinomialDraw(weights, numSamples: numSamples, replacement: replacement, generator: generator)
      .makeIterator()
  }
}

func multinomialCheck(_ weights: [Double], numSamples: Int, replacement: Bool) throws {
  guard !weights.isEmpty else {
    throw DataError.runtime(
      "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.")
  }
  guard replacement || numSamples <= weights.count else {
    throw DataError.runtime("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
  }
  if replacement {
    for w in weights {
      // The order of the checks is PyTorch's: NaN fails `>= 0` first.
      guard w >= 0 else {
        throw DataError.runtime("invalid multinomial distribution (encountering probability entry < 0)")
      }
      guard w.isFinite else {
        throw DataError.runtime(
          "invalid multinomial distribution (encountering probability entry = infinity or NaN)")
      }
    }
  } else {
    guard weights.allSatisfy({ $0 >= 0 && $0 < .infinity }) else {
      throw DataError.runtime("probability tensor contains either `inf`, `nan` or element < 0")
    }
  }
  guard weights.reduce(0, +) > 0 else {
    throw DataError.runtime("invalid multinomial distribution (sum of probabilities <= 0)")
  }
}

/// `torch.multinomial(weights, numSamples, replacement)` for one row of float64 weights that
/// passed ``multinomialCheck(_:numSamples:replacement:)``.
func multinomialDraw(
  _ weights: [Double], numSamples: Int, replacement: Bool, generator: Descent.Generator?
) -> [Int] {
  let generator = generator ?? .default
  let n = weights.count
  if replacement {
    var cumulative = [Double](repeating: 0, count: n)
    var sum = 0.0
    for j in 0..<n {
      sum += weights[j]
      cumulative[j] = sum
    }
    for j in 0..<n { cumulative[j] /= sum }
    // Rounding can leave the last entry just below 1; a draw must never fall past it.
    cumulative[n - 1] = 1
    var out = [Int]()
    out.reserveCapacity(numSamples)
    for _ in 0..<numSamples {
      let u = generator.nextDouble()
      // The first index whose cumulative probability reaches u.
      var lo = 0
      var hi = n
      while lo < hi {
        let mid = lo + (hi - lo) / 2
        if cumulative[mid] < u { lo = mid + 1 } else { hi = mid }
      }
      out.append(lo)
    }
    return out
  }
  // Gumbel-top-k in exponential form: argmax of w / q with q ~ Exp(1).
  let keys: [Double] = (0..<n).map { i in
    let q = -Foundation.log(1 - generator.nextDouble())
    // q is 0 once in 2^53 draws; keep the key ordered instead of NaN.
    return q > 0 ? weights[i] / q : (weights[i] > 0 ? .infinity : 0)
  }
  let order = (0..<n).sorted { keys[$0] > keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
  return Array(order.prefix(numSamples))
}
