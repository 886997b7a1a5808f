import DescentTestSupport
import Foundation
import Testing

@testable import Descent

/// One case of `Fixtures/linalg_functions.json` (scripts/gen_linalg_fixtures.py): a
/// torch.linalg function, its arguments and inputs, and PyTorch's outputs, error or
/// gradients in float32 and float64.
struct LinalgCase: Decodable, Sendable, CustomTestStringConvertible {
  struct Input: Decodable, Sendable {
    let shape: [Int]
    let data: [JSON]
    /// `"mT"`: the input is the transpose of this contiguous tensor.
    let view: String?
  }
  struct Gauge: Decodable, Sendable {
    /// `"columns"` or `"rows"`: which vectors are determined only up to sign.
    let kind: String
    /// How many of them are compared (the rest of a full SVD's factor is arbitrary).
    let count: Int
  }
  struct Result: Decodable, Sendable {
    let error: String?
    let outputs: [ExpectedTensor]?
    let grads: [ExpectedTensor]?
  }
  struct Weight: Decodable, Sendable {
    let shape: [Int]
    let data: [Double]
  }

  let name: String
  let fn: String
  let args: [String: JSON]
  let inputs: [Input]
  let gauge: [Gauge?]?
  let tol: [String: Double]
  let gradTol: [String: Double]
  let float32: Result
  let float64: Result
  let weights: [Weight?]?
  /// Batch elements of an output whose values are not compared, by output index.
  let ignore: [String: [Int]]?

  var testDescription: String { name }

  func result(_ dtype: DType) -> Result { dtype == .float32 ? float32 : float64 }

  /// The inputs in `dtype` (leaves that require grad when the case has gradients), and the
  /// tensors handed to the function (transposed views where the case says so).
  func build(_ dtype: DType) -> (leaves: [Tensor], arguments: [Tensor]) {
    let leaves = inputs.map {
      Tensor($0.data.map(\.double), shape: $0.shape, dtype: dtype, requiresGrad: weights != nil)
    }
    let arguments = zip(leaves, inputs).map { leaf, input in input.view == "mT" ? leaf.mT : leaf }
    return (leaves, arguments)
  }

  var ord: Linalg.MatrixNormOrder? {
    guard let value = args["ord"] ?? args["p"] else { return nil }
    if case .string(let s) = value, s == "fro" { return .fro }
    if case .string(let s) = value, s == "nuc" { return .nuc }
    switch value.double {
    case 1: return .one
    case -1: return .minusOne
    case 2: return .two
    case -2: return .minusTwo
    case .infinity: return .inf
    case -.infinity: return .minusInf
    default: fatalError("unknown ord \(value)")
    }
  }

  func bool(_ key: String, _ fallback: Bool) -> Bool { args[key]?.bool ?? fallback }
  func double(_ key: String) -> Double? { args[key]?.number }

  /// Runs the Descent function the case names; outputs in the order of PyTorch's named tuple.
  func run(_ t: [Tensor]) throws -> [Tensor] {
    switch fn {
    case "solve": return [try Linalg.solve(t[0], t[1], left: bool("left", true))]
    case "solve_triangular":
      return [
        try Linalg.solveTriangular(
          t[0], t[1], upper: bool("upper", false), left: bool("left", true),
          unitriangular: bool("unitriangular", false))
      ]
    case "cholesky": return [try Linalg.cholesky(t[0], upper: bool("upper", false))]
    case "cholesky_ex":
      let r = Linalg.choleskyEx(t[0], upper: bool("upper", false))
      return [r.l, r.info]
    case "inv": return [try Linalg.inv(t[0])]
    case "inv_ex":
      let r = Linalg.invEx(t[0])
      return [r.inverse, r.info]
    case "det": return [Linalg.det(t[0])]
    case "slogdet":
      let r = Linalg.slogdet(t[0])
      return [r.sign, r.logabsdet]
    case "eigh":
      let r = try Linalg.eigh(t[0], uplo: args["UPLO"]?.string == "U" ? .upper : .lower)
      return [r.eigenvalues, r.eigenvectors]
    case "eigvalsh":
      return [try Linalg.eigvalsh(t[0], uplo: args["UPLO"]?.string == "U" ? .upper : .lower)]
    case "svd":
      let r = try Linalg.svd(t[0], fullMatrices: bool("full_matrices", true))
      return [r.u, r.s, r.vh]
    case "svdvals": return [try Linalg.svdvals(t[0])]
    case "qr":
      let mode: Linalg.QRMode =
        switch args["mode"]?.string {
        case "complete": .complete;
        case "r": .r;
        default: .reduced
        }
      let r = try Linalg.qr(t[0], mode: mode)
      return [r.q, r.r]
    case "lstsq":
      let r = try Linalg.lstsq(
        t[0], t[1], rcond: double("rcond"),
        driver: args["driver"].map { Linalg.LstsqDriver(rawValue: $0.string)! })
      return [r.solution, r.residuals, r.rank, r.singularValues]
    case "pinv":
      return [
        try Linalg.pinv(t[0], atol: double("atol"), rtol: double("rtol"), hermitian: bool("hermitian", false))
      ]
    case "matrix_norm":
      let dims = args["dim"]?.ints ?? [-2, -1]
      return [
        Linalg.matrixNorm(t[0], ord: ord ?? .fro, dim: (dims[0], dims[1]), keepDim: bool("keepdim", false))
      ]
    case "vector_norm":
      return [
        Linalg.vectorNorm(
          t[0], ord: double("ord") ?? 2, dim: args["dim"].map { [$0.int] }, keepDim: bool("keepdim", false))
      ]
    case "matrix_rank":
      return [
        try Linalg.matrixRank(
          t[0], atol: double("atol"), rtol: double("rtol"), hermitian: bool("hermitian", false))
      ]
    case "cond": return [try Linalg.cond(t[0], ord: ord)]
    default: fatalError("unknown function \(fn)")
    }
  }
}

