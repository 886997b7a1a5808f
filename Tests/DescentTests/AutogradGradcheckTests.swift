import Descent
import DescentTestSupport
import Testing

/// How gradcheck inputs are laid out in memory.
enum GradcheckLayout: Sendable {
  /// Dense row-major.
  case contiguous
  /// The transpose of a dense tensor (last two dims swapped): column-major.
  case transposed
  /// Every other element of a dense tensor along the last dim (stride 2).
  case strided
}

/// Value ranges chosen so that every op is differentiable at the sample points.
enum GradcheckValues: Sendable {
  /// Uniform in [-1.5, 1.5].
  case any
  /// Uniform in [0.3, 2].
  case positive
  /// Magnitude in [0.3, 1.5] with a random sign: away from the kinks of abs, relu, sign.
  case awayFromZero
}

/// A float64 leaf that requires grad, with deterministic values and the given layout.
func gradLeaf(
  _ shape: [Int], seed: UInt64, _ values: GradcheckValues = .any, _ layout: GradcheckLayout = .contiguous
) -> Tensor {
  var storageShape = shape
  switch layout {
  case .contiguous: break
  case .transposed: storageShape.swapAt(shape.count - 1, shape.count - 2)
  case .strided: storageShape[shape.count - 1] *= 2
  }
  let g = Generator(seed: seed)
  let data = (0..<storageShape.reduce(1, *)).map { _ -> Double in
    let u = g.nextDouble()
    switch values {
    case .any: return -1.5 + 3 * u
    case .positive: return 0.3 + 1.7 * u
    case .awayFromZero:
      let magnitude = 0.3 + 1.2 * u
      return g.nextDouble() < 0.5 ? -magnitude : magnitude
    }
  }
  var t = Tensor(data, shape: storageShape, dtype: .float64)
  switch layout {
  case .contiguous: break
  case .transposed: t = t.transpose(-1, -2)
  case .strided: t = t.slice(dim: -1, step: 2)
  }
  precondition(t.shape == shape && (layout == .contiguous) == t.isContiguous)
  return t.requiresGrad(true)
}

// MARK: - The op table

/// Each binary op with equal shapes, broadcast shapes ([3, 1] with [4], and a 0-d operand)
/// and non-contiguous operands.
private func binaryCases(
  _ op: String, _ values: (GradcheckValues, GradcheckValues) = (.any, .any),
  _ f: @escaping @Sendable (Tensor, Tensor) -> Tensor
) -> [GradcheckCase] {
  let (va, vb) = values
  return [
    GradcheckCase("\(op) [2,3]·[2,3]", { [gradLeaf([2, 3], seed: 1, va), gradLeaf([2, 3], seed: 2, vb)] }) {
      f($0[0], $0[1])
    },
    GradcheckCase(
      "\(op) broadcast [3,1]·[4]", { [gradLeaf([3, 1], seed: 3, va), gradLeaf([4], seed: 4, vb)] }
    ) {
      f($0[0], $0[1])
    },
    GradcheckCase(
      "\(op) broadcast [2,3,4]·[]", { [gradLeaf([2, 3, 4], seed: 5, va), gradLeaf([], seed: 6, vb)] }
    ) {
      f($0[0], $0[1])
    },
    GradcheckCase(
      "\(op) non-contiguous transposed·strided",
      { [gradLeaf([3, 4], seed: 7, va, .transposed), gradLeaf([3, 4], seed: 8, vb, .strided)] }
    ) { f($0[0], $0[1]) },
    GradcheckCase(
      "\(op) broadcast non-contiguous [4,3]ᵀ·[1,3]",
      { [gradLeaf([4, 3], seed: 9, va, .transposed), gradLeaf([1, 3], seed: 10, vb)] }
    ) { f($0[0], $0[1]) },
  ]
}

