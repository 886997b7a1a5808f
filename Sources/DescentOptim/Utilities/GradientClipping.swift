import Descent
import Foundation

/// An error from gradient clipping: a non-finite total norm when
/// `errorIfNonfinite` is set. The message is PyTorch's `RuntimeError`'s.
public struct ClipGradError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The message, naming the norm's order.
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}

/// Clips the gradients of `parameters` so that their total norm is at most `maxNorm`
/// (`torch.nn.utils.clip_grad_norm_`), in place, and returns the total norm before
/// clipping.
///
/// The total norm is the `normType`-norm of the gradients viewed as one vector: the norm of
/// the per-gradient norms, `‖(‖g₁‖ₚ, ‖g₂‖ₚ, …)‖ₚ`, computed as PyTorch does (each gradient's
/// norm in its dtype, the total in the widest dtype among them). Every gradient is then
/// multiplied by
///
/// ```
/// min(maxNorm / (total + 1e-6), 1)
/// ```
///
/// so gradients are only scaled down. Parameters without a gradient are skipped.
///
/// ```swift
/// loss.backward()
/// let norm = try clipGradNorm(model.parameters(), maxNorm: 1.0)
/// try optimizer.step()
/// ```
///
/// - Parameters:
///   - parameters: the tensors whose `.grad` is clipped.
///   - maxNorm: the largest total norm that is left unchanged.
///   - normType: the norm's order `p` (default 2): any real number, `.infinity` for the
///     largest magnitude, `-.infinity` for the smallest, 0 for the count of non-zeros.
///   - errorIfNonfinite: throw, and leave the gradients alone, when the total norm is NaN
///     or infinite (default `false`: the gradients are scaled by the non-finite norm, as
///     PyTorch does).
/// - Returns: the total norm, a 0-d tensor (float32 when there are no gradients).
/// - Throws: ``ClipGradError`` with PyTorch's message for a non-finite norm when
///   `errorIfNonfinite` is set.
@discardableResult
public func clipGradNorm(
  _ parameters: [Tensor], maxNorm: Double, normType: Double = 2, errorIfNonfinite: Bool = false
) throws -> Tensor {
  let grads = parameters.compactMap(\.grad)
  let total = try getTotalNorm(grads, normType: normType, errorIfNonfinite: errorIfNonfinite)
  clipGradsWithNorm(parameters, maxNorm: maxNorm, totalNorm: total)
  return total
}

/// Clamps every gradient of `parameters` to `[-clipValue, clipValue]`
/// (`torch.nn.utils.clip_grad_value_`), in place, and returns the total 2-norm of the
/// gradients before clamping, computed in the same pass.
///
/// PyTorch's `clip_grad_value_` returns `None`; the norm is Descent's addition, so that
/// both clipping functions report the norm they clipped (it is the value
/// ``getTotalNorm(_:normType:errorIfNonfinite:)`` would give). NaN gradients stay NaN.
///
/// - Parameters:
///   - parameters: the tensors whose `.grad` is clamped; those without one are skipped.
///   - clipValue: the bound. Each element becomes `min(max(g, -clipValue), clipValue)`,
///     so a negative bound sets every element to it, as in PyTorch.
/// - Returns: the total 2-norm before clamping, a 0-d tensor.
@discardableResult
public func clipGradValue(_ parameters: [Tensor], clipValue: Double) -> Tensor {
  let grads = parameters.compactMap(\.grad)
  return withNoGrad { GradientNorms.total(grads, normType: 2, clampingTo: clipValue) }
}

/// The `normType`-norm of `tensors` viewed as one vector (`torch.nn.utils.get_total_norm`):
/// the norm of their norms, each in its tensor's dtype, the total in the widest dtype among
/// them. All tensors are read in one parallel pass.
///
/// - Parameters:
///   - tensors: the tensors (typically gradients).
///   - normType: the order `p` (default 2); `.infinity`, `-.infinity` and 0 as in
///     ``clipGradNorm(_:maxNorm:normType:errorIfNonfinite:)``.
///   - errorIfNonfinite: throw when the norm is NaN or infinite (default `false`).
/// - Returns: the norm, a 0-d tensor (float32 0 for an empty list).
/// - Throws: ``ClipGradError`` with PyTorch's message for a non-finite norm when
///   `errorIfNonfinite` is set.
public func getTotalNorm(
  _ tensors: [Tensor], normType: Double = 2, errorIfNonfinite: Bool = false
) throws -> Tensor {
  let total = withNoGrad { GradientNorms.total(tensors, normType: normType, clampingTo: nil) }
  if errorIfNonfinite && !total.item().isFinite {
    throw ClipGradError(
      "The total norm of order \(normType) for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
    )
  }
  return total
}

