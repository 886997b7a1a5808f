import ArgumentParser
import Descent
import DescentNN
import Foundation

/// `descent bench layers`: milliseconds of one training-mode forward and backward of LayerNorm,
/// BatchNorm1d and Embedding in float32, bfloat16 and float16, against PyTorch in the same run.
struct BenchLayers: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "layers",
    abstract:
      "Forward + backward of LayerNorm, BatchNorm1d and Embedding per dtype against PyTorch, in one run.",
    discussion: """
      Each call is `y = layer(x); y.sum().backward()` with a fresh graph: LayerNorm and \
      BatchNorm1d (training mode) on a rows × features input, Embedding(vocab, width) looked \
      up `lookups` times. Each round times --calls Descent calls and, with --compare-torch, as \
      many PyTorch calls, alternating which side goes first, with a pause before each side \
      that ends when no thread of either process is runnable; medians over all calls are \
      reported. The ratio is Descent's \
      time over PyTorch's (below 1: Descent is faster).
      """
  )

  @Option(parsing: .upToNextOption, help: "Layers to time: layernorm, batchnorm, embedding.")
  var layers: [String] = ["layernorm", "batchnorm", "embedding"]

  @Option(parsing: .upToNextOption, help: "Element types: float32, bfloat16, float16.")
  var dtypes: [String] = ["float32", "bfloat16", "float16"]

  @Option(help: "Rows of the LayerNorm and BatchNorm1d input.")
  var rows: Int = 512

  @Option(help: "Features of the LayerNorm and BatchNorm1d input.")
  var features: Int = 1024

  @Option(help: "Embedding rows.")
  var vocab: Int = 10000

  @Option(help: "Embedding width.")
  var width: Int = 256

  @Option(help: "Embedding lookups per call.")
  var lookups: Int = 4096

  @Option(help: "Timed rounds per case.")
  var repeats: Int = 15

  @Option(
    help: """
      Calls per round, back to back, each timed: the first meets threads that slept through the \
      pause, the others run as in a training loop. Medians are over all calls.
      """)
  var calls: Int = 5

  @Option(help: "Threads for Descent and PyTorch (default: all cores).")
  var threads: Int?

  @Option(help: "Milliseconds to sleep before each timed call.")
  var settleMs: Int = 20

  @Flag(
    inversion: .prefixedNo,
    help: "After the sleep, wait until no other thread of this process or PyTorch's is runnable.")
  var quietWait = true

  @OptionGroup var torchOptions: TorchComparisonOptions

  func validate() throws {
    let known = Set(["layernorm", "batchnorm", "embedding"])
    if let bad = layers.first(where: { !known.contains($0) }) {
      throw ValidationError("unknown layer \(bad); choose from layernorm, batchnorm, embedding")
    }
    let floating = Set(["float32", "bfloat16", "float16"])
    if let bad = dtypes.first(where: { !floating.contains($0) }) {
      throw ValidationError("unknown dtype \(bad); choose from float32, bfloat16, float16")
    }
    for (name, value) in [
      ("--rows", rows), ("--features", features), ("--vocab", vocab), ("--width", width),
      ("--lookups", lookups),
      ("--repeats", repeats), ("--calls", calls),
    ] where value < 1 {
      throw ValidationError("\(name) must be positive, got \(value)")
    }
    if rows < 2 && layers.contains("batchnorm") {
      throw ValidationError("--rows must be at least 2 for batchnorm, got \(rows)")
    }
  }

  func run() throws {
    if let threads { Threads.set(threads) }
    let comparison = CallComparison(torchOptions, settleMs: settleMs, quietWait: quietWait, detail: "")
    print(
      "layer".padding(11) + "dtype".padding(10) + "shape".padding(20) + "Descent ms".padding(13)
        + "PyTorch ms".padding(13) + "Descent ÷ PyTorch")
    for layer in layers {
      for name in dtypes {
        let (call, shape) = makeCall(layer, dtype: DType(rawValue: name)!)
        call()
        let prepared = try comparison.setUp([
          "op": "layer_setup", "layer": layer, "dtype": name, "rows": rows, "features": features,
          "vocab": vocab, "width": width, "lookups": lookups, "warmup": 2,
        ])
        let times = try comparison.medians(
          rounds: repeats, calls: calls, torchImpl: prepared ? layer : nil, call)
        comparison.printRow(layer.padding(11) + name.padding(10) + shape.padding(20), times)
      }
    }
    comparison.finish()
  }

  /// One Descent forward and backward of `layer` in `dtype`, and its shape for the table.
  private func makeCall(_ layer: String, dtype: DType) -> (() -> Void, String) {
    let g = Generator(seed: 0)
    if layer == "embedding" {
      let module = Embedding(vocab, width, dtype: dtype)
      let indices = Tensor.randint(0, vocab, shape: [lookups], generator: g)
      return ({ module(indices).sum().backward() }, "\(lookups) of \(vocab)×\(width)")
    }
    let module: Module =
      layer == "layernorm" ? LayerNorm(features, dtype: dtype) : BatchNorm1d(features, dtype: dtype)
    let x = Tensor.randn([rows, features], generator: g).to(dtype: dtype).requiresGrad(true)
    return ({ module(x).sum().backward() }, "\(rows)×\(features)")
  }
}
