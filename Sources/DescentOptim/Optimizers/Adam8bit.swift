import CDescentKernels
import Descent
import Foundation

/// Adam with 8-bit state (bitsandbytes' `bnb.optim.Adam8bit`, as its CPU backend computes
/// it in 0.50.2): the two moments are kept as one byte per element plus one float32 scale
/// per block of 256 elements, a quarter of Adam's state memory, and a step moves 16 bytes
/// per element instead of 28.
///
/// For each parameter with a gradient `g`, at step `t` (counted per parameter), in float32:
///
/// ```
/// m ← dequantize(state1, absmax1, signed map)     (codeᵢ · absmax of its block)
/// v ← dequantize(state2, absmax2, unsigned map)
/// m ← β₁ · m + (1 - β₁) · g
/// v ← β₂ · v + (1 - β₂) · g²
/// θ ← θ · (1 - lr · weight_decay)                 if weight_decay > 0 (decoupled)
/// θ ← θ - lr / (1 - β₁ᵗ) · m / (sqrt(v) / sqrt(1 - β₂ᵗ) + eps)
/// state1, absmax1 ← quantize(m, signed map);  state2, absmax2 ← quantize(v, unsigned map)
/// ```
///
/// **Block-wise dynamic quantization.** A parameter's elements are cut into blocks of 256
/// (the last one shorter); each block keeps its largest magnitude (`absmax`, float32) and,
/// per element, the index of a value of bitsandbytes' dynamic map (``DynamicMap``): the
/// signed map for `m`, the unsigned one for `v`. Quantizing divides by the block's absmax
/// (as a multiplication by `1/absmax`) and picks the code from a 65,536-entry table over
/// [-1, 1], as bitsandbytes' CPU quantizer does; a block whose absmax is 0 gets code 0.
///
/// **Small parameters stay 32-bit.** A parameter with fewer than `minEightBitSize` elements
/// (default 4096, bitsandbytes' `min_8bit_size`) keeps float32 moments and takes
/// bitsandbytes' 32-bit step: `θ ← θ + (-lr·sqrt(1 - β₂ᵗ)/(1 - β₁ᵗ)) · m / (sqrt(v) +
/// eps·sqrt(1 - β₂ᵗ))`, after the same decoupled decay.
///
/// State (``Adam8bitState``) under bitsandbytes' keys: `step`, `state1`, `state2` (uint8
/// codes, or float32 moments for a 32-bit parameter) and, when 8-bit, `absmax1`, `absmax2`
/// (float32, one per block) and `qmap1`, `qmap2` (the two maps). The rule is
/// ``Adam8bitRule``.
///
/// Departures from bitsandbytes, all documented:
/// - weight decay is decoupled, as bitsandbytes' "adam" kernels apply it (for `Adam8bit`
///   too, unlike `torch.optim.Adam`'s L2 term); `amsgrad`, `maximize`, paging, `optim_bits`,
///   `args` and AdEMAMix's `alpha`/`t_alpha`/`t_beta3` do not exist here;
/// - `min_8bit_size` is a hyperparameter of each group (bitsandbytes keeps it in the
///   optimizer's `args`), so a state dict's groups carry it;
/// - `step` is a float32 scalar, as in Descent's other optimizers (bitsandbytes keeps a
///   Python int), and the state dict lists the quantization tensors directly, not under
///   bitsandbytes' `__bnb_optimizer_quant_state__` wrapper (which its `load_state_dict`
///   unwraps);
/// - parameters must be float32 (bitsandbytes also takes float16 and bfloat16);
/// - square roots are IEEE (torch 2.13's CPU `sqrt`, which bitsandbytes calls, is one ulp
///   off for some inputs on some CPUs; the tests hold this to bitsandbytes run with a
///   correctly rounded `sqrt`, bit for bit, and to bitsandbytes as it is within a
///   tolerance).
public class Adam8bit: RuleOptimizer<Adam8bitRule> {
  /// Creates 8-bit Adam over `params`.
  ///
  /// - Parameters:
  ///   - lr: learning rate (default 1e-3). Must be ≥ 0.
  ///   - betas: coefficients of the running averages of the gradient and its square
  ///     (default (0.9, 0.999)). Each must be in [0, 1).
  ///   - eps: added to the denominator (default 1e-8). Must be ≥ 0.
  ///   - weightDecay: decoupled weight decay, `θ ← θ·(1 - lr·weight_decay)` (default 0).
  ///     Must be ≥ 0.
  ///   - minEightBitSize: parameters with fewer elements keep float32 state (default 4096,
  ///     bitsandbytes' `min_8bit_size`). Must be a whole number ≥ 0.
  ///   - implementation: ``OptimizerImplementation/fused`` (the default) runs the C kernel
  ///     over whole blocks on ``Descent/Threads/count`` threads; ``OptimizerImplementation/reference``
  ///     and ``OptimizerImplementation/blas`` run the readable Swift rule (there is no BLAS
  ///     form).
  /// - Throws: ``OptimizerError`` with bitsandbytes' message for an invalid value, for a
  ///   parameter that is not float32, or an invalid parameter list.
  public init(
    _ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 0, minEightBitSize: Int = 4096,
    implementation: OptimizerImplementation = .default
  ) throws {
    try super.init(
      params,
      defaults: [
        "lr": .number(lr), "betas": .numbers([betas.0, betas.1]), "eps": .number(eps),
        "weight_decay": .number(weightDecay), "min_8bit_size": .number(Double(minEightBitSize)),
      ], implementation: implementation)
  }

