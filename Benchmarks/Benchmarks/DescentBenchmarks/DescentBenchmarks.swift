import Benchmark
import Descent
import DescentNN
import DescentOptim

// Time and heap allocations of Descent's hot paths, for `swift package benchmark` to compare
// against a saved baseline (`--baseline`): optimizer steps, matmul, an MLP training step and
// elementwise kernels. `descent bench optimizers` and `descent bench matmul` measure the
// same things side by side with their baselines (streaming bandwidth, raw sgemm, PyTorch).
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
    warmupIterations: 3,
    maxDuration: .seconds(2),
    maxIterations: 1000
  )
  Threads.set(2)

  // The harness's own allocations per iteration: subtract them from the others' counts.
  Benchmark("noop (harness baseline)") { _ in }

  // MARK: Optimizer steps

  // Every optimizer in the registry, SGD with momentum 0.9 (its usual setting).
  let cases =
    OptimizerKind.allCases.flatMap { kind in [(kind, 1, 1_000_000), (kind, 2000, 1000)] }
    + [(OptimizerKind.adam, 1, 10_000_000)]
  for (optimizer, tensors, elements) in cases {
    let label = tensors == 1 ? "\(elements / 1_000_000)M" : "\(tensors)x\(elements)"
    Benchmark(
      "step \(optimizer.name) \(label)",
      closure: { benchmark in
        let optimizer = Cache.optimizer!.optimizer
        for _ in benchmark.scaledIterations { try optimizer.step() }
      },
      setup: { Cache.optimizer = try OptimizerSetup(optimizer, tensors: tensors, elements: elements) },
      teardown: { Cache.optimizer = nil })
  }

  // MARK: Matmul

  for n in [256, 512, 1024] {
    Benchmark("matmul \(n)x\(n)") { benchmark in
      let a = Tensor.randn([n, n], generator: Generator(seed: 1))
      let b = Tensor.randn([n, n], generator: Generator(seed: 2))
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations { blackHole(a.matmul(b)) }
      benchmark.stopMeasurement()
    }
  }

  // A fused step right after a BLAS call: with OpenBLAS's workers left spinning by the
  // product, this ran 1.4-1.6x slower than the step alone ("step Adam 10M" above).
  Benchmark(
    "step Adam 10M right after a 256x256 matmul",
    closure: { benchmark in
      // One step per run of the closure (the default scaling): the product is outside the
      // measured span, the step right after it inside.
      let optimizer = Cache.optimizer!.optimizer
      blackHole(Cache.product!.matmul(Cache.product!))
      benchmark.startMeasurement()
      try optimizer.step()
      benchmark.stopMeasurement()
    },
    setup: {
      Cache.optimizer = try OptimizerSetup("Adam", tensors: 1, elements: 10_000_000)
      Cache.product = Tensor.randn([256, 256], generator: Generator(seed: 7))
    },
    teardown: {
      Cache.optimizer = nil
      Cache.product = nil
    })

  // MARK: MLP training step

  // Heap allocations per step are part of the result: a tolerance of a few mallocs makes
  // `baseline check` flag a step that starts allocating more.
  let mlpConfiguration = Benchmark.Configuration(
    metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
    warmupIterations: 3, maxDuration: .seconds(2), maxIterations: 1000,
    thresholds: [.mallocCountTotal: .init(absolute: [.p50: 5, .p90: 5])])
  for threads in [2, 1] {
    Benchmark(
      "MLP 784-512-256-10 train step, batch 128, Adam, \(threads) thread\(threads == 1 ? "" : "s")",
      configuration: mlpConfiguration,
      closure: { benchmark in
        let mlp = Cache.mlp!
        for _ in benchmark.scaledIterations { try mlp.step() }
      },
      setup: {
        Threads.set(threads)
        Cache.mlp = try MLPSetup(batch: 128)
      },
      teardown: {
        Cache.mlp = nil
        Threads.set(2)
      })
  }

  // MARK: Elementwise kernels

  let x = Tensor.randn([1_000_000], generator: Generator(seed: 3))
  let y = Tensor.randn([1_000_000], generator: Generator(seed: 4))
  Benchmark("elementwise add 1M") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(x + y) }
  }
  Benchmark("elementwise mul 1M") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(x * y) }
  }
  Benchmark("elementwise exp 1M") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(x.exp()) }
  }
  Benchmark("elementwise relu 1M") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(x.relu()) }
  }
  Benchmark("in-place addInPlace alpha 1M") { benchmark in
    let z = y.clone()
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations { z.addInPlace(x, alpha: 1e-3) }
    benchmark.stopMeasurement()
  }
  Benchmark("sum 1M") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(x.sum()) }
  }
}

/// What a benchmark's setup builds and its iterations use (benchmarks run one at a time).
enum Cache {
  nonisolated(unsafe) static var optimizer: OptimizerSetup?
  nonisolated(unsafe) static var mlp: MLPSetup?
  nonisolated(unsafe) static var product: Tensor?
}

/// Parameters with gradients and an optimizer whose state already exists (two steps
/// taken), as in the steady state of a training loop.
struct OptimizerSetup {
  let params: [Tensor]
  let optimizer: Optimizer

  init(_ kind: OptimizerKind, tensors: Int, elements: Int) throws {
    let generator = Generator(seed: 0)
    params = (0..<tensors).map { _ in
      let p = Tensor.randn([elements], generator: generator).requiresGrad(true)
      p.grad = Tensor.randn([elements], generator: generator) * 1e-3
      return p
    }
    optimizer = try kind.make(params, kind == .sgd ? ["momentum": 0.9] : [:])
    try optimizer.step()
    try optimizer.step()
  }
}

/// The issue's MLP: 784-512-256-10 with ReLU, cross-entropy, Adam, float32.
struct MLPSetup {
  let model: Sequential
  let optimizer: Adam
  let criterion = CrossEntropyLoss()
  let x: Tensor
  let target: Tensor

  init(batch: Int) throws {
    manualSeed(0)
    model = Sequential([Linear(784, 512), ReLU(), Linear(512, 256), ReLU(), Linear(256, 10)])
    optimizer = try Adam(model.parameters(), lr: 1e-3)
    x = Tensor.randn([batch, 784], generator: Generator(seed: 5))
    target = Tensor.randint(0, 10, shape: [batch], generator: Generator(seed: 6))
    try step()
  }

  func step() throws {
    optimizer.zeroGrad()
    let loss = criterion(model(x), target)
    loss.backward()
    try optimizer.step()
  }
}
