import DescentTestSupport
import Testing

@testable import Descent

/// `Fixtures/autograd.json`: PyTorch's autograd behaviour and messages, written by
/// `scripts/gen_tensor_fixtures.py`.
struct AutogradFixture: Decodable, Sendable {
  struct GradAssignment: Decodable, Sendable, CustomTestStringConvertible {
    let dtype: String
    let shape: [Int]
    let grad_dtype: String
    let grad_shape: [Int]
    /// PyTorch's error, or `nil` where it accepts the gradient.
    let message: String?

    var testDescription: String { "\(dtype)\(shape).grad = \(grad_dtype)\(grad_shape)" }
  }
  struct GradAssignments: Decodable, Sendable {
    let cases: [GradAssignment]
    let own_grad_message: String
  }

  /// `dst.copy_(src)` where `src` requires grad.
  struct CopyCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let dst_shape: [Int]
    let dst_dtype: String
    let src: ExpectedTensor
    let weights: [JSON]
    let no_grad: Bool
    let used_before: Bool
    let grad_fn: String?
    let requires_grad: Bool
    let is_leaf: Bool
    let dst: ExpectedTensor
    let src_grad: ExpectedTensor?

    var testDescription: String { name }
  }
  struct Copies: Decodable, Sendable {
    let cases: [CopyCase]
    let leaf_message: String
  }

  /// `index_select` of a float64 leaf.
  struct IndexSelectCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let input: ExpectedTensor
    let dim: Int
    let index: JSON
    let index_shape: [Int]
    let grad_fn: String
    let output: ExpectedTensor
    let grad: ExpectedTensor

    var testDescription: String { name }
  }

  /// An op from the fixture op table, run on inputs whose floating bases require grad.
  struct NameCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let op: String
    let args: [String: JSON]
    let inputs: [TensorSpec]
    /// PyTorch's `type(out.grad_fn).__name__` for each output (`nil`: no grad_fn).
    let grad_fn: [String?]

    var testDescription: String { name }
  }

  /// `x.std(1)` with one constant row, weighted by `weights`, and its gradient.
  struct StdConstant: Decodable, Sendable {
    let input: ExpectedTensor
    let weights: [Double]
    let output: ExpectedTensor
    let grad: ExpectedTensor
  }

  /// ReLU's and leaky ReLU's (slope 0.2) gradients on NaN, ±0, ±inf inputs.
  struct ActivationBackward: Decodable, Sendable {
    let input: ExpectedTensor
    let upstream: ExpectedTensor
    let relu_grad: ExpectedTensor
    let leaky_relu_grad: ExpectedTensor
  }

  let activation_backward: ActivationBackward
  let grad_assignment: GradAssignments
  let copy: Copies
  let index_select: [IndexSelectCase]
  let grad_fn_names: [NameCase]
  let std_constant: StdConstant

  static let shared = Fixtures.loader.load("autograd", as: AutogradFixture.self)
}