  override func performStep() throws { try performRuleStep() }
}

/// One parameter's 8-bit Adam state, under bitsandbytes' keys.
public struct Adam8bitState: OptimizerState {
  /// Steps taken (`step`).
  public var step: Float
  /// The first moment (`state1`): uint8 codes of the signed map, or float32 values for a
  /// parameter kept in 32 bits. Shaped like the parameter.
  public var state1: Tensor
  /// The second moment (`state2`): uint8 codes of the unsigned map, or float32 values.
  public var state2: Tensor
  /// The first moment's scale per block of 256 elements (`absmax1`); `nil` when 32-bit.
  public var absmax1: Tensor?
  /// The second moment's scale per block (`absmax2`); `nil` when 32-bit.
  public var absmax2: Tensor?

  /// Whether the moments are 8-bit codes.
  public var isQuantized: Bool { absmax1 != nil }

  public var stateDict: [String: Tensor] {
    var dict = [
      "step": Tensor(scalar: Double(step), dtype: .float32), "state1": state1, "state2": state2,
    ]
    if let absmax1, let absmax2 {
      dict["absmax1"] = absmax1
      dict["absmax2"] = absmax2
      dict["qmap1"] = Tensor(DynamicMap.signed)
      dict["qmap2"] = Tensor(DynamicMap.unsigned)
    }
    return dict
  }

  /// The moments as float32 tensors shaped like the parameter (dequantized when 8-bit):
  /// what the next step starts from.
  public func moments() -> (expAvg: Tensor, expAvgSq: Tensor) {
    guard let absmax1, let absmax2 else { return (state1.clone(), state2.clone()) }
    return (
      Adam8bitRule.dequantize(state1, absmax1, DynamicMap.signed),
      Adam8bitRule.dequantize(state2, absmax2, DynamicMap.unsigned)
    )
  }
}

/// 8-bit Adam's update rule (bitsandbytes' `Optimizer2State` with "adam" on the CPU).
public struct Adam8bitRule: OptimizerRule {
  public static let name = "Adam8bit"
  /// Elements per quantization block.
  public static let blockSize = 256

  let lr: Double
  let beta1: Double
  let beta2: Double
  let eps: Double
  let weightDecay: Double
  let minEightBitSize: Double
  /// The first parameter of the group that is not float32, for `validate()`.
  let unsupported: (index: Int, dtype: DType)?

