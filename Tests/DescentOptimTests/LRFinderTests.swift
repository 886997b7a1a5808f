import Descent
import DescentNN
import DescentOptim
import Foundation
import Testing

@Suite("LRFinder")
struct LRFinderTests {
  /// The bits of every element, whatever the dtype, so that comparisons are exact.
  static func bits(_ t: Tensor) -> [UInt64] {
    switch t.dtype {
    case .float32: t.asArray(Float.self).map { UInt64($0.bitPattern) }
    case .float64: t.asArray(Double.self).map(\.bitPattern)
    default: t.asArray(Int.self).map { UInt64(bitPattern: Int64($0)) }
    }
  }

  /// Everything a range test may touch, as bits.
  struct Picture: Equatable {
    var params: [[UInt64]]
    var grads: [[UInt64]?]
    var buffers: [[UInt64]]
    var state: [Int: [String: [UInt64]]]
    var groups: [String]

    init(_ model: Module, _ optimizer: Optimizer) {
      params = model.parameters().map(LRFinderTests.bits)
      grads = model.parameters().map { $0.grad.map(LRFinderTests.bits) }
      buffers = model.buffers().map(LRFinderTests.bits)
      let dict = optimizer.stateDict()
      state = dict.state.mapValues { $0.mapValues(LRFinderTests.bits) }
      groups = dict.paramGroups.map { "\($0.params) \($0.hyperparameters.sorted { $0.key < $1.key })" }
    }
  }

  /// A small model with BatchNorm1d (running statistics change in every forward pass in
  /// training mode), its data, and an optimizer that has taken three steps.
  static func setup(_ kind: OptimizerKind) throws -> (Module, Optimizer, () -> Tensor) {
    let generator = Generator(seed: 11)
    let model = Sequential(
      Linear(4, 8, generator: generator), BatchNorm1d(8), ReLU(), Linear(8, 1, generator: generator))
    let x = Tensor.randn([64, 4], generator: generator)
    let y = (x.narrow(dim: 1, start: 0, length: 1) .> 0).to(dtype: .float32)
    let criterion = BCEWithLogitsLoss()
    let loss = { criterion(model(x), y) }
    // SGD with momentum, so that every optimizer has state to restore.
    let optimizer = try kind.make(
      model.parameters(), kind == .sgd ? ["lr": 0.01, "momentum": 0.9] : ["lr": 0.01])
    for _ in 0..<3 {
      optimizer.zeroGrad()
      loss().backward()
      try optimizer.step()
    }
    // Leave gradients in place: the range test must put them back too.
    optimizer.zeroGrad()
    loss().backward()
    return (model, optimizer, loss)
  }

  @Test(arguments: OptimizerKind.allCases)
  func restoresWeightsStateAndBuffersBitForBit(kind: OptimizerKind) throws {
    let (model, optimizer, loss) = try Self.setup(kind)
    let before = Picture(model, optimizer)
    #expect(!before.state.isEmpty)
    let test = try LRFinder(startLR: 1e-5, endLR: 100, steps: 60).run(
      optimizer, preserving: model.buffers(), loss: loss)
    #expect(test.learningRates.count > 10)
    #expect(Picture(model, optimizer) == before)

    // And training goes on exactly as if the test had never run.
    let (twin, twinOptimizer, twinLoss) = try Self.setup(kind)
    for (m, o, l) in [(model, optimizer, loss), (twin, twinOptimizer, twinLoss)] {
      for _ in 0..<2 {
        o.zeroGrad()
        l().backward()
        try o.step()
      }
      _ = m
    }
    #expect(Picture(model, optimizer) == Picture(twin, twinOptimizer))
  }

  /// A fresh optimizer (no state yet) gets no state from the test.
  @Test func freshOptimizerStaysFresh() throws {
    let p = Tensor([1.0, 2.0], shape: [2], requiresGrad: true)
    let optimizer = try Adam([p])
    _ = try LRFinder(steps: 20).run(optimizer) { (p * p).sum() }
    #expect(optimizer.state(for: p).isEmpty)
    #expect(p.asArray(Float.self) == [1, 2])
    #expect(p.grad == nil)
  }