/// Vectors whose sign LAPACK chooses, turned so that each one's largest-magnitude entry is
/// positive: `count` columns (or rows) of the last two dimensions.
func signNormalized(_ values: [Double], shape: [Int], gauge: LinalgCase.Gauge) -> [Double] {
  let rows = shape[shape.count - 2]
  let cols = shape[shape.count - 1]
  let matrices = rows * cols == 0 ? 0 : values.count / (rows * cols)
  var out = values
  let columns = gauge.kind == "columns"
  for b in 0..<matrices {
    for v in 0..<gauge.count {
      let length = columns ? rows : cols
      let index = { (i: Int) in b * rows * cols + (columns ? i * cols + v : v * cols + i) }
      var best = 0
      for i in 0..<length where Swift.abs(values[index(i)]) > Swift.abs(values[index(best)]) + 1e-6 {
        best = i
      }
      if values[index(best)] < 0 { for i in 0..<length { out[index(i)] = -values[index(i)] } }
    }
  }
  return out
}

/// Compares `actual` with PyTorch's `expected` normwise: every element within
/// `tol · max|expected|`; NaN and infinities must match exactly, integers exactly. With a
/// `gauge`, only its vectors are compared, each up to sign.
func expectLinalgMatch(
  _ actual: Tensor, _ expected: ExpectedTensor, tol: Double, gauge: LinalgCase.Gauge?,
  ignoredBatches: [Int] = [], label: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(actual.shape == expected.shape, "\(label): shape \(actual.shape)", sourceLocation: sourceLocation)
  #expect(actual.dtype.rawValue == expected.dtype, "\(label): dtype", sourceLocation: sourceLocation)
  guard actual.shape == expected.shape else { return }
  var want = expected.data.map(\.double)
  var got = actual.asArray(Double.self)
  var compared = Array(repeating: true, count: want.count)
  if let gauge {
    want = signNormalized(want, shape: expected.shape, gauge: gauge)
    got = signNormalized(got, shape: expected.shape, gauge: gauge)
    let rows = expected.shape[expected.shape.count - 2]
    let cols = expected.shape[expected.shape.count - 1]
    for i in want.indices {
      let (r, c) = ((i % (rows * cols)) / cols, i % cols)
      compared[i] = gauge.kind == "columns" ? c < gauge.count : r < gauge.count
    }
  }
  if !ignoredBatches.isEmpty, expected.shape.count >= 2 {
    let size = expected.shape.suffix(2).reduce(1, *)
    for i in want.indices where ignoredBatches.contains(i / Swift.max(size, 1)) { compared[i] = false }
  }
  let scale = Swift.max(
    want.indices.filter { compared[$0] && want[$0].isFinite }.map { Swift.abs(want[$0]) }.max() ?? 0, 1e-300)
  let bound = actual.dtype.isFloatingPoint ? tol * scale : 0
  var bad: [String] = []
  for i in want.indices where compared[i] {
    let ok =
      want[i].isNaN
      ? got[i].isNaN
      : (want[i].isInfinite || got[i].isInfinite ? got[i] == want[i] : Swift.abs(got[i] - want[i]) <= bound)
    if !ok { bad.append("[\(i)] got \(got[i]) want \(want[i])") }
  }
  #expect(
    bad.isEmpty,
    "\(label): \(bad.count) of \(want.count) values differ beyond \(bound): \(bad.prefix(6).joined(separator: ", "))",
    sourceLocation: sourceLocation)
}
