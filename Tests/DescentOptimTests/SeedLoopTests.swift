import Descent
import DescentOptim
import Testing

/// `BCEWithLogitsLoss(reduction='sum')` written with Descent ops, in PyTorch's stable form
/// `max(x, 0) - x·y + log(1 + exp(-|x|))`. (DescentOptim's tests do not import DescentNN.)
func bceWithLogitsSum(_ logits: Tensor, _ targets: Tensor) -> Tensor {
  (logits.relu() - logits * targets + (-logits.abs()).exp().log1p()).sum()
}

/// The seed's loop: for each batch, zero_grad / forward / loss / backward / step, on a
/// linear model over a small, noisy, linearly separable data set. Returns each epoch's
/// summed loss.
func seedLoop(_ makeOptimizer: ([Tensor]) throws -> Optimizer, epochs: Int = 8) throws -> [Double] {
  let generator = Generator(seed: 7)
  let samples = 64
  let features = 4
  let x = Tensor.randn([samples, features], generator: generator)
  let trueWeight = Tensor([1.5, -2.0, 0.5, 1.0], shape: [features, 1])
  let noise = Tensor.randn([samples, 1], generator: generator) * 0.3
  let y = ((x.matmul(trueWeight) + noise) .> 0).to(dtype: .float32)

  let w = Tensor.zeros([features, 1], requiresGrad: true)
  let b = Tensor.zeros([1], requiresGrad: true)
  let optimizer = try makeOptimizer([w, b])
  let batchSize = 8
  var epochLosses: [Double] = []
  for _ in 0..<epochs {
    var total = 0.0
    for start in stride(from: 0, to: samples, by: batchSize) {
      let batchX = x.narrow(dim: 0, start: start, length: batchSize)
      let batchY = y.narrow(dim: 0, start: start, length: batchSize)
      optimizer.zeroGrad()
      let pred = batchX.matmul(w) + b
      let loss = bceWithLogitsSum(pred, batchY)
      loss.backward()
      try optimizer.step()
      total += loss.item()
    }
    epochLosses.append(total)
  }
  return epochLosses
}

@Suite("The seed's training loop")
struct SeedLoopTests {
  @Test("the stable BCE-with-logits sum matches its definition on moderate logits")
  func lossFormula() {
    let logits = Tensor([-3.0, -0.5, 0.0, 0.7, 4.0], shape: [5], dtype: .float64)
    let targets = Tensor([0.0, 1.0, 1.0, 0.0, 1.0], shape: [5], dtype: .float64)
    let direct = -(targets * logits.sigmoid().log() + (1 - targets) * (1 - logits.sigmoid()).log()).sum()
    #expect(Swift.abs(bceWithLogitsSum(logits, targets).item() - direct.item()) < 1e-12)
  }

  /// Each registry optimizer with a learning rate that suits this problem: PyTorch's
  /// default, raised where it is too small to show progress in 8 epochs; plus SGD with
  /// momentum. Adafactor's steps are relative to the parameters' root mean square, which
  /// starts at 0 here, and floored by `eps₂`: it gets `ρ = 1/√t` (lr 1) and `eps₂ = 0.1`.
  static let runs: [(name: String, kind: OptimizerKind, options: [String: HyperValue])] =
    OptimizerKind.allCases.map { kind in
      if kind == .adafactor { return (kind.name, kind, ["lr": 1, "eps": .optionalNumbers([nil, 0.1])]) }
      let lr = kind.defaults["lr"]!.number!
      let suited = slowStarters[kind] ?? (lr < 0.01 ? (kind == .sgd ? 0.01 : 0.05) : lr)
      return (kind.name, kind, ["lr": .number(suited)])
    } + [("SGD+momentum", .sgd, ["lr": 0.01, "momentum": 0.9])]

  /// Optimizers whose first steps are small by design, with a learning rate that shows
  /// progress within 8 epochs here (measured with PyTorch on the same problem): Adagrad's
  /// steps shrink with the summed squares, Adadelta's start at sqrt(eps) = 1e-3, and RAdam
  /// takes unadapted steps until ρₜ > 5 and small rectified ones after.
  static let slowStarters: [OptimizerKind: Double] = [.adagrad: 0.5, .adadelta: 20, .radam: 0.2]

  @Test(
    "lowers the loss with each optimizer",
    arguments: runs.map(\.name), OptimizerImplementation.allCases)
  func lowersLoss(_ name: String, implementation: OptimizerImplementation) throws {
    let run = Self.runs.first { $0.name == name }!
    let losses = try seedLoop { params in
      try run.kind.make(params, run.options, implementation: implementation)
    }
    // The first epoch starts from logits of 0: a loss of 64·log 2 ≈ 44.4 at its first batch.
    #expect(losses.last! < 0.6 * losses.first!, "epoch losses \(losses)")
    #expect(zip(losses, losses.dropFirst()).allSatisfy { $1 < $0 }, "epoch losses \(losses)")
  }
}