/// Each unary op on a contiguous, a transposed and a strided input.
private func unaryCases(
  _ op: String, _ values: GradcheckValues = .any, _ f: @escaping @Sendable (Tensor) -> Tensor
) -> [GradcheckCase] {
  [
    GradcheckCase("\(op) [2,3]", { [gradLeaf([2, 3], seed: 11, values)] }) { f($0[0]) },
    GradcheckCase("\(op) transposed [3,4]", { [gradLeaf([3, 4], seed: 12, values, .transposed)] }) {
      f($0[0])
    },
    GradcheckCase("\(op) strided [2,5]", { [gradLeaf([2, 5], seed: 13, values, .strided)] }) { f($0[0]) },
  ]
}

/// The same op on a contiguous and a transposed 3-D input (reductions and views).
private func shapeCases(
  _ op: String, _ values: GradcheckValues = .any, _ f: @escaping @Sendable (Tensor) -> Tensor
) -> [GradcheckCase] {
  [
    GradcheckCase("\(op) [2,3,4]", { [gradLeaf([2, 3, 4], seed: 21, values)] }) { f($0[0]) },
    GradcheckCase("\(op) non-contiguous [2,3,4]", { [gradLeaf([2, 3, 4], seed: 22, values, .transposed)] }) {
      f($0[0])
    },
  ]
}

/// A clamp input whose values stay at least 0.1 away from the bounds ±0.5.
private func clampInput(_ layout: GradcheckLayout) -> Tensor {
  let base = gradLeaf([3, 4], seed: 31, .awayFromZero, layout)
  // Map magnitudes [0.3, 1.5] to [0.6, 1.5] ∪ [0, 0.4] by shrinking half of them.
  return withNoGrad {
    let m = base.abs().asArray(Double.self).enumerated().map { i, v in i % 2 == 0 ? v : (v - 0.3) * 0.3 }
    let s = base.sign().asArray(Double.self)
    let values = zip(m, s).map { $0 * $1 }
    let t = Tensor(values, shape: base.shape, dtype: .float64)
    return (layout == .transposed ? t.t().contiguous().t() : t).requiresGrad(true)
  }
}

