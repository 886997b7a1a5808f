import Descent
import DescentNN
import DescentTestSupport
import Testing

/// A shape error inside a layer's forward (which fails in Descent, two modules down) names
/// the op and points at the line that called the layer.
@Suite("Caller location through layers")
struct LayerCallerLocationTests {
  // Outside the exit test's body: the macro copies a body into a generated file.
  static let forwardLine = #line + 3
  static func linearOnTheWrongWidth() {
    let layer = Linear(3, 2)
    _ = layer(Tensor.zeros([5, 4]))
  }

  @Test func linearForwardPointsAtTheCallersLine() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      LayerCallerLocationTests.linearOnTheWrongWidth()
    }
    expectStopMessage(
      r, mentions: ["[5, 4]", "LayerCallerLocationTests.swift:\(Self.forwardLine))"])
  }
}