/// Scales the gradients of `parameters` by `min(maxNorm / (totalNorm + 1e-6), 1)`, in place
/// (`torch.nn.utils.clip_grads_with_norm_`): the second half of
/// ``clipGradNorm(_:maxNorm:normType:errorIfNonfinite:)`` for a norm computed beforehand.
///
/// The coefficient is computed in `totalNorm`'s dtype as PyTorch's tensor ops compute it,
/// each rounded to that dtype (`max_norm / t` on a tensor is `t.reciprocal() * max_norm`,
/// and a half tensor plus `1e-6` adds `1e-6` rounded to half), and is then applied to each
/// gradient in the gradient's dtype.
public func clipGradsWithNorm(_ parameters: [Tensor], maxNorm: Double, totalNorm: Tensor) {
  let grads = parameters.compactMap(\.grad)
  guard !grads.isEmpty else { return }
  // clip_coef = max_norm / (total_norm + 1e-6); torch.clamp(clip_coef, max=1.0), in the
  // norm's dtype (NaN stays NaN).
  let total = totalNorm.item()
  let c: Double
  switch totalNorm.dtype {
  case .float32:
    c = Double((1 / (Float(total) + Float(1e-6))) * Float(maxNorm))
  case .bfloat16, .float16:
    let dtype = totalNorm.dtype
    let reciprocal = dtype.rounding(1 / dtype.rounding(Float(total) + dtype.rounding(Float(1e-6))))
    c = Double(dtype.rounding(reciprocal * Float(maxNorm)))
  default:
    c = (1 / (total + 1e-6)) * maxNorm
  }
  let coefficient = c.isNaN || c <= 1 ? c : 1
  withNoGrad {
    for grad in grads {
      // A 0-d gradient and a float64 coefficient promote to float64, then round back.
      if grad.dtype == .float32 && grad.rank == 0 && totalNorm.dtype == .float64 {
        grad.fill(Double(Float(grad.item() * coefficient)))
      } else {
        grad.mulInPlace(coefficient)
      }
    }
  }
}

/// The norms behind ``getTotalNorm(_:normType:errorIfNonfinite:)``, in one pass over all
/// tensors: each tensor is cut into blocks, the blocks of all tensors are reduced in
/// parallel, and each tensor's partial results are combined in block order.
enum GradientNorms {
  /// The kinds of `vector_norm` reductions.
  enum Order {
    case sum(p: Double)  // Σ|x|ᵖ, then ^(1/p): p = 1, 2 and the general case
    case maximum  // p = inf
    case minimum  // p = -inf
    case count  // p = 0

    init(_ p: Double) {
      switch p {
      case .infinity: self = .maximum
      case -.infinity: self = .minimum
      case 0: self = .count
      default: self = .sum(p: p)
      }
    }

    var identity: Double {
      switch self {
      case .sum, .count: 0
      case .maximum: -.infinity
      case .minimum: .infinity
      }
    }

    @inline(__always)
    func accumulate(_ partial: Double, _ x: Double) -> Double {
      switch self {
      case .sum(let p):
        let a = Swift.abs(x)
        return partial + (p == 2 ? a * a : p == 1 ? a : Foundation.pow(a, p))
      case .count: return x != 0 ? partial + 1 : partial
      case .maximum:  // amax: NaN wins
        let a = Swift.abs(x)
        return partial.isNaN ? partial : a.isNaN || a > partial ? a : partial
      case .minimum:  // amin: NaN wins
        let a = Swift.abs(x)
        return partial.isNaN ? partial : a.isNaN || a < partial ? a : partial
      }
    }