private func matmulCases() -> [GradcheckCase] {
  let shapes: [(String, [Int], [Int], GradcheckLayout, GradcheckLayout)] = [
    ("1-D·1-D (dot)", [4], [4], .contiguous, .contiguous),
    ("1-D·2-D", [3], [3, 4], .contiguous, .contiguous),
    ("2-D·1-D", [3, 4], [4], .contiguous, .contiguous),
    ("2-D·2-D", [2, 3], [3, 4], .contiguous, .contiguous),
    ("2-Dᵀ·2-D", [2, 3], [3, 4], .transposed, .contiguous),
    ("2-D·2-Dᵀ", [2, 3], [3, 4], .contiguous, .transposed),
    ("2-Dᵀ·2-Dᵀ", [2, 3], [3, 4], .transposed, .transposed),
    ("strided 2-D·2-D", [2, 3], [3, 2], .strided, .strided),
    ("1-D·3-D", [3], [2, 3, 4], .contiguous, .contiguous),
    ("3-D·1-D", [2, 3, 4], [4], .contiguous, .contiguous),
    ("3-D·2-D", [2, 3, 4], [4, 2], .contiguous, .transposed),
    ("2-D·3-D", [3, 4], [2, 4, 2], .transposed, .contiguous),
    ("3-D·3-D", [2, 3, 4], [2, 4, 2], .contiguous, .contiguous),
    ("3-D·3-D batch broadcast", [2, 3, 4], [1, 4, 2], .transposed, .contiguous),
    ("4-D·3-D batch broadcast", [2, 1, 2, 3], [3, 3, 2], .contiguous, .transposed),
  ]
  return shapes.enumerated().map { i, c in
    let (label, sa, sb, la, lb) = c
    return GradcheckCase(
      "matmul \(label)",
      { [gradLeaf(sa, seed: 100 + UInt64(i), .any, la), gradLeaf(sb, seed: 200 + UInt64(i), .any, lb)] }
    ) { $0[0].matmul($0[1]) }
  } + [
    GradcheckCase("dot", { [gradLeaf([5], seed: 41), gradLeaf([5], seed: 42)] }) { $0[0].dot($0[1]) },
    GradcheckCase("mv", { [gradLeaf([3, 4], seed: 43, .any, .transposed), gradLeaf([4], seed: 44)] }) {
      $0[0].mv($0[1])
    },
    GradcheckCase("outer", { [gradLeaf([3], seed: 45), gradLeaf([4], seed: 46)] }) { $0[0].outer($0[1]) },
    // addmm in every layout of its matrices (each gradient computed in its operand's layout),
    // with a row, a full and a 0-d input, and beta/alpha ≠ 1.
    GradcheckCase(
      "addmm row input",
      { [gradLeaf([4], seed: 47), gradLeaf([3, 5], seed: 48), gradLeaf([5, 4], seed: 49)] }
    ) { Tensor.addmm($0[0], $0[1], $0[2]) },
    GradcheckCase(
      "addmm transposed mat1 and mat2",
      {
        [
          gradLeaf([3, 4], seed: 50), gradLeaf([3, 5], seed: 51, .any, .transposed),
          gradLeaf([5, 4], seed: 52, .any, .transposed),
        ]
      }
    ) { Tensor.addmm($0[0], $0[1], $0[2], beta: 0.5, alpha: -1.5) },
    GradcheckCase(
      "addmm 0-d input, strided mat1",
      { [gradLeaf([], seed: 53), gradLeaf([3, 5], seed: 54, .any, .strided), gradLeaf([5, 2], seed: 55)] }
    ) { Tensor.addmm($0[0], $0[1], $0[2], beta: 2) },
    GradcheckCase(
      "linear 2-D", { [gradLeaf([3, 4], seed: 56), gradLeaf([2, 4], seed: 57), gradLeaf([2], seed: 58)] }
    ) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) },
    GradcheckCase(
      "linear 3-D input",
      { [gradLeaf([2, 3, 4], seed: 59), gradLeaf([2, 4], seed: 60), gradLeaf([2], seed: 61)] }
    ) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) },
    GradcheckCase(
      "linear transposed input",
      {
        [
          gradLeaf([2, 4, 3], seed: 62, .any, .transposed), gradLeaf([2, 3], seed: 63),
          gradLeaf([2], seed: 64),
        ]
      }
    ) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) },
    GradcheckCase("linear without bias", { [gradLeaf([3, 4], seed: 65), gradLeaf([2, 4], seed: 66)] }) {
      Tensor.linear($0[0], weight: $0[1])
    },
  ]
}

private let index2x4 = Tensor([2, 0, 1, 2, 0, 0, 2, 1], shape: [2, 4])

