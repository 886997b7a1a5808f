import Descent
import DescentOptim
import Foundation
import Testing

/// The fused path runs vectorised C kernels (one copy per instruction set) over a whole
/// parameter group at once, split across threads at arbitrary element boundaries. These
/// tests hold it to a scalar reference written here in PyTorch's operation order: the
/// results must be bitwise equal, for every flag combination, both dtypes, sizes that
/// leave vector tails, groups of many tensors and groups that mix dtypes.
@Suite("Fused kernels")
struct FusedKernelTests {
  /// Tensor sizes of one group: tails of every length around the vector widths (8 and 16
  /// lanes), and one tensor large enough to be split across threads mid-tensor.
  static let sizes = [1, 7, 8, 9, 15, 16, 17, 33, 1000, 2 * Threads.grainSize + 37]

  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let options: [String: HyperValue]
    var testDescription: String { name }
  }

  static let adamCases: [Case] = [
    Case(name: "defaults", options: [:]),
    Case(name: "amsgrad", options: ["amsgrad": true]),
    Case(name: "coupled decay, maximize", options: ["weight_decay": 0.1, "maximize": true]),
    Case(
      name: "decoupled decay, amsgrad",
      options: ["weight_decay": 0.1, "decoupled_weight_decay": true, "amsgrad": true]),
    // 1 - β₁ ≥ 0.5 takes lerp's other formula.
    Case(name: "beta1 0.3, coupled decay", options: ["betas": [0.3, 0.9], "weight_decay": 0.01]),
  ]

  static let rmspropCases: [Case] = [
    Case(name: "defaults", options: [:]),
    Case(name: "momentum", options: ["momentum": 0.9]),
    Case(name: "centered", options: ["centered": true]),
    Case(
      name: "centered, momentum, decay, maximize",
      options: ["centered": true, "momentum": 0.5, "weight_decay": 0.1, "maximize": true]),
    Case(name: "alpha 0.3, centered", options: ["alpha": 0.3, "centered": true]),
  ]

  static let sgdCases: [Case] = [
    Case(name: "plain", options: ["lr": 0.1]),
    Case(name: "momentum", options: ["lr": 0.1, "momentum": 0.9]),
    Case(
      name: "nesterov, decay", options: ["lr": 0.1, "momentum": 0.9, "nesterov": true, "weight_decay": 0.1]),
    Case(
      name: "dampening, maximize",
      options: ["lr": 0.1, "momentum": 0.5, "dampening": 0.25, "maximize": true]),
  ]

  @Test(
    "Adam's fused step is bitwise PyTorch's scalar order", arguments: adamCases, [DType.float32, .float64])
  func adam(_ test: Case, dtype: DType) throws {
    try check(test, dtype: dtype) { params in
      try Adam(params)
    } reference: {
      Reference.adam
    }
  }

  @Test(
    "RMSprop's fused step is bitwise PyTorch's scalar order", arguments: rmspropCases,
    [DType.float32, .float64])
  func rmsprop(_ test: Case, dtype: DType) throws {
    try check(test, dtype: dtype) { params in
      try RMSprop(params)
    } reference: {
      Reference.rmsprop
    }
  }

  @Test("SGD's fused step is bitwise PyTorch's scalar order", arguments: sgdCases, [DType.float32, .float64])
  func sgd(_ test: Case, dtype: DType) throws {
    try check(test, dtype: dtype) { params in
      try SGD(params)
    } reference: {
      Reference.sgd
    }
  }

  @Test("a group that mixes float32 and float64 parameters", arguments: ["Adam", "RMSprop", "SGD"])
  func mixedDtypes(_ name: String) throws {
    let g = Generator(seed: 7)
    let params = [
      Tensor.randn([40], dtype: .float32, generator: g), Tensor.randn([9], dtype: .float64, generator: g),
      Tensor.randn([17], dtype: .float32, generator: g),
    ].map { $0.requiresGrad(true) }
    let initial = params.map { $0.asArray(Double.self) }
    let optimizer: Optimizer
    let reference: Reference.Update
    switch name {
    case "Adam":
      optimizer = try Adam(params, lr: 0.01, amsgrad: true)
      reference = Reference.adam
    case "RMSprop":
      optimizer = try RMSprop(params, momentum: 0.9, centered: true)
      reference = Reference.rmsprop
    default:
      optimizer = try SGD(params, lr: 0.1, momentum: 0.9, nesterov: true)
      reference = Reference.sgd
    }
    var states = params.map { p in Reference.State(count: p.count) }
    var values = initial
    for step in 1...3 {
      for p in params { p.grad = Tensor.randn(p.shape, dtype: p.dtype, generator: g) }
      try optimizer.step()
      for (i, p) in params.enumerated() {
        values[i] = reference(
          optimizer.paramGroups[0], p.dtype, values[i], p.grad!.asArray(Double.self), &states[i], step)
        #expect(p.asArray(Double.self) == values[i], "step \(step), parameter \(i) (\(p.dtype))")
      }
    }
  }

  /// Steps a group of tensors of every size in ``sizes`` three times and compares each
  /// parameter with the scalar reference after every step.
  private func check(
    _ test: Case, dtype: DType, make: ([Tensor]) throws -> Optimizer,
    reference: () -> Reference.Update
  ) throws {
    let g = Generator(seed: 11)
    let params = Self.sizes.map { Tensor.randn([$0], dtype: dtype, generator: g).requiresGrad(true) }
    let optimizer = try make([params[0]])
    optimizer.paramGroups = []
    try optimizer.addParamGroup(ParamGroup(params, test.options))
    #expect(optimizer.implementation == .fused)
    let update = reference()
    var states = params.map { Reference.State(count: $0.count) }
    var values = params.map { $0.asArray(Double.self) }
    for step in 1...3 {
      for p in params { p.grad = Tensor.randn(p.shape, dtype: dtype, generator: g) }
      try optimizer.step()
      for (i, p) in params.enumerated() {
        values[i] = update(
          optimizer.paramGroups[0], dtype, values[i], p.grad!.asArray(Double.self), &states[i], step)
        let actual = p.asArray(Double.self)
        let mismatches = zip(actual, values[i]).filter { $0 != $1 }.count
        #expect(mismatches == 0, "step \(step), size \(p.count): \(mismatches) elements differ")
      }
    }
  }
}

