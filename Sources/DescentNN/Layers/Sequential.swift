import Descent

/// Modules applied in order, each to the previous one's output (`torch.nn.Sequential`).
///
/// Children are named `"0"`, `"1"`, … so parameters get PyTorch's names (`"0.weight"`), or
/// by the names given to ``init(named:)``.
///
/// ```swift
/// let model = Sequential(Linear(4, 8), ReLU(), Linear(8, 1))
/// let pred = model(x)
/// ```
public final class Sequential: Module {
  private var layers: [Module] = []

  /// The given modules in order.
  public init(_ modules: [Module]) {
    super.init()
    for module in modules { append(module) }
  }

  /// The given modules in order.
  public convenience init(_ modules: Module...) { self.init(modules) }

  /// Modules under explicit names, in order (the `OrderedDict` form).
  public init(named modules: [(String, Module)]) {
    super.init()
    for (name, module) in modules {
      registerModule(name, module)
      layers.append(module)
    }
  }

  /// Adds a module at the end under the next index name (`append`).
  @discardableResult
  public func append(_ module: Module) -> Sequential {
    registerModule(String(layers.count), module)
    layers.append(module)
    return self
  }

  /// Number of modules (`len`).
  public var count: Int { layers.count }

  /// The module at `index`; negative indices count from the end.
  public subscript(index: Int) -> Module {
    require(index >= -count && index < count, "index \(index) is out of range")
    return layers[index < 0 ? index + count : index]
  }

  /// Feeds `input` through every module in order.
  public override func forward(_ input: Tensor) -> Tensor {
    layers.reduce(input) { x, layer in layer(x) }
  }
}