  public init(_ group: ParamGroup) {
    lr = group.lr
    (beta1, beta2) = group.betas
    eps = group.number("eps")
    weightDecay = group.weightDecay
    minEightBitSize = group.number("min_8bit_size")
    unsupported = group.params.enumerated().first { $0.element.dtype != .float32 }
      .map { ($0.offset, $0.element.dtype) }
  }

  // bitsandbytes' `Optimizer2State` checks, in its order and words (they are Adam's).
  public func validate() throws {
    try HyperparameterChecks.learningRate(lr)
    try HyperparameterChecks.epsilon(eps)
    try HyperparameterChecks.betas(beta1, beta2)
    try HyperparameterChecks.weightDecay(weightDecay)
    if !(0 <= minEightBitSize && minEightBitSize.rounded() == minEightBitSize) {
      throw OptimizerError("Invalid min_8bit_size value: \(minEightBitSize)")
    }
    if let unsupported {
      throw OptimizerError(
        "Adam8bit keeps float32 parameters only; parameter \(unsupported.index) of the group is \(unsupported.dtype)"
      )
    }
  }

  /// Blocks of 256 elements in `count` elements (the last one may be shorter).
  public static func blockCount(_ count: Int) -> Int { (count + blockSize - 1) / blockSize }

  public func makeState(for param: Tensor) -> Adam8bitState {
    if Double(param.count) < minEightBitSize {
      return Adam8bitState(
        step: 0, state1: Tensor.zerosLike(param), state2: Tensor.zerosLike(param))
    }
    let blocks = Self.blockCount(param.count)
    return Adam8bitState(
      step: 0, state1: Tensor.zeros(param.shape, dtype: .uint8),
      state2: Tensor.zeros(param.shape, dtype: .uint8),
      absmax1: Tensor.zeros([blocks]), absmax2: Tensor.zeros([blocks]))
  }

  /// Reads either form, as bitsandbytes' step follows the loaded `state1`'s dtype: uint8
  /// codes with `absmax1`/`absmax2` (one per block) and the two maps, or float32 moments.
  public func decodeState(_ decoder: inout StateDecoder) throws -> Adam8bitState {
    let index = decoder.index
    let param = decoder.param
    let name = decoder.optimizerName
    let step = try decoder.scalar("step")
    guard let first = decoder.storedTensor("state1") else {
      throw OptimizerError(decoder.missingKeyMessage("state1"))
    }
    guard first.dtype == .uint8 else {
      return Adam8bitState(
        step: step, state1: try decoder.tensor("state1"), state2: try decoder.tensor("state2"))
    }
    func stored(_ key: String, dtype: DType, shape: [Int]) throws -> Tensor {
      guard let value = decoder.storedTensor(key) else {
        throw OptimizerError(decoder.missingKeyMessage(key))
      }
      guard value.dtype == dtype, value.shape == shape else {
        throw OptimizerError(
          "state '\(key)' of parameter \(index) is a \(value.dtype) tensor of shape \(value.shape), but \(name) keeps it as \(dtype) of shape \(shape) for a parameter of shape \(param.shape)"
        )
      }
      return withNoGrad { value.detach().clone() }
    }
    let blocks = Self.blockCount(param.count)
    let state = Adam8bitState(
      step: step, state1: try stored("state1", dtype: .uint8, shape: param.shape),
      state2: try stored("state2", dtype: .uint8, shape: param.shape),
      absmax1: try stored("absmax1", dtype: .float32, shape: [blocks]),
      absmax2: try stored("absmax2", dtype: .float32, shape: [blocks]))
    for (key, map, kind) in [
      ("qmap1", DynamicMap.signed, "signed"), ("qmap2", DynamicMap.unsigned, "unsigned"),
    ] {
      let loaded = try stored(key, dtype: .float32, shape: [256])
      guard loaded.asArray(Float.self).map(\.bitPattern) == map.map(\.bitPattern) else {
        throw OptimizerError(
          "state '\(key)' of parameter \(index) is not bitsandbytes' \(kind) dynamic map, the only one \(name) quantizes with"
        )
      }
    }
    return state
  }

