import Descent

/// Every optimizer in DescentOptim, by PyTorch's class name: what the command line, the
/// benchmarks and the tests list and build optimizers from.
///
/// ```swift
/// let kind = OptimizerKind(name: "adamw")!                 // case-insensitive
/// let optimizer = try kind.make(params, ["lr": 3e-3, "betas": [0.9, 0.99]])
/// ```
public enum OptimizerKind: String, CaseIterable, Sendable {
  case sgd = "SGD"
  case rmsprop = "RMSprop"
  case adam = "Adam"
  case adamw = "AdamW"
  case adagrad = "Adagrad"
  case adadelta = "Adadelta"
  case adamax = "Adamax"
  case nadam = "NAdam"
  case radam = "RAdam"
  case asgd = "ASGD"
  case rprop = "Rprop"
  case adafactor = "Adafactor"

  /// Builds the optimizer with its Swift defaults (which are PyTorch's); the only place
  /// that names each optimizer's initialiser.
  private func makeWithDefaults(
    _ params: [Tensor], implementation: OptimizerImplementation
  ) throws -> Optimizer {
    switch self {
    case .sgd: try SGD(params, implementation: implementation)
    case .rmsprop: try RMSprop(params, implementation: implementation)
    case .adam: try Adam(params, implementation: implementation)
    case .adamw: try AdamW(params, implementation: implementation)
    case .adagrad: try Adagrad(params, implementation: implementation)
    case .adadelta: try Adadelta(params, implementation: implementation)
    case .adamax: try Adamax(params, implementation: implementation)
    case .nadam: try NAdam(params, implementation: implementation)
    case .radam: try RAdam(params, implementation: implementation)
    case .asgd: try ASGD(params, implementation: implementation)
    case .rprop: try Rprop(params, implementation: implementation)
    case .adafactor: try Adafactor(params, implementation: implementation)
    }
  }

  /// PyTorch's class name (`"RMSprop"`).
  public var name: String { rawValue }

  /// The kind named `name`, ignoring case (`"adam"`, `"AdamW"`, `"sgd"`), or `nil`.
  public init?(name: String) {
    guard let kind = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() })
    else { return nil }
    self = kind
  }

  /// Builds the optimizer over `params` with `options` under PyTorch's names (`lr`,
  /// `momentum`, `betas`, `weight_decay`, ...); options it does not set keep the
  /// optimizer's defaults.
  ///
  /// - Throws: ``OptimizerError``: for an option the optimizer does not have (naming the
  ///   ones it has), a value of the wrong kind, or PyTorch's message for an invalid value.
  public func make(
    _ params: [Tensor], _ options: [String: HyperValue] = [:],
    implementation: OptimizerImplementation = .default
  ) throws -> Optimizer {
    var options = options
    let optimizer: Optimizer
    if (self == .adam || self == .adamw),
      let state = options.removeValue(forKey: "state_dtype")?.string
    {
      // Adam's `stateDType:` (not a PyTorch option): only in groups that use it.
      guard let dtype = DType(rawValue: state) else {
        throw OptimizerError("Invalid state_dtype: \(state) (expected bfloat16 or float16)")
      }
      let rounding =
        options.removeValue(forKey: "state_rounding_seed")?.string.flatMap(UInt64.init)
        .map { StateRounding.stochastic(seed: $0) } ?? .nearest
      optimizer =
        self == .adam
        ? try Adam(params, stateDType: dtype, stateRounding: rounding, implementation: implementation)
        : try AdamW(params, stateDType: dtype, stateRounding: rounding, implementation: implementation)
    } else {
      optimizer = try makeWithDefaults(params, implementation: implementation)
    }
    if !options.isEmpty { try optimizer.overrideDefaults(options) }
    return optimizer
  }

  /// The optimizer's hyperparameters and their defaults, under PyTorch's names.
  public var defaults: [String: HyperValue] {
    // A throwaway optimizer over one scalar: the defaults live in the initialisers only.
    let probe = Tensor.zeros([1], requiresGrad: true)
    return (try? makeWithDefaults([probe], implementation: .default).defaults) ?? [:]
  }
}
