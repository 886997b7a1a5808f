import DescentTestSupport
import Testing

@testable import Descent

/// A failed check names the op and ends with the user's line, even when it fails deep inside
/// Descent or in an operator, which cannot take `#line`.
@Suite("Caller location in stop messages")
struct CallerLocationTests {
  // The failing calls sit in functions of this file, not in the exit tests' bodies: the
  // `#expect(processExitsWith:)` macro copies a body into a generated file, whose line
  // would then be the caller's.
  static let addLine = #line + 1
  static func mismatchedAdd() { _ = Tensor.zeros([2, 3]) + Tensor.zeros([4]) }

  static let matmulLine = #line + 3
  static func mismatchedMatmul() {
    let a = Tensor.zeros([2, 3])
    _ = a.matmul(Tensor.zeros([4, 5]))
  }

  static let reshapeLine = #line + 1
  static func mismatchedReshape() { _ = Tensor.zeros([2, 3]).reshape([4]) }

  @Test func operatorMismatchPointsAtTheCallersLine() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      CallerLocationTests.mismatchedAdd()
    }
    expectStopMessage(
      r, mentions: ["add", "[2, 3]", "[4]", "CallerLocationTests.swift:\(Self.addLine))"])
  }

  @Test func matmulMismatchPointsAtTheCallersLine() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      CallerLocationTests.mismatchedMatmul()
    }
    expectStopMessage(
      r, mentions: ["matmul", "[2, 3]", "[4, 5]", "CallerLocationTests.swift:\(Self.matmulLine))"])
  }

  @Test func reshapeMismatchPointsAtTheCallersLine() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      CallerLocationTests.mismatchedReshape()
    }
    expectStopMessage(r, mentions: ["[4]", "CallerLocationTests.swift:\(Self.reshapeLine))"])
  }

  @Test(arguments: [
    ("$s7Descent6TensorV6matmulyA2CF", "Descent"),
    ("_$s12DescentOptim3SGDC4stepyyKF", "DescentOptim"),
    ("$s12DescentTests4mainyyF", "DescentTests"),
  ])
  func moduleOfAMangledSwiftSymbol(name: String, module: String) {
    #expect(CallerLocation.swiftModule(ofMangled: name) == module)
  }

  @Test(arguments: ["main", "swift_retain", "$sSa6appendyyxnF", "$ss5print_9separatoryypd_S2StF"])
  func cAndStandardLibrarySymbolsHaveNoUserModule(name: String) {
    #expect(CallerLocation.swiftModule(ofMangled: name) == nil)
  }

  @Test func testModulesAreCallersNotDescent() {
    #expect(CallerLocation.isDescent("DescentNN"))
    #expect(!CallerLocation.isDescent("DescentTests"))
  }
}
