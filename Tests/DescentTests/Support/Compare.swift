import Testing

@testable import Descent

/// Tolerances for comparing Descent with PyTorch, by kind of computation and dtype.
///
/// - `exact`: creation, views, copies, comparisons, selections and the IEEE-754 basic
///   operations (`+ - * /`, `sqrt`, negation, min/max). Both libraries compute these with
///   one correctly rounded operation per element, so any difference is a bug.
/// - `fma`: `a + alpha * b` with a 0-d `b`, which PyTorch rounds fused in its vector loop
///   and unfused in its scalar tail; Descent always fuses. Allowed: one rounding of the
///   result and one of `alpha * b`, whose magnitude is below 8 in the fixtures (8ε absolute).
/// - `ulp`: libm-style functions (`exp`, `log`, `tanh`, `pow`, ...). Descent calls glibc,
///   PyTorch calls SLEEF or its own vectorised polynomials; each is accurate to 1-2 ulp, so
///   they may disagree by a few ulp. Allowed: 4 ulp of the result (relative 4ε).
/// - `accum`: reductions and matrix products, where the summation order differs (PyTorch
///   uses cascade or vectorised partial sums, MKL blocks; Descent sums float32 in double and
///   OpenBLAS blocks differently). For n terms the classical bound is n·ε·Σ|xᵢ|; inputs are
///   O(1) with n ≤ 33, so relative 1e-5 (float32) / 1e-13 (float64) with an absolute floor
///   of the same size for results that cancel to near zero.
/// - `qr`: Householder QR through two LAPACK implementations (MKL in PyTorch, OpenBLAS
///   here) of matrices with condition number below ~20: perturbation of Q and R is about
///   κ·ε, so relative 1e-4 (float32) / 1e-11 (float64).
enum Tolerance {
  static func bounds(_ kind: String, _ dtype: DType) -> (rtol: Double, atol: Double) {
    let eps = dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
    switch kind {
    case "exact": return (0, 0)
    case "fma": return (eps, 8 * eps)
    case "ulp": return (4 * eps, 0)
    case "accum": return dtype == .float32 ? (1e-5, 1e-5) : (1e-13, 1e-13)
    case "qr": return dtype == .float32 ? (1e-4, 1e-4) : (1e-11, 1e-11)
    default: fatalError("unknown tolerance \(kind)")
    }
  }
}

/// Whether `actual` is within tolerance of `expected`; NaN matches only NaN and infinities
/// must match exactly.
func close(_ actual: Double, _ expected: Double, rtol: Double, atol: Double) -> Bool {
  if expected.isNaN { return actual.isNaN }
  if expected.isInfinite || actual.isInfinite { return actual == expected }
  return Swift.abs(actual - expected) <= atol + rtol * Swift.abs(expected)
}

/// Checks one output tensor against PyTorch's, recording an issue that names the case.
func expectMatches(
  _ actual: Tensor, _ expected: ExpectedTensor, tolerance kind: String, label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(actual.shape == expected.shape, "\(label): shape", sourceLocation: sourceLocation)
  #expect(actual.dtype.rawValue == expected.dtype, "\(label): dtype", sourceLocation: sourceLocation)
  guard actual.shape == expected.shape else { return }
  let want = expected.data.map(\.double)
  let got = actual.asArray(Double.self)
  // Integer and boolean results are indices and masks: always exact.
  let (rtol, atol) =
    actual.dtype.isFloatingPoint ? Tolerance.bounds(kind, actual.dtype) : (0, 0)
  var bad: [String] = []
  for i in 0..<Swift.min(want.count, got.count) where !close(got[i], want[i], rtol: rtol, atol: atol) {
    bad.append("[\(i)] got \(got[i]) want \(want[i])")
  }
  #expect(
    bad.isEmpty,
    "\(label): \(bad.count) of \(want.count) values differ (\(kind)): \(bad.prefix(6).joined(separator: ", "))",
    sourceLocation: sourceLocation)
}
