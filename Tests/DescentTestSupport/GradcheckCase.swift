import Descent
import Testing

/// One differentiable function under `gradcheck`: how to make its inputs (fresh leaves each
/// time, since a check runs backward through them) and how to call it.
public struct GradcheckCase: CustomTestStringConvertible, Sendable {
  public let name: String
  public let inputs: @Sendable () -> [Tensor]
  public let function: @Sendable ([Tensor]) -> Tensor
  public var testDescription: String { name }

  public init(
    _ name: String, _ inputs: @escaping @Sendable () -> [Tensor],
    _ function: @escaping @Sendable ([Tensor]) -> Tensor
  ) {
    self.name = name
    self.inputs = inputs
    self.function = function
  }
}
