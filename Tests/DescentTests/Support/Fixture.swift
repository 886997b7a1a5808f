import Foundation
import Testing

@testable import Descent

/// A JSON value as written by `scripts/gen_tensor_fixtures.py`.
enum JSON: Decodable, Sendable {
  case number(Double)
  case string(String)
  case bool(Bool)
  case array([JSON])
  case object([String: JSON])
  case null

  init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let d = try? c.decode(Double.self) {
      self = .number(d)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSON].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSON].self))
    }
  }

  /// A number; the strings "nan", "inf" and "-inf" stand for the values JSON cannot hold.
  var double: Double {
    switch self {
    case .number(let d): return d
    case .bool(let b): return b ? 1 : 0
    case .string("nan"): return .nan
    case .string("inf"): return .infinity
    case .string("-inf"): return -.infinity
    default: fatalError("not a number: \(self)")
    }
  }
  var int: Int { Int(double) }
  var isNull: Bool { if case .null = self { true } else { false } }
  var array: [JSON] {
    guard case .array(let a) = self else { fatalError("not an array: \(self)") }
    return a
  }
  var ints: [Int] { array.map(\.int) }
  var doubles: [Double] { array.map(\.double) }
  var string: String {
    guard case .string(let s) = self else { fatalError("not a string: \(self)") }
    return s
  }
  var bool: Bool {
    guard case .bool(let b) = self else { fatalError("not a bool: \(self)") }
    return b
  }
  subscript(key: String) -> JSON? {
    guard case .object(let o) = self else { return nil }
    return o[key]
  }
}

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
  let generator: [String: String]
  let cases: [Case]
}

enum Fixtures {
  static func url(_ name: String) -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures")
    else { fatalError("missing fixture \(name).json") }
    return url
  }

  static func load<Case: Decodable & Sendable>(_ name: String, as _: Case.Type = OpCase.self) -> [Case] {
    do {
      let data = try Data(contentsOf: url(name))
      let file = try JSONDecoder().decode(FixtureFile<Case>.self, from: data)
      precondition(
        file.generator["torch"]?.hasPrefix("2.13.0") == true, "fixture \(name) not from torch 2.13.0")
      return file.cases
    } catch {
      fatalError("cannot read fixture \(name).json: \(error)")
    }
  }
}

/// Every (case, dtype) pair for which the fixture holds PyTorch's result.
func runs(_ cases: [OpCase]) -> [(OpCase, DType)] {
  cases.flatMap { c in c.expected.keys.sorted().map { (c, DType(rawValue: $0)!) } }
}
