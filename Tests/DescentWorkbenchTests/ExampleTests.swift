import Foundation
import Testing

/// Runs each program in Examples/ for a few steps, as built by `swift test`.
@Suite("Examples")
struct ExampleTests {
  @Test func tutorialLoop() throws {
    let run = try runProduct("TutorialLoop", ["20"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("epoch 0 batch 0: tensor("))
    #expect(run.stdout.contains("20 steps; test accuracy"))
  }

  @Test func digitsClassifier() throws {
    let run = try runProduct("DigitsClassifier", ["1"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("epoch 1: mean batch loss"))
  }

  /// A few steps do not reach the QR solution (and are not checked); the full run must, to
  /// 1e-6, or it exits with status 1.
  @Test func leastSquares() throws {
    let short = try runProduct("LeastSquares", ["10"])
    #expect(short.status == 0, "\(short.stderr)")
    #expect(short.stdout.contains("step 10: mean squared error"))
    let full = try runProduct("LeastSquares", [])
    #expect(full.status == 0, "\(full.stdout)\(full.stderr)")
    let gap = full.stdout.split(separator: "\n").first { $0.hasPrefix("largest difference: ") }
      .flatMap { Double($0.dropFirst("largest difference: ".count)) }
    #expect((gap ?? .infinity) <= 1e-6)
  }
}
