import ArgumentParser
import Descent
import DescentData
import DescentDistributed
import DescentNN
import DescentOptim
import Foundation

/// Trains a small MLP data-parallel with every optimizer of the registry (or those named in
/// the spec), with or without ZeRO, on the data and initial parameters that the test wrote,
/// and writes each rank's final parameters, losses and state size, and on rank 0 the
/// (consolidated) optimizer state dict. The test repeats the training in one process with
/// the global batch and compares.
///
/// Spec: `dtype`, `sizes` [in, hidden, out], `params` (tensor records in
/// `model.parameters()` order), `x`, `y`, `batch` (global), `firstStep`, `steps`, `zero`,
/// optional `options` (hyperparameters for every optimizer), `bucketCapMB`, `accumulate`
/// (each rank's batch in two halves, the first backward under `noSync`), `resume` (an
/// earlier run's rank0.json to continue from: its parameters and state dict).
struct TrainingWorker: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "train")

  @Option var spec: String
  @Option var out: String

  func run() throws {
    try runRanked { group in
      let spec = try WorkerJSON.read(self.spec)
      guard let dtypeName = spec["dtype"] as? String, let dtype = DType(rawValue: dtypeName),
        let sizes = spec["sizes"] as? [Int], let initial = spec["params"] as? [Any],
        let xRecord = spec["x"], let yRecord = spec["y"], let batch = spec["batch"] as? Int,
        let firstStep = spec["firstStep"] as? Int, let steps = spec["steps"] as? Int,
        let zero = spec["zero"] as? Bool
      else { throw WorkerError("malformed spec \(self.spec)") }
      let x = try WorkerJSON.tensor(xRecord, dtype: dtype)
      let y = try WorkerJSON.tensor(yRecord, dtype: dtype)
      let options = try (spec["options"] as? [String: Any] ?? [:]).mapValues { try WorkerJSON.hyper($0) }
      let bucketCapMB = spec["bucketCapMB"] as? Double ?? 25
      let accumulate = spec["accumulate"] as? Bool ?? false
      let names = spec["optimizers"] as? [String]
      let kinds =
        try names?.map { name -> OptimizerKind in
          guard let kind = OptimizerKind(name: name) else { throw WorkerError("unknown optimizer \(name)") }
          return kind
        } ?? OptimizerKind.allCases
      var resumed: [String: [String: Any]] = [:]
      if let resume = spec["resume"] as? String {
        for result in try WorkerJSON.read(resume)["results"] as? [[String: Any]] ?? [] {
          resumed[result["optimizer"] as? String ?? ""] = result
        }
      }
      guard batch % group.worldSize == 0 else {
        throw WorkerError("global batch \(batch) does not split over \(group.worldSize) ranks")
      }
      let dataset = try TensorDataset(x, y)
      let sampler = try DistributedSampler(count: dataset.count, group: group, shuffle: false)
      let loader = try DataLoader(dataset, batchSize: batch / group.worldSize, sampler: sampler)

      var results: [[String: Any]] = []
      for kind in kinds {
        let module = Sequential([
          Linear(sizes[0], sizes[1], dtype: dtype), Tanh(), Linear(sizes[1], sizes[2], dtype: dtype),
        ])
        let previous = resumed[kind.name]
        let start = try (previous?["params"] as? [Any] ?? initial).map {
          try WorkerJSON.tensor($0, dtype: dtype)
        }
        withNoGrad {
          for (param, value) in zip(module.parameters(), start) {
            param.copyInPlace(from: value)
            // Only rank 0's values may survive: the wrapper broadcasts them.
            if group.rank > 0 { param.addInPlace(Double(group.rank)) }
          }
        }
        let model = try DistributedDataParallel(module, group: group, bucketCapMB: bucketCapMB)
        let params = model.parameters()
        let zeroOptimizer =
          zero ? try ZeroRedundancyOptimizer(params, kind: kind, options: options, group: group) : nil
        let plain = zero ? nil : try kind.make(params, options)
        if let saved = previous?["stateDict"] {
          let dict = try WorkerJSON.stateDict(saved, dtype: dtype)
          if let zeroOptimizer {
            try zeroOptimizer.loadStateDict(dict)
          } else {
            try plain!.loadStateDict(dict)
          }
        }
        let criterion = MSELoss()
        var losses: [String] = []
        for (step, (xb, yb)) in loader.enumerated() where step >= firstStep && step < firstStep + steps {
          zeroOptimizer?.zeroGrad()
          plain?.zeroGrad()
          if accumulate {
            let half = xb.shape[0] / 2
            model.noSync {
              let loss =
                criterion(
                  model(xb.narrow(dim: 0, start: 0, length: half)), yb.narrow(dim: 0, start: 0, length: half))
                * 0.5
              loss.backward()
            }
            let rest = xb.shape[0] - half
            let loss =
              criterion(
                model(xb.narrow(dim: 0, start: half, length: rest)),
                yb.narrow(dim: 0, start: half, length: rest)) * 0.5
            loss.backward()
            losses.append("\(loss.item())")
          } else {
            let loss = criterion(model(xb), yb)
            loss.backward()
            losses.append("\(loss.item())")
          }
          if let zeroOptimizer { try zeroOptimizer.step() } else { try plain!.step() }
        }
        var result: [String: Any] = [
          "optimizer": kind.name, "params": params.map { WorkerJSON.record($0) }, "losses": losses,
        ]
        if let zeroOptimizer {
          result["stateBytes"] = zeroOptimizer.localStateByteCount
          try zeroOptimizer.consolidateStateDict(to: 0)
          if group.rank == 0 { result["stateDict"] = WorkerJSON.stateDict(try zeroOptimizer.stateDict()) }
        } else if group.rank == 0 {
          result["stateDict"] = WorkerJSON.stateDict(plain!.stateDict())
        }
        results.append(result)
      }
      try WorkerJSON.write(
        ["rank": group.rank, "worldSize": group.worldSize, "results": results],
        to: "\(out)/rank\(group.rank).json")
    }
  }
}
