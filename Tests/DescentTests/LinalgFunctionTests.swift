import DescentTestSupport
import Foundation
import Testing

@testable import Descent

/// Every torch.linalg function Descent has, against PyTorch 2.13 (MKL) on well- and
/// ill-conditioned, batched, square, rectangular and transposed inputs: values (eigen- and
/// singular vectors up to sign), PyTorch's error messages, and gradients of a weighted loss.
@Suite("Linalg against PyTorch")
struct LinalgFunctionTests {
  static let cases: [LinalgCase] = FixtureLoader(
    bundle: .module, script: "scripts/gen_linalg_fixtures.py"
  ).load("linalg_functions", as: FixtureFile<LinalgCase>.self).cases

  static let runs: [(LinalgCase, DType)] = cases.flatMap { c in [(c, .float32), (c, .float64)] }

  @Test(arguments: runs)
  func valuesAndErrors(_ c: LinalgCase, _ dtype: DType) throws {
    let expected = c.result(dtype)
    let (_, arguments) = c.build(dtype)
    let inputs = arguments.map { $0.detach() }
    if let message = expected.error {
      #expect(throws: LinalgError.self, "\(c.name) [\(dtype)] must throw") { _ = try c.run(inputs) }
      do {
        _ = try c.run(inputs)
      } catch let error as LinalgError {
        #expect(error.message == message, "\(c.name) [\(dtype)]")
        #expect(error.description == message)
      }
      return
    }
    let outputs = try c.run(inputs)
    let want = try #require(expected.outputs)
    #expect(outputs.count == want.count)
    for (i, (got, expect)) in zip(outputs, want).enumerated() {
      expectLinalgMatch(
        got, expect, tol: c.tol[dtype.rawValue]!, gauge: c.gauge?[i],
        ignoredBatches: c.ignore?[String(i)] ?? [], label: "\(c.name) [\(dtype)] output \(i)")
    }
  }

  @Test(arguments: runs.filter { $0.0.weights != nil })
  func gradients(_ c: LinalgCase, _ dtype: DType) throws {
    let expected = c.result(dtype)
    let (_, arguments) = c.build(dtype)
    let outputs = try c.run(arguments)
    var loss: Tensor?
    for (i, (output, weight)) in zip(outputs, c.weights!).enumerated() {
      guard let weight else { continue }
      let w = Tensor(weight.data, shape: weight.shape, dtype: dtype)
      let h = c.gauge?[i] != nil ? output * output : output
      let term = (h * w).sum()
      loss = loss.map { $0 + term } ?? term
    }
    let grads = Autograd.grad(try #require(loss), inputs: arguments, allowUnused: true)
    let want = try #require(expected.grads)
    for (i, (grad, expect)) in zip(grads, want).enumerated() {
      let g = grad ?? Tensor.zerosLike(arguments[i])
      expectLinalgMatch(
        g, expect, tol: c.gradTol[dtype.rawValue]!, gauge: nil, label: "\(c.name) [\(dtype)] d/d input \(i)")
    }
  }
}