  /// The scalars of one step, in Double as Python computes them.
  public struct StepScalars {
    /// 8-bit: `-lr / (1 - β₁ᵗ)`
    var negStepSize = 0.0
    /// 8-bit: `sqrt(1 - β₂ᵗ)`
    var biasCorrection2Sqrt = 1.0
    /// 32-bit: `-lr · sqrt(1 - β₂ᵗ) / (1 - β₁ᵗ)`
    var stepSize = 0.0
    /// 32-bit: `eps · sqrt(1 - β₂ᵗ)`
    var epsCorrection = 0.0
  }
  private var lastStep: Float = -1
  private var lastScalars = StepScalars()

  public mutating func beginStep(_ state: inout Adam8bitState, for param: Tensor) -> StepScalars {
    state.step += 1
    if state.step != lastStep {
      lastStep = state.step
      let t = Double(state.step)
      let correction1 = 1 - pow(beta1, t)
      let correction2 = (1 - pow(beta2, t)).squareRoot()
      lastScalars = StepScalars(
        negStepSize: -lr / correction1, biasCorrection2Sqrt: correction2,
        stepSize: -lr * correction2 / correction1, epsCorrection: eps * correction2)
    }
    return lastScalars
  }

  private var decay: Bool { weightDecay > 0 }

  /// The update, block by block, as bitsandbytes' CPU backend computes it: torch's float32
  /// ops with their roundings (`add_` with alpha and `addcmul_` round once, as fmas), and
  /// libbitsandbytes_cpu's quantizer.
  public func reference<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: Adam8bitState, scalars: StepScalars
  ) {
    let p = BLASVector<Float>(param)
    let g = BLASVector<Float>(grad)
    let b1 = Float(beta1)
    let omb1 = Float(1 - beta1)
    let b2 = Float(beta2)
    let omb2 = Float(1 - beta2)
    let shrink = Float(1 - lr * weightDecay)
    guard let absmax1 = state.absmax1, let absmax2 = state.absmax2 else {
      let m = BLASVector<Float>(state.state1)
      let v = BLASVector<Float>(state.state2)
      let step = Float(scalars.stepSize)
      let epsCorrection = Float(scalars.epsCorrection)
      for i in 0..<p.count {
        m[i] = (m[i] * b1).addingProduct(g[i], omb1)  // state1.mul_(β₁).add_(g, alpha=1-β₁)
        v[i] = (v[i] * b2).addingProduct(omb2 * g[i], g[i])  // .mul_(β₂).addcmul_(g, g, value=1-β₂)
        let theta = decay ? p[i] * shrink : p[i]  // p.mul_(1 - lr·wd)
        let update = m[i] / (v[i].squareRoot() + epsCorrection)
        p[i] = theta.addingProduct(update, step)  // p.add_(update, alpha=step_size)
      }
      return
    }
    let codes1 = state.state1.kernelAddress().assumingMemoryBound(to: UInt8.self)
    let codes2 = state.state2.kernelAddress().assumingMemoryBound(to: UInt8.self)
    let scales1 = BLASVector<Float>(absmax1)
    let scales2 = BLASVector<Float>(absmax2)
    let negStepSize = Float(scalars.negStepSize)
    let correction2 = Float(scalars.biasCorrection2Sqrt)
    let e = Float(eps)
    var m = [Float](repeating: 0, count: Self.blockSize)
    var v = [Float](repeating: 0, count: Self.blockSize)
    for block in 0..<Self.blockCount(p.count) {
      let start = block * Self.blockSize
      let count = min(Self.blockSize, p.count - start)
      for j in 0..<count {
        let i = start + j
        let mj = DynamicMap.signed[Int(codes1[i])] * scales1[block]
        let vj = DynamicMap.unsigned[Int(codes2[i])] * scales2[block]
        m[j] = (mj * b1).addingProduct(g[i], omb1)
        v[j] = (vj * b2).addingProduct(omb2 * g[i], g[i])
        let denom = v[j].squareRoot() / correction2 + e  // (v.sqrt() / c2).add_(eps)
        let theta = decay ? p[i] * shrink : p[i]
        p[i] = theta + negStepSize * m[j] / denom  // p.addcdiv_(m, denom, value=-lr/c1)
      }
      scales1[block] = Self.quantize(m, count, into: codes1 + start, table: DynamicMap.signedTable)
      scales2[block] = Self.quantize(v, count, into: codes2 + start, table: DynamicMap.unsignedTable)
    }
  }

  /// Writes the codes of `values[0..<count]` and returns their block's absmax.
  private static func quantize(
    _ values: [Float], _ count: Int, into codes: UnsafeMutablePointer<UInt8>,
    table: UnsafePointer<UInt8>
  ) -> Float {
    var absmax: Float = 0
    for j in 0..<count where abs(values[j]) > absmax { absmax = abs(values[j]) }
    for j in 0..<count {
      codes[j] = DynamicMap.code(of: values[j], absmax: absmax, table: table)
    }
    return absmax
  }

  /// Float32 values of `codes` (shaped like a parameter) with one `absmax` per block.
  static func dequantize(_ codes: Tensor, _ absmax: Tensor, _ map: [Float]) -> Tensor {
    let c = codes.contiguous().asArray(UInt8.self)
    let scales = absmax.asArray(Float.self)
    let values = c.indices.map { map[Int(c[$0])] * scales[$0 / blockSize] }
    return Tensor(values, shape: codes.shape)
  }

  /// There is no BLAS form: it runs the reference.
  public func blas<T: TensorScalar>(
    _: T.Type, param: Tensor, grad: Tensor, state: Adam8bitState, scalars: StepScalars
  ) {
    reference(T.self, param: param, grad: grad, state: state, scalars: scalars)
  }

  /// One kernel for both tables: the rule refuses float64 parameters, so the float64 table
  /// stays empty.
  public static let fusedKernels: FusedKernels? = FusedKernels(
    float32: descent_adam8bit_f32, float64: descent_adam8bit_f32)

  public var fusedConfig: descent_adam8bit_config {
    descent_adam8bit_config(
      beta1: beta1, one_minus_beta1: 1 - beta1, beta2: beta2, one_minus_beta2: 1 - beta2,
      eps: eps, shrink: 1 - lr * weightDecay, decay: decay ? 1 : 0, reserved: 0,
      qmap1: DynamicMap.signedPointer, qmap2: DynamicMap.unsignedPointer,
      lut1: DynamicMap.signedTable, lut2: DynamicMap.unsignedTable)
  }

  /// Granules of 16 elements that `param` occupies in the kernel's concatenation: 16 per
  /// block, so that threads split the group on whole blocks.
  public static func granules(_ param: Tensor) -> Int {
    blockCount(param.count) * Int(DESCENT_ADAM8BIT_GRANULES_PER_BLOCK)
  }

  public func fusedLength(of param: Tensor) -> Int { Self.granules(param) }

  public func fusedEntry(
    param: Tensor, grad: Tensor, state: Adam8bitState, scalars: StepScalars, start: Int64
  ) -> descent_adam8bit_tensor {
    descent_adam8bit_tensor(
      param: param.kernelAddress().assumingMemoryBound(to: Float.self),
      grad: UnsafePointer(grad.kernelAddress().assumingMemoryBound(to: Float.self)),
      state1: state.state1.kernelAddress(), state2: state.state2.kernelAddress(),
      absmax1: state.absmax1?.kernelAddress().assumingMemoryBound(to: Float.self),
      absmax2: state.absmax2?.kernelAddress().assumingMemoryBound(to: Float.self),
      start: start, count: Int64(Self.granules(param)), elements: Int64(param.count),
      neg_step_size: scalars.negStepSize, bias_correction2_sqrt: scalars.biasCorrection2Sqrt,
      step_size: scalars.stepSize, eps_correction: scalars.epsCorrection)
  }
}
