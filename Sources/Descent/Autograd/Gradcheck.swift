/// A gradient check that found the analytical Jacobian (from backward) away from the
/// numerical one (from central differences), as `torch.autograd.gradcheck` reports.
public struct GradcheckError: Error, CustomStringConvertible {
  /// Which output and input disagree, where, and both Jacobians.
  public let message: String
  public var description: String { message }
}

/// Checks the backward rules behind `function` against central finite differences, like
/// `torch.autograd.gradcheck`.
///
/// For every input that requires grad and every element `x` of it, the numerical Jacobian
/// column is `(f(x + eps) - f(x - eps)) / (2 * eps)`, computed by perturbing the input's
/// memory in place (so non-contiguous inputs are perturbed element by element). The
/// analytical Jacobian comes from one backward pass per output element with a one-hot
/// gradient (``Autograd/grad(_:inputs:gradOutputs:retainGraph:allowUnused:)``; nothing
/// accumulates into `.grad`). They must agree elementwise:
/// `|analytical - numerical| <= atol + rtol * |numerical|`, as in `torch.allclose`.
///
/// - Parameters:
///   - function: the computation to check; it receives `inputs` and returns its outputs.
///     Non-floating outputs are ignored. Outputs that don't require grad must have a zero
///     numerical Jacobian.
///   - inputs: the inputs; only those with `requiresGrad` are checked. Use `float64`
///     inputs: with `float32` the differences are dominated by rounding (PyTorch warns).
///     Inputs may be non-contiguous but must not overlap in memory (no expanded dims), as
///     in PyTorch.
///   - eps: perturbation size. Default `1e-6`.
///   - atol: absolute tolerance. Default `1e-5`.
///   - rtol: relative tolerance. Default `1e-3`.
///   - raiseException: throw a ``GradcheckError`` describing the first mismatch (default,
///     as PyTorch's `raise_exception=True`) instead of returning `false`.
/// - Returns: `true` when every Jacobian entry agrees.
@discardableResult
public func gradcheck(
  _ function: ([Tensor]) -> [Tensor], inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5,
  rtol: Double = 1e-3, raiseException: Bool = true
) throws -> Bool {
  let checked = inputs.indices.filter { inputs[$0].requiresGrad }
  require(
    !checked.isEmpty,
    "gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True."
  )
  for i in checked {
    let x = inputs[i]
    require(x.dtype.isFloatingPoint, "gradcheck: input #\(i) requires grad but is \(x.dtype)")
    require(
      !zip(x.shape, x.strides).contains { $0.0 > 1 && $0.1 == 0 },
      "The \(i)th input has a dimension with stride 0. gradcheck only supports inputs that are non-overlapping to be able to compute the numerical gradients correctly. You should call .contiguous on the input before passing it to gradcheck."
    )
  }
  let outputs = withGrad { function(inputs) }
  let outputIndices = outputs.indices.filter { outputs[$0].dtype.isFloatingPoint }

  // numerical[o][k] is d output[o] / d (input checked[k]), as [inputElement][outputElement].
  var numerical: [[[Double]]] = outputIndices.map { _ in checked.map { _ in [] } }
  for (k, i) in checked.enumerated() {
    let x = inputs[i]
    let n = x.count
    for o in outputIndices.indices { numerical[o][k] = [] }
    for j in 0..<n {
      // Outputs are read out right away: a view of an input would otherwise see the
      // next perturbation.
      func evaluate(at value: Double) -> [[Double]] {
        x.setElementRaw(value, at: j)
        let outputs = withNoGrad { function(inputs) }
        return outputIndices.map { outputs[$0].asArray(Double.self) }
      }
      let original = x.element(at: j)
      let plus = evaluate(at: original + eps)
      let minus = evaluate(at: original - eps)
      x.setElementRaw(original, at: j)
      for o in outputIndices.indices {
        numerical[o][k].append(contentsOf: zip(plus[o], minus[o]).map { ($0 - $1) / (2 * eps) })
      }
    }
  }

  for (o, index) in outputIndices.enumerated() {
    let output = outputs[index]
    let m = output.count
    // analytical[k][j * m + r]: d output[r] / d input[j].
    var analytical: [[Double]] = checked.map { inputs[$0].count }.map {
      [Double](repeating: 0, count: $0 * m)
    }
    if output.requiresGrad {
      for r in 0..<m {
        var oneHot = [Double](repeating: 0, count: m)
        oneHot[r] = 1
        let seed = Tensor(oneHot, shape: output.shape, dtype: output.dtype)
        let grads = Autograd.grad(
          [output], inputs: checked.map { inputs[$0] }, gradOutputs: [seed], retainGraph: true,
          allowUnused: true)
        for (k, grad) in grads.enumerated() {
          guard let grad else { continue }
          for (j, v) in grad.asArray(Double.self).enumerated() { analytical[k][j * m + r] = v }
        }
      }
    }
    for (k, i) in checked.enumerated() {
      let num = numerical[o][k]
      let ana = analytical[k]
      // `num` is laid out [inputElement][outputElement] too: one row of m per input element.
      for e in 0..<num.count {
        let a = ana[e]
        let nv = num[e]
        if Swift.abs(a - nv) <= atol + rtol * Swift.abs(nv) { continue }
        if !raiseException { return false }
        throw GradcheckError(
          message: """
            Jacobian mismatch for output \(index) with respect to input \(i): \
            d output[\(e % Swift.max(m, 1))] / d input[\(e / Swift.max(m, 1))] is \(a) analytically but \(nv) numerically \
            (atol \(atol), rtol \(rtol)),
            numerical: \(num)
            analytical: \(ana)
            """)
      }
    }
  }
  return true
}

/// ``gradcheck(_:inputs:eps:atol:rtol:raiseException:)`` for a function with one output.
@discardableResult
public func gradcheck(
  _ function: ([Tensor]) -> Tensor, inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5,
  rtol: Double = 1e-3, raiseException: Bool = true
) throws -> Bool {
  try gradcheck(
    { [function($0)] } as ([Tensor]) -> [Tensor], inputs: inputs, eps: eps, atol: atol, rtol: rtol,
    raiseException: raiseException)
}

extension Tensor {
  /// Storage offset of the element at row-major logical index `linear`.
  private func storageOffset(ofLinear linear: Int) -> Int {
    var rem = linear
    var off = offset
    for d in stride(from: rank - 1, through: 0, by: -1) {
      off += (rem % shape[d]) * strides[d]
      rem /= shape[d]
    }
    return off
  }

  /// The element at row-major logical index `linear`, for any layout.
  fileprivate func element(at linear: Int) -> Double {
    let off = storageOffset(ofLinear: linear)
    return withExtendedLifetime(storage) {
      switch dtype {
      case .float32: Double(storage.pointer(as: Float.self)[off])
      case .float64: storage.pointer(as: Double.self)[off]
      default: requirementFailure("gradcheck: expected float32 or float64 inputs, got \(dtype)")
      }
    }
  }

  /// Overwrites one element in memory without autograd checks: gradcheck perturbs leaves
  /// that require grad, which an in-place op would refuse.
  fileprivate func setElementRaw(_ value: Double, at linear: Int) {
    let off = storageOffset(ofLinear: linear)
    withExtendedLifetime(storage) {
      switch dtype {
      case .float32: storage.pointer(as: Float.self)[off] = Float(value)
      case .float64: storage.pointer(as: Double.self)[off] = value
      default: requirementFailure("gradcheck: expected float32 or float64 inputs, got \(dtype)")
      }
    }
  }
}
