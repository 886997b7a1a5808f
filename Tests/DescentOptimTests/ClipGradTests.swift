import Descent
import DescentOptim
import DescentTestSupport
import Testing

// The fixture of scripts/gen_optim_extra_fixtures.py for torch.nn.utils' clipping.

struct ClipInput: Decodable, Sendable {
  let name: String
  let shapes: [[Int]]
  let dtypes: [String]
  let grads: [[JSON]?]
}

struct ClipNormCase: Decodable, Sendable, CustomTestStringConvertible {
  let input: String
  let norm_type: JSON
  let max_norm: Double
  let error_if_nonfinite: Bool
  let total_norm: JSON?
  let total_dtype: String?
  let error: String?
  let grads: [[JSON]?]
  var testDescription: String {
    "\(input), p=\(norm_type.double), max_norm=\(max_norm)\(error_if_nonfinite ? ", error_if_nonfinite" : "")"
  }
}

struct ClipValueCase: Decodable, Sendable, CustomTestStringConvertible {
  let input: String
  let clip_value: Double
  let total_norm: JSON
  let total_dtype: String
  let grads: [[JSON]?]
  var testDescription: String { "\(input), clip_value=\(clip_value)" }
}

struct ClipEmpty: Decodable, Sendable {
  let total_norm: JSON
  let total_dtype: String
}

struct ClipFixture: Decodable, Sendable {
  let inputs: [ClipInput]
  let norm_cases: [ClipNormCase]
  let value_cases: [ClipValueCase]
  let empty: ClipEmpty
}

enum ClipFixtures {
  static let file = FixtureLoader(bundle: .module, script: "scripts/gen_optim_extra_fixtures.py")
    .load("clip_grad", as: ClipFixture.self)
}

/// The dtype whose rounding bounds the differences on an input: float32 when a norm is
/// accumulated in float32 — the input has float32 gradients, or two half types, whose total
/// is float32 (PyTorch accumulates float32 norms in float32, Descent in Double and rounds,
/// so a float64 total over float32 gradients carries float32 rounding) — else float64,
/// which holds float64 inputs to a few float64 ulps and single-half-type ones to exact
/// equality (their norms, coefficients and scaled gradients are all rounded to half, as
/// PyTorch's are).
func precision(_ name: String) -> DType {
  let dtypes = Set(ClipFixtures.file.inputs.first { $0.name == name }!.dtypes)
  return dtypes.contains("float32") || dtypes.isSuperset(of: ["bfloat16", "float16"]) ? .float32 : .float64
}

/// Parameters with the gradients of a recorded input (`nil` where PyTorch had none).
func clipParameters(_ name: String) -> [Tensor] {
  let input = ClipFixtures.file.inputs.first { $0.name == name }!
  return zip(zip(input.shapes, input.dtypes), input.grads).map { spec, grad in
    let dtype = DType(rawValue: spec.1)!
    let p = Tensor.zeros(spec.0, dtype: dtype, requiresGrad: true)
    p.grad = grad.map { Tensor($0.map(\.double), shape: spec.0, dtype: dtype) }
    return p
  }
}

/// Values agree to a few ulps of their dtype (NaN with NaN, infinities exactly).
func agree(_ actual: Double, _ expected: Double, _ dtype: DType) -> Bool {
  if expected.isNaN { return actual.isNaN }
  if !expected.isFinite { return actual == expected }
  let epsilon = dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
  return Swift.abs(actual - expected) <= 8 * epsilon
    * Swift.max(Swift.abs(expected), Double.leastNormalMagnitude)
}

func expectGrads(_ params: [Tensor], _ expected: [[JSON]?], _ precision: DType, _ what: String) {
  for (i, (param, grad)) in zip(params, expected).enumerated() {
    guard let grad else {
      #expect(param.grad == nil, "\(what): parameter \(i) has a gradient")
      continue
    }
    let actual = values(param.grad!)
    let bad = zip(actual, grad.map(\.double)).enumerated().filter { !agree($1.0, $1.1, precision) }
    #expect(
      bad.isEmpty, "\(what): gradient \(i), elements \(bad.prefix(3).map { "\($0.offset): \($0.element)" })")
  }
}

