import Descent
import DescentTestSupport
import Foundation
import Testing

/// A tensor as the generator script writes it: shape, row-major values (float32 results
/// widened exactly to Double; NaN and infinities as strings) and an optional dtype.
struct FixtureTensor: Decodable {
  let shape: [Int]
  let data: [Double]
  let dtype: String?

  /// The values as a tensor of `dtype` (`int64` fixtures become int64 tensors).
  func tensor(_ dtype: DType = .float64, requiresGrad: Bool = false) -> Tensor {
    if self.dtype == "int64" { return Tensor(data.map { Int($0) }, shape: shape) }
    return Tensor(data, shape: shape, dtype: dtype, requiresGrad: requiresGrad)
  }
}

enum Fixtures {
  static let loader = FixtureLoader(bundle: .module, script: "scripts/gen_nn_fixtures.py")

  /// `Fixtures/<name>.json` decoded as `T`.
  static func load<T: Decodable>(_ name: String, as type: T.Type) -> T { loader.load(name, as: type) }
}

/// One fixture case in one float dtype: the argument of the parity tests.
struct FixtureCase: CustomTestStringConvertible, Sendable {
  /// The case's position in its fixture list.
  let index: Int
  let dtype: DType
  let name: String
  var testDescription: String { "\(name) [\(dtype)]" }

  /// The cases `names(dtype)` lists, in float32 and in float64.
  static func each(_ names: (DType) -> [String]) -> [FixtureCase] {
    [DType.float32, .float64].flatMap { dtype in
      names(dtype).enumerated().map { FixtureCase(index: $0, dtype: dtype, name: $1) }
    }
  }
}

/// The relative tolerance the issue sets for matching PyTorch: 1e-6 in float32 and 1e-12
/// in float64.
func parityTolerance(_ dtype: DType) -> Double { dtype == .float32 ? 1e-6 : 1e-12 }

/// How ``expectClose(_:_:rtol:_:normwise:sourceLocation:)`` measures relative error.
///
/// Elementwise: `|a - e| <= rtol * |e|` for every element. Norm-wise:
/// `max |a - e| <= rtol * max |e|` over the tensor.
///
/// Gradients are sums (over the batch, or over classes through softmax). An element whose terms cancel carries
/// the rounding error of its largest terms, so its elementwise relative error depends on
/// the summation order, which differs between PyTorch's kernels and Descent's (measured on
/// nn_mlp.json, elementwise: up to 415 × 1e-6 in float32 and 6.3 × 1e-12 in float64;
/// norm-wise: 4.8e-7 and 8.8e-16). Gradients are therefore held to the tolerance
/// norm-wise; loss values and layer outputs are held elementwise.
let gradientsNormwise = true

func leastNormal(_ dtype: DType) -> Double {
  dtype == .float32 ? Double(Float.leastNormalMagnitude) : Double.leastNormalMagnitude
}

/// Expects `actual` to equal the fixture within relative tolerance `rtol`, elementwise or
/// norm-wise (see ``gradientsNormwise``). NaN must match NaN and infinities must match
/// exactly. Elementwise, a reference element of exactly zero is held to `rtol` times the
/// tensor's largest magnitude (a zero bound would demand bit-identical rounding), and a
/// subnormal one to the dtype's smallest normal magnitude: subnormals carry fewer
/// significant bits than `rtol` asks for (float32's `exp(-100)` has about 5).
func expectClose(
  _ actual: Tensor, _ expected: FixtureTensor, rtol: Double, _ what: String, normwise: Bool = false,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(
    actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)",
    sourceLocation: sourceLocation)
  guard actual.shape == expected.shape else { return }
  let a = actual.asArray(Double.self)
  let scale = expected.data.filter(\.isFinite).map(Swift.abs).max() ?? 0
  var worst = 0.0
  var worstIndex = -1
  for (i, (x, e)) in zip(a, expected.data).enumerated() {
    if e.isNaN || e.isInfinite {
      if !(x.isNaN && e.isNaN) && x != e { worstIndex = i; worst = .infinity }
      continue
    }
    var bound = rtol * (normwise || e == 0 ? scale : Swift.abs(e))
    if !normwise && Swift.abs(e) < leastNormal(actual.dtype) {
      bound = Swift.max(bound, leastNormal(actual.dtype))
    }
    let err = Swift.abs(x - e)
    if !(err <= bound) {
      let ratio = bound > 0 ? err / bound : .infinity
      if ratio > worst || worstIndex < 0 { worst = ratio; worstIndex = i }
    }
  }
  // NN_DIAG=1 prints every comparison's norm-wise error (for reporting margins).
  if ProcessInfo.processInfo.environment["NN_DIAG"] != nil {
    let maxErr = zip(a, expected.data).filter { $0.1.isFinite }.map { Swift.abs($0.0 - $0.1) }.max() ?? 0
    print("DIAG \(what) normwise \(scale > 0 ? maxErr / scale : maxErr)")
  }
  #expect(
    worstIndex < 0,
    "\(what): element \(worstIndex) is \(worstIndex >= 0 ? a[worstIndex] : 0), expected \(worstIndex >= 0 ? expected.data[worstIndex] : 0) (error \(worst)× the \(normwise ? "norm-wise" : "elementwise") rtol \(rtol) bound)",
    sourceLocation: sourceLocation)
}