/// Scalar updates in PyTorch's operation order, computed in the element type `T` and
/// carried as Double (exact for both dtypes). Where PyTorch's x86-64 kernels round
/// `a·b + c` once (`add_` with alpha, `addcmul_`, `lerp_`), so does the reference
/// (`addingProduct`, an fma); `addcdiv_` and the plain ops round each step.
enum Reference {
  typealias Update = (ParamGroup, DType, [Double], [Double], inout State, Int) -> [Double]

  struct State {
    var a: [Double]
    var b: [Double]
    var c: [Double]
    var started = false
    init(count: Int) {
      a = Array(repeating: 0, count: count)
      b = a
      c = a
    }
  }

  static func adam(
    _ group: ParamGroup, _ dtype: DType, _ p: [Double], _ g: [Double], _ s: inout State, _ step: Int
  ) -> [Double] {
    dtype == .float32
      ? adam(Float.self, group, p, g, &s, step) : adam(Double.self, group, p, g, &s, step)
  }

  static func adam<T: BinaryFloatingPoint>(
    _: T.Type, _ group: ParamGroup, _ p: [Double], _ g: [Double], _ s: inout State, _ step: Int
  ) -> [Double] {
    let (beta1, beta2) = group.betas
    let lr = group.lr
    let wd = group.weightDecay
    let decoupled = group.flag("decoupled_weight_decay") && wd != 0
    let coupled = !group.flag("decoupled_weight_decay") && wd != 0
    let stepSize = lr / (1 - pow(beta1, Double(step)))
    let bc2Sqrt = T(pow(1 - pow(beta2, Double(step)), 0.5))
    let sign: T = group.flag("maximize") ? -1 : 1
    let w1 = T(1 - beta1)
    var out = p
    for i in p.indices {
      var theta = T(p[i])
      if decoupled { theta = theta * T(1 - lr * wd) }
      var d = sign * T(g[i])
      if coupled { d = d.addingProduct(T(wd), theta) }
      let m = T(s.a[i])
      let mean = Swift.abs(w1) < 0.5 ? m.addingProduct(w1, d - m) : d.addingProduct(w1 - 1, d - m)
      s.a[i] = Double(mean)
      var sq = (T(s.b[i]) * T(beta2)).addingProduct(T(1 - beta2) * d, d)
      s.b[i] = Double(sq)
      if group.flag("amsgrad") {
        let old = T(s.c[i])
        sq = (old.isNaN || old > sq) ? old : sq
        s.c[i] = Double(sq)
      }
      let denom = sq.squareRoot() / bc2Sqrt + T(group.number("eps"))
      out[i] = Double(theta + T(-stepSize) * mean / denom)
    }
    return out
  }