  @Test func restoresWhenTheClosureThrows() throws {
    let (model, optimizer, loss) = try Self.setup(.sgd)
    let before = Picture(model, optimizer)
    struct Stop: Error {}
    var calls = 0
    #expect(throws: Stop.self) {
      try LRFinder(steps: 50).run(optimizer, preserving: model.buffers()) {
        calls += 1
        if calls == 7 { throw Stop() }
        return loss()
      }
    }
    #expect(Picture(model, optimizer) == before)
  }

  /// A loss that ignores the parameters: the recorded values are the given ones, so the
  /// schedule, the smoothing and the stopping rule can be checked against their formulas.
  static func sweep(_ finder: LRFinder, _ values: [Double]) throws -> (LRRangeTest, [Double]) {
    let p = Tensor([0.5], shape: [1], requiresGrad: true)
    let optimizer = try SGD([p], lr: 0.1)
    var seen: [Double] = []
    let test = try finder.run(optimizer) {
      seen.append(optimizer.paramGroups[0].lr)
      return (p * 0).sum() + values[seen.count - 1]
    }
    #expect(optimizer.paramGroups[0].lr == 0.1)
    return (test, seen)
  }

  @Test func scheduleAndSmoothingFollowTheirFormulas() throws {
    let finder = try LRFinder(startLR: 1e-6, endLR: 1, steps: 30, smoothing: 0.9, divergenceFactor: 1e9)
    let values = (0..<30).map { 1 + 0.5 * sin(Double($0)) }
    let (test, seen) = try Self.sweep(finder, values)
    #expect(test.learningRates == seen)
    #expect(test.learningRates.count == 30)
    #expect(!test.diverged)
    var average = 0.0
    for i in 0..<30 {
      #expect(
        abs(test.learningRates[i] - 1e-6 * pow(1e6, Double(i) / 30)) <= 1e-18 + 1e-15 * test.learningRates[i])
      #expect(Float(test.losses[i]) == Float(values[i]))
      average = 0.9 * average + 0.1 * test.losses[i]
      #expect(abs(test.smoothedLosses[i] - average / (1 - pow(0.9, Double(i + 1)))) <= 1e-14)
    }
  }

  @Test func stopsWhenTheSmoothedLossExceedsTheFactorTimesItsMinimum() throws {
    let finder = try LRFinder(steps: 50, smoothing: 0, divergenceFactor: 4)
    let values = [2.0, 1.0, 0.5, 1.0, 1.9, 2.01, 3, 4]
    let (test, _) = try Self.sweep(finder, values + Array(repeating: 1, count: 42))
    #expect(test.diverged)
    #expect(test.losses.count == 6)  // 2.01 > 4 × 0.5
    let (nan, _) = try Self.sweep(finder, [1, 1, .nan] + Array(repeating: 1, count: 47))
    #expect(nan.diverged && nan.losses.count == 3)
  }

  /// Without smoothing the suggestions can be read off the curve: the steepest fall is from
  /// index 17 to 18, the minimum at index 23, both inside the window 4..<35 (the first
  /// tenth of 40 steps and the last 5 are left out).
  @Test func suggestionsFollowFastai() throws {
    let finder = try LRFinder(startLR: 1e-4, endLR: 10, steps: 40, smoothing: 0, divergenceFactor: 100)
    let values =
      Array(repeating: 1.0, count: 16) + [0.9, 0.7, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1]
      + (1...16).map { 0.1 + 0.05 * Double($0) }
    let (test, _) = try Self.sweep(finder, values)
    #expect(test.window == 4..<35)
    let steepest = try #require(test.steepest)
    #expect(steepest.index == 17)
    #expect(steepest.suggestedLR == test.learningRates[17])
    let minimum = try #require(test.minimum)
    #expect(minimum.index == 23)
    #expect(minimum.lr == test.learningRates[23])
    #expect(minimum.suggestedLR == test.learningRates[23] / 10)
    // A fall before the window does not count.
    let early = [5.0, 1.0] + Array(values.dropFirst(2))
    #expect(try Self.sweep(finder, early).0.steepest?.index == 17)
  }

  @Test func tooShortASweepSuggestsNothing() throws {
    let finder = try LRFinder(steps: 40, smoothing: 0, divergenceFactor: 2)
    let (test, _) = try Self.sweep(finder, [1, 1, 1, 1, 1, 3] + Array(repeating: 1, count: 34))
    #expect(test.diverged)
    #expect(test.window.isEmpty)
    #expect(test.steepest == nil && test.minimum == nil)
  }

  @Test(
    arguments: [
      ({ try LRFinder(startLR: 0) }, "startLR must be positive, got 0.0"),
      ({ try LRFinder(startLR: 1e-3, endLR: 1e-3) }, "endLR must exceed startLR (0.001), got 0.001"),
      ({ try LRFinder(steps: 1) }, "steps must be at least 2, got 1"),
      ({ try LRFinder(smoothing: 1) }, "smoothing must be in [0, 1), got 1.0"),
      ({ try LRFinder(divergenceFactor: 0.5) }, "divergenceFactor must exceed 1, got 0.5"),
    ] as [(() throws -> LRFinder, String)])
  func invalidSettingsThrow(make: () throws -> LRFinder, message: String) {
    #expect(throws: OptimizerError("LRFinder: " + message)) { try make() }
  }
}
