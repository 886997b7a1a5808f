import DescentTestSupport
import Foundation
import Testing

@testable import Descent

/// How an input tensor is made: values, shape, dtype and a recipe of views.
struct TensorSpec: Decodable, Sendable {
  let shape: [Int]
  /// "float" for the dtype under test, else a `DType` raw value.
  let dtype: String
  let data: [JSON]?
  /// `[start, step]`: the values `start + i * step` (computed in float64, then converted).
  let arange: [Double]?
  let views: [[JSON]]?
  /// PyTorch's `is_contiguous()` of the finished input.
  let contiguous: Bool?

  func resolvedDType(_ float: DType) -> DType {
    dtype == "float" ? float : DType(rawValue: dtype)!
  }

  /// The freshly created base tensor and the view the recipe makes of it. With
  /// `requiresGrad`, a floating base requires grad, so the views are part of the graph.
  func build(_ float: DType, requiresGrad: Bool = false) -> (base: Tensor, tensor: Tensor) {
    let n = shape.reduce(1, *)
    let values: [Double]
    if let arange {
      values = (0..<n).map { Double($0) * arange[1] + arange[0] }
    } else {
      values = (data ?? []).map(\.double)
    }
    let base = Tensor(values, shape: shape, dtype: resolvedDType(float))
    if requiresGrad && base.dtype.isFloatingPoint { base.requiresGrad = true }
    var t = base
    for view in views ?? [] { t = TensorSpec.apply(view, to: t) }
    return (base, t)
  }

  static func apply(_ view: [JSON], to t: Tensor) -> Tensor {
    switch view[0].string {
    case "t": return t.t()
    case "transpose": return t.transpose(view[1].int, view[2].int)
    case "permute": return t.permute(view[1].ints)
    case "slice":
      return t.slice(
        dim: view[1].int, start: view[2].isNull ? nil : view[2].int,
        end: view[3].isNull ? nil : view[3].int, step: view[4].int)
    case "expand": return t.expand(view[1].ints)
    case "unsqueeze": return t.unsqueeze(view[1].int)
    case "select": return t.select(dim: view[1].int, index: view[2].int)
    case "reshape": return t.reshape(view[1].ints)
    default: fatalError("unknown view \(view)")
    }
  }
}

/// An expected result: PyTorch's shape, dtype and values, and for view ops its layout.
struct ExpectedTensor: Decodable, Sendable {
  let shape: [Int]
  let dtype: String
  let data: [JSON]
  let strides: [Int]?
  let offset: Int?
  let shares: Bool?
}

/// One op applied to inputs, with PyTorch's results for each float dtype.
struct OpCase: Decodable, Sendable, CustomTestStringConvertible {
  let name: String
  let op: String
  let args: [String: JSON]
  let tol: String
  let inputs: [TensorSpec]
  let expected: [String: [ExpectedTensor]]

  var testDescription: String { name }
}

struct FixtureFile<Case: Decodable & Sendable>: Decodable {
  let cases: [Case]
}

enum Fixtures {
  /// This target's fixtures, written by `scripts/gen_tensor_fixtures.py`.
  static let loader = FixtureLoader(bundle: .module, script: "scripts/gen_tensor_fixtures.py")

  /// The cases of `Fixtures/<name>.json`.
  static func load<Case: Decodable & Sendable>(_ name: String, as _: Case.Type = OpCase.self) -> [Case] {
    loader.load(name, as: FixtureFile<Case>.self).cases
  }
}

/// Every (case, dtype) pair for which the fixture holds PyTorch's result.
func runs(_ cases: [OpCase]) -> [(OpCase, DType)] {
  cases.flatMap { c in c.expected.keys.sorted().map { (c, DType(rawValue: $0)!) } }
}
