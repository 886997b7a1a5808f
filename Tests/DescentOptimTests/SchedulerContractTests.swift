import Descent
import DescentOptim
import DescentTestSupport
import Testing

/// The API block, verbatim (whitespace included, hence the formatter exemption), on
/// two parameters. It returns what the checks need.
// swift-format-ignore
func runSchedulerContractSnippet(_ a: Tensor, _ b: Tensor) throws -> (
  opt: Optimizer, lrs: [Double], lr0: Double, m0: Double, saved: SchedulerStateDict, keep: [AnyObject]
) {
let opt = try SGD([a], lr: 0.1, momentum: 0.9)
try opt.addParamGroup(ParamGroup([b], ["lr": 0.03]))

let s1 = try StepLR(opt, stepSize: 7, gamma: 0.5)                      // gamma default 0.1
let s2 = try MultiStepLR(opt, milestones: [10, 40, 90], gamma: 0.1)
let s3 = try ConstantLR(opt, factor: 0.5, totalIters: 10)              // defaults 1/3, 5
let s4 = try LinearLR(opt, startFactor: 0.1, endFactor: 1.0, totalIters: 20) // defaults 1/3, 1, 5
let s5 = try ExponentialLR(opt, gamma: 0.97)
let s6 = try PolynomialLR(opt, totalIters: 50, power: 2.0)             // defaults 5, 1
let s7 = try CosineAnnealingLR(opt, tMax: 30, etaMin: 0.001)           // etaMin default 0
let s8 = try CosineAnnealingWarmRestarts(opt, t0: 10, tMult: 2, etaMin: 1e-4) // defaults 1, 0
let s9 = try CyclicLR(opt, baseLR: 0.001, maxLR: 0.1, stepSizeUp: 10, stepSizeDown: nil,
                      mode: .triangular2, gamma: 0.98)   // .triangular, .triangular2, .expRange
let s10 = try OneCycleLR(opt, maxLR: 0.5, totalSteps: 125, pctStart: 0.3, annealStrategy: .cos,
                         threePhase: false, divFactor: 25, finalDivFactor: 1e4) // .cos, .linear
let s11 = try ReduceLROnPlateau(opt, mode: .min, factor: 0.5, patience: 3, threshold: 1e-4,
                                thresholdMode: .rel, cooldown: 1, minLR: 0.001)
let s12 = try SequentialLR(opt, schedulers: [try LinearLR(opt, startFactor: 0.1, totalIters: 10),
                                             try CosineAnnealingLR(opt, tMax: 90)], milestones: [10])
let s13 = try ChainedScheduler([try ConstantLR(opt, factor: 0.5, totalIters: 15),
                                try ExponentialLR(opt, gamma: 0.97)])
try opt.step()
try s1.step()                  // every scheduler; throws where PyTorch raises (OneCycleLR past its total)
try s11.step(metric: 0.42)     // ReduceLROnPlateau
let lrs: [Double] = s1.lastLR  // get_last_lr()
let lr0 = opt.paramGroups[0].lr, m0 = opt.paramGroups[0].momentum
let saved = s1.stateDict()     // and: try s1b.loadStateDict(saved) on a new scheduler
return (opt, lrs, lr0, m0, saved, [s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13])
}

/// The API block, then its results against the same lines run in PyTorch.
@Suite("Scheduler contract")
struct SchedulerContractTests {
  static var record: JSON { SchedulerFixtures.file.contract }

  @Test("the issue's block compiles, runs, and gives PyTorch's numbers")
  func contract() throws {
    let a = Tensor.zeros([3], dtype: .float64, requiresGrad: true)
    let b = Tensor.zeros([2], dtype: .float64, requiresGrad: true)
    let (opt, lrs, lr0, m0, saved, _) = try runSchedulerContractSnippet(a, b)

    let record = Self.record
    #expect(lrs == record["lrs"]!.doubles!)
    #expect(lr0 == record["lr0"]!.double)
    #expect(m0 == record["m0"]!.double)
    let differences = stateDifferences(record["saved"]!, .dict(saved.values))
    #expect(differences.isEmpty, "\(differences)")
    let keys = opt.paramGroups[0].hyperparameters.keys.sorted()
    #expect(keys == record["param_group_keys"]!.array.map(\.string))

    let s1b = try StepLR(opt, stepSize: 3)
    try s1b.loadStateDict(saved)
    #expect(s1b.stateDict() == saved)
    #expect(s1b.stepSize == 7 && s1b.gamma == 0.5 && s1b.lastEpoch == 1)
  }