  static func rmsprop(
    _ group: ParamGroup, _ dtype: DType, _ p: [Double], _ g: [Double], _ s: inout State, _ step: Int
  ) -> [Double] {
    dtype == .float32
      ? rmsprop(Float.self, group, p, g, &s) : rmsprop(Double.self, group, p, g, &s)
  }

  static func rmsprop<T: BinaryFloatingPoint>(
    _: T.Type, _ group: ParamGroup, _ p: [Double], _ g: [Double], _ s: inout State
  ) -> [Double] {
    let sign: T = group.flag("maximize") ? -1 : 1
    let wd = group.weightDecay
    let alpha = T(group.number("alpha"))
    let w = T(1 - group.number("alpha"))
    var out = p
    for i in p.indices {
      let theta = T(p[i])
      var d = sign * T(g[i])
      if wd != 0 { d = d.addingProduct(T(wd), theta) }
      let sq = (T(s.a[i]) * alpha).addingProduct(w * d, d)
      s.a[i] = Double(sq)
      var avg: T
      if group.flag("centered") {
        let start = T(s.b[i])
        let mean = Swift.abs(w) < 0.5 ? start.addingProduct(w, d - start) : d.addingProduct(w - 1, d - start)
        s.b[i] = Double(mean)
        avg = sq.addingProduct(-1 * mean, mean).squareRoot()
      } else {
        avg = sq.squareRoot()
      }
      avg = avg + T(group.number("eps"))
      if group.momentum > 0 {
        let buf = T(s.c[i]) * T(group.momentum) + 1 * d / avg
        s.c[i] = Double(buf)
        out[i] = Double(theta.addingProduct(T(-group.lr), buf))
      } else {
        out[i] = Double(theta + T(-group.lr) * d / avg)
      }
    }
    return out
  }

  static func sgd(
    _ group: ParamGroup, _ dtype: DType, _ p: [Double], _ g: [Double], _ s: inout State, _ step: Int
  ) -> [Double] {
    dtype == .float32 ? sgd(Float.self, group, p, g, &s) : sgd(Double.self, group, p, g, &s)
  }

  static func sgd<T: BinaryFloatingPoint>(
    _: T.Type, _ group: ParamGroup, _ p: [Double], _ g: [Double], _ s: inout State
  ) -> [Double] {
    let sign: T = group.flag("maximize") ? -1 : 1
    let wd = group.weightDecay
    let mu = T(group.momentum)
    let first = !s.started
    s.started = true
    var out = p
    for i in p.indices {
      let theta = T(p[i])
      var d = sign * T(g[i])
      if wd != 0 { d = d.addingProduct(T(wd), theta) }
      if group.momentum != 0 {
        let buf = first ? d : (T(s.a[i]) * mu).addingProduct(T(1 - group.number("dampening")), d)
        s.a[i] = Double(buf)
        d = group.flag("nesterov") ? d.addingProduct(mu, buf) : buf
      }
      out[i] = Double(theta.addingProduct(T(-group.lr), d))
    }
    return out
  }
}