@Suite("Gradient clipping")
struct ClipGradTests {
  @Test("clipGradNorm matches clip_grad_norm_", arguments: ClipFixtures.file.norm_cases)
  func clipGradNormMatches(_ test: ClipNormCase) throws {
    let params = clipParameters(test.input)
    do {
      let total = try clipGradNorm(
        params, maxNorm: test.max_norm, normType: test.norm_type.double,
        errorIfNonfinite: test.error_if_nonfinite)
      #expect(test.error == nil, "PyTorch raised: \(test.error ?? "")")
      #expect(total.dtype == DType(rawValue: test.total_dtype!)! && total.shape == [])
      #expect(
        agree(total.item(), test.total_norm!.double, precision(test.input)),
        "total norm \(total.item()) vs \(test.total_norm!.double)")
    } catch let error as ClipGradError {
      #expect(error.message == test.error)
    }
    expectGrads(params, test.grads, precision(test.input), test.testDescription)
  }

  @Test(
    "clipGradValue matches clip_grad_value_ and returns the norm before clipping",
    arguments: ClipFixtures.file.value_cases)
  func clipGradValueMatches(_ test: ClipValueCase) throws {
    let params = clipParameters(test.input)
    let total = clipGradValue(params, clipValue: test.clip_value)
    #expect(total.dtype == DType(rawValue: test.total_dtype)!)
    #expect(
      agree(total.item(), test.total_norm.double, precision(test.input)),
      "total norm \(total.item()) vs \(test.total_norm.double)")
    expectGrads(params, test.grads, precision(test.input), test.testDescription)
  }

  @Test("no gradients: a float32 zero, nothing clipped")
  func empty() throws {
    let total = try clipGradNorm([], maxNorm: 1)
    #expect(total.dtype == .float32 && total.item() == ClipFixtures.file.empty.total_norm.double)
    let p = Tensor.zeros([3], requiresGrad: true)
    #expect(try clipGradNorm([p], maxNorm: 1).item() == 0)
    #expect(clipGradValue([p], clipValue: 1).item() == 0)
    #expect(p.grad == nil)
  }

  @Test("the norm of many tensors split into blocks equals the norm of their norms")
  func manyBlocks() throws {
    let g = Generator(seed: 3)
    let sizes = [3 * Threads.grainSize + 5, 17, 2 * Threads.grainSize, 1]
    let params = sizes.map { n in
      let p = Tensor.zeros([n], dtype: .float64, requiresGrad: true)
      p.grad = Tensor.randn([n], dtype: .float64, generator: g)
      return p
    }
    let perTensor = params.map { p in values(p.grad!).reduce(0) { $0 + $1 * $1 }.squareRoot() }
    let expected = perTensor.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let before = params.map { values($0.grad!) }
    let total = try clipGradNorm(params, maxNorm: 1)
    #expect(Swift.abs(total.item() - expected) <= 1e-12 * expected)
    let coefficient = 1 / (total.item() + 1e-6)
    for (p, b) in zip(params, before) {
      #expect(values(p.grad!) == b.map { $0 * coefficient })
    }
    let inf = try getTotalNorm(params.map { $0.grad! }, normType: .infinity)
    #expect(inf.item() == params.map { values($0.grad!).map(Swift.abs).max()! }.max()!)
  }

  @Test("clipGradsWithNorm scales by a norm computed beforehand")
  func withNorm() throws {
    let p = Tensor([3.0, 4.0], shape: [2], dtype: .float64, requiresGrad: true)
    p.grad = Tensor([3.0, 4.0], shape: [2], dtype: .float64)
    let norm = try getTotalNorm([p.grad!])
    #expect(norm.item() == 5)
    clipGradsWithNorm([p], maxNorm: 1, totalNorm: norm)
    let coefficient: Double = 1 / (5 + 1e-6)
    let expected: [Double] = [3 * coefficient, 4 * coefficient]
    #expect(values(p.grad!) == expected)
  }
}