  @Test("each line of the block leaves the groups as PyTorch's does")
  func lineByLine() throws {
    let a = Tensor.zeros([3], dtype: .float64, requiresGrad: true)
    let b = Tensor.zeros([2], dtype: .float64, requiresGrad: true)
    let opt = try SGD([a], lr: 0.1, momentum: 0.9)
    try opt.addParamGroup(ParamGroup([b], ["lr": 0.03]))
    func expectLine(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
      let expected = Self.record[name]!
      #expect(
        opt.paramGroups.map(\.lr) == expected["lr"]!.doubles!, "\(name)", sourceLocation: sourceLocation)
      #expect(
        opt.paramGroups.map(\.momentum) == expected["momentum"]!.doubles!, "\(name)",
        sourceLocation: sourceLocation)
    }
    let s1 = try StepLR(opt, stepSize: 7, gamma: 0.5)
    expectLine("s1")
    _ = try MultiStepLR(opt, milestones: [10, 40, 90], gamma: 0.1)
    expectLine("s2")
    _ = try ConstantLR(opt, factor: 0.5, totalIters: 10)
    expectLine("s3")
    _ = try LinearLR(opt, startFactor: 0.1, endFactor: 1.0, totalIters: 20)
    expectLine("s4")
    _ = try ExponentialLR(opt, gamma: 0.97)
    expectLine("s5")
    _ = try PolynomialLR(opt, totalIters: 50, power: 2.0)
    expectLine("s6")
    _ = try CosineAnnealingLR(opt, tMax: 30, etaMin: 0.001)
    expectLine("s7")
    _ = try CosineAnnealingWarmRestarts(opt, t0: 10, tMult: 2, etaMin: 1e-4)
    expectLine("s8")
    _ = try CyclicLR(
      opt, baseLR: 0.001, maxLR: 0.1, stepSizeUp: 10, stepSizeDown: nil, mode: .triangular2, gamma: 0.98)
    expectLine("s9")
    _ = try OneCycleLR(
      opt, maxLR: 0.5, totalSteps: 125, pctStart: 0.3, annealStrategy: .cos, threePhase: false, divFactor: 25,
      finalDivFactor: 1e4)
    expectLine("s10")
    let s11 = try ReduceLROnPlateau(
      opt, mode: .min, factor: 0.5, patience: 3, threshold: 1e-4, thresholdMode: .rel, cooldown: 1,
      minLR: 0.001)
    expectLine("s11")
    _ = try SequentialLR(
      opt,
      schedulers: [
        try LinearLR(opt, startFactor: 0.1, totalIters: 10), try CosineAnnealingLR(opt, tMax: 90),
      ],
      milestones: [10])
    expectLine("s12")
    _ = try ChainedScheduler([
      try ConstantLR(opt, factor: 0.5, totalIters: 15), try ExponentialLR(opt, gamma: 0.97),
    ])
    expectLine("s13")
    try opt.step()
    try s1.step()
    expectLine("s1.step")
    try s11.step(metric: 0.42)
    expectLine("s11.step")
  }

  @Test("ReduceLROnPlateau is not an LRScheduler; the others are")
  func protocolConformance() throws {
    let opt = try SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1)
    let plateau: Any = try ReduceLROnPlateau(opt)
    #expect(!(plateau is any LRScheduler))
    let schedulers: [Any] = [
      try LambdaLR(opt) { _ in 1 }, try MultiplicativeLR(opt) { _ in 1 }, try StepLR(opt, stepSize: 1),
      try MultiStepLR(opt, milestones: [1]), try ConstantLR(opt), try LinearLR(opt),
      try ExponentialLR(opt, gamma: 1),
      try PolynomialLR(opt), try CosineAnnealingLR(opt, tMax: 3), try CosineAnnealingWarmRestarts(opt, t0: 3),
      try CyclicLR(opt, baseLR: 0.01, maxLR: 0.1), try OneCycleLR(opt, maxLR: 0.1, totalSteps: 10),
      try SequentialLR(opt, schedulers: [try ConstantLR(opt)], milestones: []),
      try ChainedScheduler([try ConstantLR(opt)]),
    ]
    for scheduler in schedulers { #expect(scheduler is any LRScheduler, "\(type(of: scheduler))") }
  }
}
