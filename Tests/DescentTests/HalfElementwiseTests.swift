import DescentTestSupport
import Foundation
import Testing

@testable import Descent

/// `Fixtures/half_elementwise.json` (scripts/gen_half_elementwise_fixtures.py): elementwise
/// ops on bfloat16/float16 tensors of 37, 100, 4109 and 70001 elements against PyTorch.
/// PyTorch's loops compute the last elements of each chunk with their scalar op, which
/// rounds `add(alpha=)` and `rsqrt` differently from the vector op, and split a tensor over
/// 32768 elements into one chunk per thread: the large size was written for 1, 2 and 3
/// chunks, and the test takes the one that Descent's thread count gives. The inputs are the
/// script's integer formulas; outputs are compared as ``HalfDigest``s.
struct HalfElementwiseFixture: Decodable, Sendable {
  struct Case: Decodable, Sendable, CustomTestStringConvertible {
    let dtype: String
    let count: Int
    let chunks: Int
    let outputs: [String: HalfDigest]
    var testDescription: String { "\(dtype) × \(count) in \(chunks) chunk(s)" }
  }
  let cases: [Case]

  static let shared = FixtureLoader(bundle: .module, script: "scripts/gen_half_elementwise_fixtures.py")
    .load("half_elementwise", as: HalfElementwiseFixture.self)

  /// The cases that apply with `threads` threads: every tensor under 32768 elements, and the
  /// large one in PyTorch's chunk count for that many threads.
  static func cases(threads: Int) -> [Case] {
    shared.cases.filter { c in
      c.count <= 32768 || c.chunks == Swift.min(threads, (c.count + 32767) / 32768)
    }
  }
}

/// The script's `signed` formula, exact in float32, rounded to `dtype`.
private func signed(_ n: Int, _ multiplier: Int, _ offset: Int, _ modulus: Int, _ dtype: DType) -> Tensor {
  let values = (0..<n).map { Float(($0 * multiplier + offset) % modulus - modulus / 2) / 256 }
  return Tensor(values, shape: [n]).to(dtype: dtype)
}

/// The script's `positive` formula.
private func positive(_ n: Int, _ multiplier: Int, _ offset: Int, _ modulus: Int, _ dtype: DType) -> Tensor {
  let values = (0..<n).map { Float(($0 * multiplier + offset) % modulus + 1) / 256 }
  return Tensor(values, shape: [n]).to(dtype: dtype)
}

/// The script's `OPS`, by name: `x` and `b` signed, `p` positive.
private let operations: [String: (Tensor, Tensor, Tensor) -> Tensor] = [
  "exp": { x, _, _ in x.exp() },
  "log": { _, p, _ in p.log() },
  "sqrt": { _, p, _ in p.sqrt() },
  "rsqrt": { _, p, _ in p.rsqrt() },
  "reciprocal": { x, _, _ in x.reciprocal() },
  "abs": { x, _, _ in x.abs() },
  "sigmoid": { x, _, _ in x.sigmoid() },
  "tanh": { x, _, _ in x.tanh() },
  "relu": { x, _, _ in x.relu() },
  "sin": { x, _, _ in x.sin() },
  "cos": { x, _, _ in x.cos() },
  "clamp": { x, _, _ in x.clamp(min: -0.5, max: 0.5) },
  "square": { x, _, _ in x.square() },
  "pow(0.5)": { _, p, _ in p.pow(0.5) },
  "pow(3)": { _, p, _ in p.pow(3) },
  "pow(-2)": { _, p, _ in p.pow(-2) },
  "pow(-0.5)": { _, p, _ in p.pow(-0.5) },
  "pow(-1)": { _, p, _ in p.pow(-1) },
  "pow(1.7)": { _, p, _ in p.pow(1.7) },
  "pow(-1.5)": { _, p, _ in p.pow(-1.5) },
  "add": { x, _, b in x + b },
  "sub": { x, _, b in x - b },
  "mul": { x, _, b in x * b },
  "div": { x, p, _ in x / p },
  "add(alpha: 0.3)": { x, _, b in x.add(b, alpha: 0.3) },
  "sub(alpha: 0.3)": { x, _, b in x.sub(b, alpha: 0.3) },
  "add(scalar, alpha: 0.3)": { x, _, _ in x.add(Tensor.full([], 1.7, dtype: x.dtype), alpha: 0.3) },
  "mul(0.1)": { x, _, _ in x * 0.1 },
  "add(0.1)": { x, _, _ in x + 0.1 },
  "div(3)": { x, _, _ in x / 3.0 },
  "rsub(1.5)": { x, _, _ in 1.5 - x },
  "add_(alpha: -0.01)": { x, _, b in x.clone().addInPlace(b, alpha: -0.01) },
  "sub_(alpha: 0.3)": { x, _, b in x.clone().subInPlace(b, alpha: 0.3) },
  "mul_(0.9)": { x, _, _ in x.clone().mulInPlace(0.9) },
  "addcmul_(value: 0.3)": { x, p, b in x.clone().addcmulInPlace(b, p, value: 0.3) },
  "addcdiv_(value: 0.3)": { x, p, b in x.clone().addcdivInPlace(b, p, value: 0.3) },
  "lerp_(0.3)": { x, _, b in x.clone().lerpInPlace(b, weight: 0.3) },
  "lerp_(0.7)": { x, _, b in x.clone().lerpInPlace(b, weight: 0.7) },
]

@Suite("half elementwise ops against PyTorch, scalar tails and thread chunks included")
struct HalfElementwiseTests {
  @Test(arguments: HalfElementwiseFixture.cases(threads: Threads.count))
  func matchesPyTorch(_ c: HalfElementwiseFixture.Case) throws {
    let dtype = try #require(DType(rawValue: c.dtype))
    let x = signed(c.count, 7919, 13, 2003, dtype)
    let p = positive(c.count, 104_729, 7, 1009, dtype)
    let b = signed(c.count, 131, 5, 997, dtype)
    #expect(Set(c.outputs.keys) == Set(operations.keys), "the script's ops and the test's differ")
    for (name, want) in c.outputs.sorted(by: { $0.key < $1.key }) {
      let op = try #require(operations[name], "\(name) has no Swift counterpart")
      let got = op(x, p, b)
      #expect(got.dtype == dtype, "\(name)")
      #expect(HalfDigest(of: got) == want, "\(name) differs from PyTorch")
    }
  }

  /// Where the scalar tails are. The fixture holds PyTorch's numbers; this checks the two
  /// ways Descent walks the layout (`forEach`, used by the Tensor ops, and `contains`, used
  /// element by element) against each other and against what needs no model: a tensor under
  /// 32768 elements is one chunk whose tail is its last `count % group` elements, and a
  /// larger one has one tail per chunk, at most 3 chunks for 70001 elements.
  @Test(arguments: [37, 64, 100, 4109, 32768, 32769, 70001, 100_003])
  func tailLayoutsAgree(_ count: Int) {
    let layout = PyTorchScalarTails(count: count)
    #expect(layout.group == 32 || layout.group == 64)
    var tails: [Range<Int>] = []
    layout.forEach { tails.append($0) }
    let listed = Set(tails.flatMap { Array($0) })
    #expect((0..<count).filter { layout.contains($0) != listed.contains($0) }.isEmpty)
    if count <= 32768 || Threads.count == 1 {
      let remainder = count % layout.group
      #expect(tails == (remainder == 0 ? [] : [(count - remainder)..<count]))
    } else {
      let chunks = Swift.min(Threads.count, (count + 32767) / 32768)
      #expect(tails.count <= chunks && tails.allSatisfy { $0.count < layout.group })
    }
  }
}