    func combine(_ a: Double, _ b: Double) -> Double {
      switch self {
      case .sum, .count: a + b
      case .maximum: a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
      case .minimum: a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
      }
    }

    /// The norm from the reduced value.
    func finish(_ reduced: Double) -> Double {
      switch self {
      case .sum(let p): p == 2 ? reduced.squareRoot() : p == 1 ? reduced : Foundation.pow(reduced, 1 / p)
      case .maximum, .minimum, .count: reduced
      }
    }
  }

  /// The total norm of `tensors`; with `bound`, also clamps each element to
  /// `[-bound, bound]` after reading it.
  static func total(_ tensors: [Tensor], normType: Double, clampingTo bound: Double?) -> Tensor {
    guard !tensors.isEmpty else { return Tensor(scalar: 0, dtype: .float32) }
    let order = Order(normType)
    // Contiguous sources; a view is reduced from a copy (and clamped through copying back).
    // Half gradients are reduced (and clamped) in float32 copies; their norms are rounded
    // to their dtype.
    let sources = tensors.map {
      $0.dtype.isReducedPrecision ? $0.to(dtype: .float32) : ($0.isContiguous ? $0 : $0.contiguous())
    }
    var blocks: [(tensor: Int, range: Range<Int>)] = []
    for (t, tensor) in sources.enumerated() {
      let n = tensor.count
      let pieces = Swift.max(1, n / Threads.grainSize)
      for b in 0..<pieces { blocks.append((t, b * n / pieces..<(b + 1) * n / pieces)) }
    }
    var partial = [Double](repeating: order.identity, count: blocks.count)
    partial.withUnsafeMutableBufferPointer { results in
      let out = results.baseAddress!
      blocks.withUnsafeBufferPointer { blocks in
        parallelChunks(blocks.count, grain: 1) { chunk in
          for b in chunk {
            let tensor = sources[blocks[b].tensor]
            out[b] =
              tensor.dtype == .float32
              ? reduce(Float.self, tensor, blocks[b].range, order, bound)
              : reduce(Double.self, tensor, blocks[b].range, order, bound)
          }
        }
      }
    }
    // Each tensor's norm, rounded to its dtype as `vector_norm` returns it.
    var norms = [Double](repeating: order.identity, count: sources.count)
    for (b, block) in blocks.enumerated() {
      norms[block.tensor] = order.combine(norms[block.tensor], partial[b])
    }
    for (t, tensor) in tensors.enumerated() {
      norms[t] = tensor.dtype.rounding(order.finish(norms[t]))
    }
    if bound != nil {
      for (tensor, source) in zip(tensors, sources) where tensor !== source {
        tensor.copyInPlace(from: source)
      }
    }
    // `vector_norm(stack(norms))` in the norms' promoted dtype: one half type when every
    // gradient has it, else float32 or float64.
    let dtypes = Set(tensors.map(\.dtype))
    let dtype: DType =
      dtypes.count == 1 ? tensors[0].dtype : dtypes.contains(.float64) ? .float64 : .float32
    var reduced = order.identity
    for norm in norms { reduced = order.accumulate(reduced, norm) }
    return Tensor(scalar: dtype.rounding(order.finish(reduced)), dtype: dtype)
  }

  /// One block's partial reduction, accumulated in Double; clamps when `bound` is set.
  private static func reduce<T: TensorScalar>(
    _: T.Type, _ tensor: Tensor, _ range: Range<Int>, _ order: Order, _ bound: Double?
  ) -> Double {
    tensor.withUnsafeMutablePointer(T.self) { x in
      var acc = order.identity
      if let bound {
        let low = T(-bound)
        let high = T(bound)
        for i in range {
          let value = x[i]
          acc = order.accumulate(acc, Double(value))
          // clamp_min_(-c) then clamp_max_(c); NaN stays NaN.
          let clamped = value.isNaN ? value : Swift.min(Swift.max(value, low), high)
          x[i] = clamped
        }
      } else if case .sum(2) = order {  // the usual case, without the switch per element
        for i in range {
          let value = Double(x[i])
          acc += value * value
        }
      } else {
        for i in range { acc = order.accumulate(acc, Double(x[i])) }
      }
      return acc
    }
  }
}
