import DescentTestSupport
import Foundation
import Testing

@testable import Descent

/// Shape errors in tensor math stop the process with a message naming the op and both
/// shapes (printed in optimized builds too: Descent's `require` uses `fatalError`). Each
/// body runs in a child process; its standard error is checked for the op name and the
/// shapes.
@Suite("Shape preconditions")
struct PreconditionTests {
  @Test func addBroadcastMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
    }
    expectStopMessage(r, mentions: ["add", "[2, 3]", "[4]"])
  }

  @Test func mulRankMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3, 4]) * Tensor.zeros([3, 1, 5])
    }
    expectStopMessage(r, mentions: ["mul", "[2, 3, 4]", "[3, 1, 5]"])
  }

  @Test func comparisonMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2]) .< Tensor.zeros([3])
    }
    expectStopMessage(r, mentions: ["lt", "[2]", "[3]"])
  }

  @Test func whereMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.where(Tensor([true, false]), Tensor.zeros([3]), Tensor.zeros([2]))
    }
    expectStopMessage(r, mentions: ["where", "[2]", "[3]"])
  }

  @Test func inPlaceCannotGrow() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor.zeros([3])
      x.addInPlace(Tensor.zeros([2, 3]))
    }
    expectStopMessage(r, mentions: ["add_", "[3]", "[2, 3]"])
  }

  @Test func matmulInnerMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
    }
    expectStopMessage(r, mentions: ["matmul", "[2, 3]", "[4, 5]"])
  }

  @Test func matmulVectorMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([3]).matmul(Tensor.zeros([4]))
    }
    expectStopMessage(r, mentions: ["matmul", "[3]", "[4]"])
  }

  @Test func matmulBatchMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 2, 3]).matmul(Tensor.zeros([3, 3, 4]))
    }
    expectStopMessage(r, mentions: ["matmul", "[2, 2, 3]", "[3, 3, 4]"])
  }

  @Test func dotMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([3]).dot(Tensor.zeros([2]))
    }
    expectStopMessage(r, mentions: ["dot", "[3]", "[2]"])
  }

  @Test func mvMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).mv(Tensor.zeros([2]))
    }
    expectStopMessage(r, mentions: ["mv", "[2, 3]", "[2]"])
  }

  @Test func expandMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).expand([4, 3])
    }
    expectStopMessage(r, mentions: ["expand", "[2, 3]", "[4, 3]"])
  }

  @Test func viewNeedsCopy() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).t().view([6])
    }
    expectStopMessage(r, mentions: ["view", "[3, 2]", "[6]"])
  }

  @Test func reshapeWrongCount() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).reshape([4])
    }
    expectStopMessage(r, mentions: ["reshape", "[4]", "[2, 3]"])
  }

  @Test func catMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.cat([Tensor.zeros([2, 3]), Tensor.zeros([2, 4])], dim: 0)
    }
    expectStopMessage(r, mentions: ["cat", "[2, 3]", "[2, 4]"])
  }

  @Test func copyMismatch() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor.zeros([2, 3]).copyInPlace(from: Tensor.zeros([4]))
    }
    expectStopMessage(r, mentions: ["copy_", "[2, 3]", "[4]"])
  }

  @Test func selectOf0D() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([]).select(dim: 0, index: 0)
    }
    expectStopMessage(r, mentions: ["select() cannot be applied to a 0-dim tensor."])
  }

  @Test func reductionDimOutOfRange() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).sum(dim: 2)
    }
    expectStopMessage(r, mentions: ["sum", "Dimension out of range"])
  }
}
