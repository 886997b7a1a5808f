import DescentNN
import DescentTestSupport
import Foundation
import Testing

@testable import Descent

/// `Fixtures/half_layers_large.json` (scripts/gen_half_layer_fixtures.py): LayerNorm,
/// BatchNorm1d and embedding backward on bfloat16/float16 inputs large enough that Descent
/// splits them across threads (rows, channels, columns), against PyTorch on one thread. The
/// inputs are the script's integer formulas; the outputs are compared as ``HalfDigest``s
/// (FNV-1a hashes of their bit patterns).
struct HalfLayerSizeFixture: Decodable, Sendable {
  struct Case: Decodable, Sendable, CustomTestStringConvertible {
    let dtype: String
    let layer: String
    let shape: [Int]
    /// "both" (weight and bias), "weight" (LayerNorm without bias) or "none"; nil for embedding.
    let affine: String?
    let outputs: [String: HalfDigest]
    var testDescription: String { "\(layer) \(dtype) \(shape) affine: \(affine ?? "-")" }
  }
  let cases: [Case]

  static let shared = FixtureLoader(bundle: .module, script: "scripts/gen_half_layer_fixtures.py")
    .load("half_layers_large", as: HalfLayerSizeFixture.self)
}

/// ((i·multiplier + offset) mod modulus - modulus / 2) / scale for i < count, as the script's
/// `formula` (exact in float32), rounded to `dtype`.
private func formula(
  _ count: Int, _ multiplier: Int, _ offset: Int, _ modulus: Int, _ scale: Float, shape: [Int], _ dtype: DType
) -> Tensor {
  let values = (0..<count).map { Float(($0 * multiplier + offset) % modulus - modulus / 2) / scale }
  return Tensor(values, shape: shape).to(dtype: dtype)
}

@Suite("half layers at multi-threaded sizes against PyTorch")
struct HalfLayerSizeTests {
  @Test(arguments: HalfLayerSizeFixture.shared.cases)
  func matchesPyTorch(_ c: HalfLayerSizeFixture.Case) throws {
    let dtype = try #require(DType(rawValue: c.dtype))
    var results: [String: Tensor] = [:]
    switch c.layer {
    case "layernorm", "batchnorm":
      let count = c.shape.reduce(1, *)
      let n = c.shape[1]
      let x = formula(count, 7919, 13, 2003, 256, shape: c.shape, dtype).requiresGrad(true)
      let up = formula(count, 104_729, 7, 1009, 4096, shape: c.shape, dtype)
      let weight = formula(n, 31, 5, 17, 8, shape: [n], dtype)
      let bias = formula(n, 13, 3, 11, 16, shape: [n], dtype)
      let module: Module
      let affine = c.affine ?? "both"
      if c.layer == "layernorm" {
        let m = LayerNorm(n, elementwiseAffine: affine != "none", bias: affine == "both", dtype: dtype)
        withNoGrad {
          m.weight?.copyInPlace(from: weight)
          m.bias?.copyInPlace(from: bias)
        }
        module = m
      } else {
        let m = BatchNorm1d(n, affine: affine != "none", dtype: dtype)
        withNoGrad {
          m.weight?.copyInPlace(from: weight)
          m.bias?.copyInPlace(from: bias)
        }
        module = m
      }
      let y = module(x)
      y.backward(gradient: up)
      let parameters = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.0, $0.1) })
      results = ["y": y, "dx": x.grad!]
      results["dweight"] = parameters["weight"]?.grad
      results["dbias"] = parameters["bias"]?.grad
      if let m = module as? BatchNorm1d {
        results["running_mean"] = m.runningMean!
        results["running_var"] = m.runningVar!
      }
    case "embedding":
      let (rows, width, lookups) = (c.shape[0], c.shape[1], c.shape[2])
      let table = formula(rows * width, 7, 3, 251, 64, shape: [rows, width], dtype).requiresGrad(true)
      let indices = Tensor((0..<lookups).map { ($0 * 37 + 11) % rows }, shape: [lookups])
      let up = formula(lookups * width, 131, 5, 997, 2048, shape: [lookups, width], dtype)
      Tensor.embedding(indices, weight: table).backward(gradient: up)
      results["dweight"] = table.grad!
    default:
      Issue.record("unknown layer \(c.layer)")
    }
    for (name, want) in c.outputs.sorted(by: { $0.key < $1.key }) {
      let got = try #require(results[name], "\(name) not computed")
      #expect(got.dtype == dtype, "\(name)")
      let same = HalfDigest(of: got) == want
      print("\(c.testDescription) \(name): \(same ? "equal to" : "differs from") PyTorch")
      #expect(same, "\(name): bits differ from PyTorch's")
    }
  }
}
