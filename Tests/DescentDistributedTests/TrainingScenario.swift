import Descent
import DescentData
import DescentNN
import DescentOptim
import Foundation
import Testing

/// A small regression problem that the training worker (Sources/descent-distributed/
/// TrainingWorker.swift) trains data-parallel and that ``reference(_:steps:)`` trains in
/// this process with the whole global batch: a 5-7-3 tanh MLP, MSE loss, 48 rows, global
/// batch 12, every optimizer at lr 0.05.
struct TrainingScenario {
  let dtype: DType
  let sizes = [5, 7, 3]
  let batch = 12
  let x: Tensor
  let y: Tensor
  let initial: [Tensor]
  static let options: [String: HyperValue] = ["lr": 0.05]

  init(dtype: DType, seed: UInt64 = 17) {
    self.dtype = dtype
    let generator = Generator(seed: seed)
    x = Tensor.randn([48, 5], dtype: dtype, generator: generator)
    y = Tensor.randn([48, 3], dtype: dtype, generator: generator)
    initial = Self.model(sizes, dtype: dtype, generator: generator).parameters().map { $0.detach().clone() }
  }

  static func model(_ sizes: [Int], dtype: DType, generator: Generator? = nil) -> Sequential {
    Sequential([
      Linear(sizes[0], sizes[1], dtype: dtype, generator: generator), Tanh(),
      Linear(sizes[1], sizes[2], dtype: dtype, generator: generator),
    ])
  }

  /// The worker's spec (see TrainingWorker's documentation).
  func spec(
    zero: Bool, firstStep: Int = 0, steps: Int = 4, accumulate: Bool = false,
    bucketCapMB: Double = 25, resume: String? = nil
  ) -> [String: Any] {
    var spec: [String: Any] = [
      "dtype": dtype.rawValue, "sizes": sizes, "params": initial.map(record), "x": record(x),
      "y": record(y), "batch": batch, "firstStep": firstStep, "steps": steps, "zero": zero,
      "accumulate": accumulate, "bucketCapMB": bucketCapMB,
      "options": Self.options.mapValues { value -> Any in ["number": "\(value.number!)"] },
    ]
    if let resume { spec["resume"] = resume }
    return spec
  }

  private func record(_ t: Tensor) -> [String: Any] {
    ["shape": t.shape, "values": t.to(dtype: .float64).contiguous().asArray(Double.self).map { "\($0)" }]
  }

  /// Single-process training with the global batch: parameters and state dict after `steps`.
  func reference(_ kind: OptimizerKind, steps: Int) throws -> (params: [Tensor], state: OptimizerStateDict) {
    let model = Self.model(sizes, dtype: dtype)
    withNoGrad {
      for (param, value) in zip(model.parameters(), initial) { param.copyInPlace(from: value) }
    }
    let optimizer = try kind.make(model.parameters(), Self.options)
    let loader = try DataLoader(try TensorDataset(x, y), batchSize: batch)
    let criterion = MSELoss()
    for (step, (xb, yb)) in loader.enumerated() where step < steps {
      optimizer.zeroGrad()
      criterion(model(xb), yb).backward()
      try optimizer.step()
    }
    return (model.parameters(), optimizer.stateDict())
  }

  /// Runs the worker on `ranks` ranks and returns each rank's results by optimizer name.
  func runWorker(ranks: Int, _ spec: [String: Any], folder: URL) throws -> [[String: [String: Any]]] {
    let specURL = folder.appendingPathComponent("spec.json")
    try JSONSerialization.data(withJSONObject: spec).write(to: specURL)
    let outcome = try MPIJob.run(
      ranks: ranks, ["worker", "train", "--spec", specURL.path, "--out", folder.path])
    try #require(outcome.status == 0, "mpirun failed: \(outcome.output)")
    return try MPIJob.rankFiles(folder, ranks: ranks).map { file in
      var byName: [String: [String: Any]] = [:]
      for result in file["results"] as? [[String: Any]] ?? [] {
        byName[result["optimizer"] as? String ?? ""] = result
      }
      return byName
    }
  }
}

/// A tensor from a worker's record (`shape`, `values` as round-trip strings, `dtype`).
func decodeTensor(_ object: Any?) throws -> Tensor {
  let record = try #require(object as? [String: Any])
  let shape = try #require(record["shape"] as? [Int])
  let values = try #require(record["values"] as? [String]).map { Double($0)! }
  let dtype = (record["dtype"] as? String).flatMap(DType.init(rawValue:)) ?? .float64
  return Tensor(values, shape: shape, dtype: dtype)
}

/// max |a − b| / max |b|: the error relative to the tensor's scale (elementwise relative
/// error is meaningless for entries near zero).
func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
  let x = a.to(dtype: .float64).contiguous().asArray(Double.self)
  let y = b.to(dtype: .float64).contiguous().asArray(Double.self)
  precondition(x.count == y.count, "relativeError: \(a.shape) vs \(b.shape)")
  let scale = y.map(abs).max() ?? 0
  let difference = zip(x, y).map { abs($0 - $1) }.max() ?? 0
  return scale == 0 ? difference : difference / scale
}