/// Every differentiable op of Descent's public API.
let gradcheckCases: [GradcheckCase] = {
  var cases: [GradcheckCase] = []
  // Arithmetic.
  cases += binaryCases("add") { $0 + $1 }
  cases += binaryCases("sub") { $0 - $1 }
  cases += binaryCases("mul") { $0 * $1 }
  cases += binaryCases("div", (.any, .awayFromZero)) { $0 / $1 }
  cases += binaryCases("add(alpha:)") { $0.add($1, alpha: -2.5) }
  cases += binaryCases("sub(alpha:)") { $0.sub($1, alpha: 0.5) }
  cases += binaryCases("pow(Tensor)", (.positive, .any)) { $0.pow($1) }
  cases += binaryCases("maximum") { Tensor.maximum($0, $1) }
  cases += binaryCases("minimum") { Tensor.minimum($0, $1) }
  cases += unaryCases("tensor + scalar") { $0 + 2.5 }
  cases += unaryCases("scalar - tensor") { 2.5 - $0 }
  cases += unaryCases("tensor * scalar") { $0 * -1.5 }
  cases += unaryCases("scalar / tensor", .awayFromZero) { 3 / $0 }
  cases += unaryCases("tensor / scalar") { $0 / 4 }
  cases += unaryCases("maximum(scalar)", .awayFromZero) { Tensor.maximum($0, 0.1) }
  cases += unaryCases("minimum(scalar)", .awayFromZero) { Tensor.minimum($0, -0.1) }
  // Elementwise functions.
  cases += unaryCases("neg") { -$0 }
  cases += unaryCases("exp") { $0.exp() }
  cases += unaryCases("log", .positive) { $0.log() }
  cases += unaryCases("log1p", .positive) { $0.log1p() }
  cases += unaryCases("sqrt", .positive) { $0.sqrt() }
  cases += unaryCases("rsqrt", .positive) { $0.rsqrt() }
  cases += unaryCases("abs", .awayFromZero) { $0.abs() }
  cases += unaryCases("sign", .awayFromZero) { $0.sign() }
  cases += unaryCases("sigmoid") { $0.sigmoid() }
  cases += unaryCases("tanh") { $0.tanh() }
  cases += unaryCases("relu", .awayFromZero) { $0.relu() }
  cases += unaryCases("leakyRelu", .awayFromZero) { $0.leakyRelu(negativeSlope: 0.2) }
  cases += unaryCases("gelu") { $0.gelu() }
  cases += unaryCases("sin") { $0.sin() }
  cases += unaryCases("cos") { $0.cos() }
  cases += unaryCases("pow(2)") { $0.pow(2) }
  cases += unaryCases("pow(3)") { $0.pow(3) }
  cases += unaryCases("pow(0.5)", .positive) { $0.pow(0.5) }
  cases += unaryCases("pow(-1.5)", .positive) { $0.pow(-1.5) }
  cases += unaryCases("pow(0)") { $0.pow(0) }
  cases += unaryCases("square") { $0.square() }
  for layout in [GradcheckLayout.contiguous, .transposed] {
    cases.append(
      GradcheckCase("clamp(min:max:) \(layout)", { [clampInput(layout)] }) {
        $0[0].clamp(min: -0.5, max: 0.5)
      })
    cases.append(GradcheckCase("clamp(min:) \(layout)", { [clampInput(layout)] }) { $0[0].clamp(min: -0.5) })
    cases.append(GradcheckCase("clamp(max:) \(layout)", { [clampInput(layout)] }) { $0[0].clamp(max: 0.5) })
  }
  // Reductions.
  cases += shapeCases("sum()") { $0.sum() }
  cases += shapeCases("sum(dims: [0, 2])") { $0.sum(dims: [0, 2]) }
  cases += shapeCases("sum(dim: 1, keepDim:)") { $0.sum(dim: 1, keepDim: true) }
  cases += shapeCases("mean()") { $0.mean() }
  cases += shapeCases("mean(dim: -1)") { $0.mean(dim: -1) }
  cases += shapeCases("mean(dims: [0, 1], keepDim:)") { $0.mean(dims: [0, 1], keepDim: true) }
  cases += shapeCases("max()") { $0.max() }
  cases += shapeCases("min()") { $0.min() }
  cases += shapeCases("max(dim:)") { $0.max(dim: 1).values }
  cases += shapeCases("min(dim: keepDim:)") { $0.min(dim: 2, keepDim: true).values }
  cases += shapeCases("amax(dims:)") { $0.amax(dims: [0, 2]) }
  cases += shapeCases("amin(dims: keepDim:)") { $0.amin(dims: [1], keepDim: true) }
  cases += shapeCases("variance()") { $0.variance() }
  cases += shapeCases("variance(dims: correction: 0)") { $0.variance(dims: [1], correction: 0) }
  cases += shapeCases("std(dims: keepDim:)") { $0.std(dims: [2], keepDim: true) }
  cases += shapeCases("logsumexp(dim:)") { $0.logsumexp(dim: 1) }
  cases += shapeCases("logsumexp(dims: keepDim:)") { $0.logsumexp(dims: [0, 2], keepDim: true) }
  cases += shapeCases("norm()") { $0.norm() }
  cases += shapeCases("norm(p: 1)", .awayFromZero) { $0.norm(p: 1, dims: [1]) }
  cases += shapeCases("norm(p: 3)") { $0.norm(p: 3, dims: [0, 2], keepDim: true) }
  cases += shapeCases("norm(p: ∞)") { $0.norm(p: .infinity, dims: [2]) }
  // Views and copies.
  cases += shapeCases("reshape") { $0.reshape([4, -1]) }
  cases += shapeCases("view") { $0.contiguous().view([6, 4]) }
  cases += shapeCases("flatten(startDim: 1)") { $0.flatten(startDim: 1) }
  cases += shapeCases("transpose") { $0.transpose(0, 2) }
  cases += shapeCases("permute") { $0.permute([2, 0, 1]) * 1.5 }
  cases += shapeCases("unsqueeze") { $0.unsqueeze(1) }
  cases += shapeCases("squeeze") { $0.narrow(dim: 1, start: 1, length: 1).squeeze() }
  cases += shapeCases("squeeze(dim:)") { $0.narrow(dim: 2, start: 0, length: 1).squeeze(2) }
  cases += shapeCases("expand") { $0.narrow(dim: 1, start: 2, length: 1).expand([3, 2, 5, 4]) }
  cases += shapeCases("expand(as:)") { $0.sum(dim: 0).expand(as: Tensor.zeros([2, 3, 4])) }
  cases += shapeCases("slice(step:)") { $0.slice(dim: 2, start: 1, end: 4, step: 2) }
  cases += shapeCases("narrow") { $0.narrow(dim: 1, start: 1, length: 2) }
  cases += shapeCases("select") { $0.select(dim: 2, index: -1) }
  cases += shapeCases("subscript") { $0[1] }
  cases += shapeCases("split") { x in
    Tensor.cat(x.split(3, dim: 2).enumerated().map { $1 * Double($0 + 1) }, dim: 2)
  }
  cases += shapeCases("contiguous") { $0.contiguous() }
  cases += shapeCases("clone") { $0.clone() }
  cases.append(GradcheckCase("t()", { [gradLeaf([3, 4], seed: 51, .any, .strided)] }) { $0[0].t() })
  cases.append(GradcheckCase("t() of 1-D", { [gradLeaf([3], seed: 52)] }) { $0[0].t() * 2 })
  // Indexing and joining.
  cases.append(
    GradcheckCase("gather", { [gradLeaf([2, 3], seed: 61, .any, .transposed)] }) {
      $0[0].gather(dim: 1, index: index2x4)
    })
  cases.append(
    GradcheckCase("gather dim 0", { [gradLeaf([3, 4], seed: 62)] }) {
      $0[0].gather(dim: 0, index: Tensor([2, 0, 1, 2, 0, 0, 2, 1], shape: [2, 4]))
    })
  cases.append(
    GradcheckCase(
      "scatterAdd (self and source)",
      { [gradLeaf([2, 3], seed: 63), gradLeaf([2, 4], seed: 64, .any, .strided)] }
    ) {
      $0[0].scatterAdd(dim: 1, index: index2x4, source: $0[1])
    })
  cases.append(
    GradcheckCase("indexSelect", { [gradLeaf([3, 4], seed: 65, .any, .transposed)] }) {
      $0[0].indexSelect(dim: 0, index: Tensor([2, 0, 2]))
    })
  cases.append(
    GradcheckCase("indexSelect dim 1", { [gradLeaf([3, 4], seed: 66)] }) {
      $0[0].indexSelect(dim: 1, index: Tensor([3, 1]))
    })
  cases.append(
    GradcheckCase(
      "cat",
      {
        [
          gradLeaf([2, 3], seed: 67), gradLeaf([1, 3], seed: 68),
          gradLeaf([3, 3], seed: 69, .any, .transposed),
        ]
      }
    ) { Tensor.cat($0, dim: 0) })
  cases.append(
    GradcheckCase(
      "cat dim 1", { [gradLeaf([2, 3], seed: 70, .any, .strided), gradLeaf([2, 2], seed: 71)] }
    ) {
      Tensor.cat($0, dim: 1)
    })
  cases.append(
    GradcheckCase("stack", { [gradLeaf([2, 3], seed: 72), gradLeaf([2, 3], seed: 73, .any, .transposed)] }) {
      Tensor.stack($0, dim: 1)
    })
  cases.append(
    GradcheckCase("where broadcast", { [gradLeaf([3, 1], seed: 74), gradLeaf([4], seed: 75)] }) {
      Tensor.where(
        Tensor(
          [true, false, false, true, true, false, true, false, false, true, true, true], shape: [3, 4]),
        $0[0], $0[1])
    })
  cases.append(
    GradcheckCase("where scalar branch", { [gradLeaf([3, 4], seed: 76, .any, .transposed)] }) {
      Tensor.where($0[0] .> 0, $0[0], 0.5) + Tensor.where($0[0] .< 0.2, -1, $0[0])
    })
  // Linear algebra.
  cases += matmulCases()
  // Functional ops for nn.
  cases += shapeCases("softmax(dim: 1)") { $0.softmax(dim: 1) }
  cases += shapeCases("softmax(dim: -1)") { $0.softmax(dim: -1) }
  cases += shapeCases("logSoftmax(dim: 0)") { $0.logSoftmax(dim: 0) }
  cases += shapeCases("logSoftmax(dim: 2)") { $0.logSoftmax(dim: 2) }
  cases.append(
    GradcheckCase("embedding", { [gradLeaf([5, 3], seed: 81, .any, .transposed)] }) {
      // No padding row here: its gradient is zero by definition, not the derivative.
      Tensor.embedding(Tensor([4, 0, 4, 2, 1, 4], shape: [2, 3]), weight: $0[0])
    })
  cases.append(
    GradcheckCase("Autograd.function", { [gradLeaf([2, 3], seed: 82), gradLeaf([3], seed: 83)] }) { t in
      Autograd.function("ScaledProductBackward", inputs: t) { x in
        x[0] * x[1] * 3
      } backward: { g, x, _ in
        [(g * x[1] * 3), (g * x[0] * 3).sum(dim: 0)]
      }
    })
  // Dtype conversion inside a float64 computation: float64 → float64 is the identity, and
  // a float32 → float64 promotion in a binary op routes the gradient back through it.
  cases.append(
    GradcheckCase("to(dtype:) float64", { [gradLeaf([2, 3], seed: 84)] }) { $0[0].to(dtype: .float64) * 2 })
  // A composite: a small MLP step.
  cases.append(
    GradcheckCase(
      "composite MLP",
      {
        [
          gradLeaf([4, 3], seed: 91), gradLeaf([5, 3], seed: 92, .any, .transposed), gradLeaf([5], seed: 93),
        ]
      }
    ) { t in (t[0].matmul(t[1].t()) + t[2]).tanh().logSoftmax(dim: 1).mean(dim: 0) })
  return cases
}()

@Suite("gradcheck over every differentiable op")
struct AutogradGradcheckTests {
  @Test("backward rule agrees with central differences", arguments: gradcheckCases)
  func op(_ c: GradcheckCase) throws {
    let inputs = c.inputs()
    #expect(try gradcheck(c.function, inputs: inputs))
    // The analytical pass must also leave the leaves' .grad untouched.
    #expect(inputs.allSatisfy { $0.grad == nil })
  }

  @Test("the table covers every op family")
  func count() {
    #expect(gradcheckCases.count >= 200)
    #expect(Set(gradcheckCases.map(\.name)).count == gradcheckCases.count, "case names are unique")
  }
}
