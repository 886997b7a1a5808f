import DescentTestSupport
import Testing

@testable import Descent

/// Runs the fixture op `op` through Descent's API, mirroring the PyTorch calls in
/// `scripts/gen_tensor_fixtures.py` (`OPS`).
func runOp(_ op: String, _ xs: [Tensor], _ args: [String: JSON], dtype: DType) -> [Tensor] {
  func arg(_ key: String) -> Double { args[key]!.double }
  func optional(_ key: String) -> Double? {
    guard let v = args[key], !v.isNull else { return nil }
    return v.double
  }
  func ints(_ key: String) -> [Int] { args[key]!.ints }
  func dims() -> [Int]? {
    guard let v = args["dims"], !v.isNull else { return nil }
    return v.ints
  }
  var keepDim: Bool { args["keepdim"]?.bool ?? false }
  /// In-place ops act on a copy of the first input, as the generator does.
  func inPlace(_ body: (Tensor) -> Void) -> [Tensor] {
    let target = xs[0].clone()
    body(target)
    return [target]
  }
  let x = xs.first
  switch op {
  // creation
  case "zeros": return [Tensor.zeros(ints("shape"), dtype: dtype)]
  case "ones": return [Tensor.ones(ints("shape"), dtype: dtype)]
  case "full": return [Tensor.full(ints("shape"), arg("value"), dtype: dtype)]
  case "arange": return [Tensor.arange(arg("start"), arg("end"), step: arg("step"), dtype: dtype)]
  case "linspace":
    return [Tensor.linspace(arg("start"), arg("end"), steps: args["steps"]!.int, dtype: dtype)]
  case "eye": return [Tensor.eye(args["n"]!.int, args["m"]?.int, dtype: dtype)]
  case "zeros_like": return [Tensor.zerosLike(x!)]
  case "ones_like": return [Tensor.onesLike(x!)]
  case "full_like": return [Tensor.fullLike(x!, arg("value"))]
  // views and copies
  case "reshape": return [x!.reshape(ints("shape"))]
  case "view": return [x!.view(ints("shape"))]
  case "flatten":
    return [x!.flatten(startDim: args["start"]?.int ?? 0, endDim: args["end"]?.int ?? -1)]
  case "transpose": return [x!.transpose(args["dim0"]!.int, args["dim1"]!.int)]
  case "permute": return [x!.permute(ints("dims"))]
  case "t": return [x!.t()]
  case "squeeze": return [x!.squeeze(args["dim"].flatMap { $0.isNull ? nil : $0.int })]
  case "unsqueeze": return [x!.unsqueeze(args["dim"]!.int)]
  case "expand": return [x!.expand(ints("shape"))]
  case "slice":
    return [
      x!.slice(
        dim: args["dim"]!.int, start: optional("start").map { Int($0) },
        end: optional("end").map { Int($0) }, step: args["step"]?.int ?? 1)
    ]
  case "narrow":
    return [x!.narrow(dim: args["dim"]!.int, start: args["start"]!.int, length: args["length"]!.int)]
  case "select": return [x!.select(dim: args["dim"]!.int, index: args["index"]!.int)]
  case "contiguous": return [x!.contiguous()]
  case "clone": return [x!.clone()]
  case "split": return x!.split(args["size"]!.int, dim: args["dim"]!.int)
  case "cat": return [Tensor.cat(xs, dim: args["dim"]!.int)]
  case "stack": return [Tensor.stack(xs, dim: args["dim"]!.int)]
  case "gather": return [xs[0].gather(dim: args["dim"]!.int, index: xs[1])]
  case "scatter_add": return [xs[0].scatterAdd(dim: args["dim"]!.int, index: xs[1], source: xs[2])]
  case "index_select": return [xs[0].indexSelect(dim: args["dim"]!.int, index: xs[1])]
  case "to_float64": return [x!.to(dtype: .float64)]
  case "to_float32": return [x!.to(dtype: .float32)]
  case "to_int64": return [x!.to(dtype: .int64)]
  case "to_bool": return [x!.to(dtype: .bool)]
  // binary
  case "add": return [xs[0] + xs[1]]
  case "sub": return [xs[0] - xs[1]]
  case "mul": return [xs[0] * xs[1]]
  case "div": return [xs[0] / xs[1]]
  case "add_alpha": return [xs[0].add(xs[1], alpha: arg("alpha"))]
  case "sub_alpha": return [xs[0].sub(xs[1], alpha: arg("alpha"))]
  case "pow": return [xs[0].pow(xs[1])]
  case "maximum": return [Tensor.maximum(xs[0], xs[1])]
  case "minimum": return [Tensor.minimum(xs[0], xs[1])]
  case "eq": return [xs[0] .== xs[1]]
  case "ne": return [xs[0] .!= xs[1]]
  case "lt": return [xs[0] .< xs[1]]
  case "le": return [xs[0] .<= xs[1]]
  case "gt": return [xs[0] .> xs[1]]
  case "ge": return [xs[0] .>= xs[1]]
  case "where": return [Tensor.where(xs[0], xs[1], xs[2])]
  // tensor-scalar
  case "add_scalar": return [x! + arg("value")]
  case "radd_scalar": return [arg("value") + x!]
  case "sub_scalar": return [x! - arg("value")]
  case "rsub_scalar": return [arg("value") - x!]
  case "mul_scalar": return [x! * arg("value")]
  case "rmul_scalar": return [arg("value") * x!]
  case "div_scalar": return [x! / arg("value")]
  case "rdiv_scalar": return [arg("value") / x!]
  case "pow_scalar": return [x!.pow(arg("value"))]
  case "maximum_scalar": return [Tensor.maximum(x!, arg("value"))]
  case "minimum_scalar": return [Tensor.minimum(x!, arg("value"))]
  case "eq_scalar": return [x! .== arg("value")]
  case "ne_scalar": return [x! .!= arg("value")]
  case "lt_scalar": return [x! .< arg("value")]
  case "le_scalar": return [x! .<= arg("value")]
  case "gt_scalar": return [x! .> arg("value")]
  case "ge_scalar": return [x! .>= arg("value")]
  case "where_scalar_other": return [Tensor.where(xs[0], xs[1], arg("value"))]
  case "where_scalar_input": return [Tensor.where(xs[0], arg("value"), xs[1])]
  // unary
  case "neg": return [-x!]
  case "exp": return [x!.exp()]
  case "log": return [x!.log()]
  case "log1p": return [x!.log1p()]
  case "sqrt": return [x!.sqrt()]
  case "rsqrt": return [x!.rsqrt()]
  case "abs": return [x!.abs()]
  case "sign": return [x!.sign()]
  case "sigmoid": return [x!.sigmoid()]
  case "tanh": return [x!.tanh()]
  case "relu": return [x!.relu()]
  case "leaky_relu": return [x!.leakyRelu(negativeSlope: arg("slope"))]
  case "gelu": return [x!.gelu()]
  case "sin": return [x!.sin()]
  case "cos": return [x!.cos()]
  case "square": return [x!.square()]
  case "clamp": return [x!.clamp(min: optional("min"), max: optional("max"))]
  // in place
  case "add_": return inPlace { $0.addInPlace(xs[1], alpha: optional("alpha") ?? 1) }
  case "sub_": return inPlace { $0.subInPlace(xs[1], alpha: optional("alpha") ?? 1) }
  case "mul_": return inPlace { $0.mulInPlace(xs[1]) }
  case "div_": return inPlace { $0.divInPlace(xs[1]) }
  case "add_scalar_": return inPlace { $0 += arg("value") }
  case "sub_scalar_": return inPlace { $0 -= arg("value") }
  case "mul_scalar_": return inPlace { $0 *= arg("value") }
  case "div_scalar_": return inPlace { $0 /= arg("value") }
  case "addcmul_": return inPlace { $0.addcmulInPlace(xs[1], xs[2], value: arg("value")) }
  case "addcdiv_": return inPlace { $0.addcdivInPlace(xs[1], xs[2], value: arg("value")) }
  case "lerp_": return inPlace { $0.lerpInPlace(xs[1], weight: arg("weight")) }
  case "clamp_": return inPlace { $0.clampInPlace(min: optional("min"), max: optional("max")) }
  case "fill_": return inPlace { $0.fill(arg("value")) }
  case "zero_": return inPlace { $0.zero() }
  case "copy_": return inPlace { $0.copyInPlace(from: xs[1]) }
  // reductions
  case "sum": return [x!.sum(dims: dims(), keepDim: keepDim)]
  case "mean": return [x!.mean(dims: dims(), keepDim: keepDim)]
  case "max_all": return [x!.max()]
  case "min_all": return [x!.min()]
  case "max_dim":
    let r = x!.max(dim: args["dim"]!.int, keepDim: keepDim)
    return [r.values, r.indices]
  case "min_dim":
    let r = x!.min(dim: args["dim"]!.int, keepDim: keepDim)
    return [r.values, r.indices]
  case "amax": return [x!.amax(dims: ints("dims"), keepDim: keepDim)]
  case "amin": return [x!.amin(dims: ints("dims"), keepDim: keepDim)]
  case "argmax": return [x!.argmax(dim: args["dim"]?.int, keepDim: keepDim)]
  case "argmin": return [x!.argmin(dim: args["dim"]?.int, keepDim: keepDim)]
  case "var":
    return [x!.variance(dims: dims(), correction: optional("correction") ?? 1, keepDim: keepDim)]
  case "std": return [x!.std(dims: dims(), correction: optional("correction") ?? 1, keepDim: keepDim)]
  case "logsumexp": return [x!.logsumexp(dims: ints("dims"), keepDim: keepDim)]
  case "norm": return [x!.norm(p: optional("p") ?? 2, dims: dims(), keepDim: keepDim)]
  // linear algebra
  case "matmul": return [xs[0].matmul(xs[1])]
  case "dot": return [xs[0].dot(xs[1])]
  case "mv": return [xs[0].mv(xs[1])]
  case "outer": return [xs[0].outer(xs[1])]
  case "addmm":
    return [
      Tensor.addmm(xs[0], xs[1], xs[2], beta: optional("beta") ?? 1, alpha: optional("alpha") ?? 1)
    ]
  case "linear": return [Tensor.linear(xs[0], weight: xs[1], bias: xs.count > 2 ? xs[2] : nil)]
  case "qr":
    let (q, r) = Linalg.qr(x!)
    return [q, r]
  default:
    fatalError("fixture op \(op) has no Swift counterpart")
  }
}

/// Builds a case's inputs in `dtype`, runs it and compares every output with PyTorch's.
func check(_ c: OpCase, _ dtype: DType, sourceLocation: SourceLocation = #_sourceLocation) {
  let built = c.inputs.map { $0.build(dtype) }
  for (i, (spec, b)) in zip(c.inputs, built).enumerated() {
    if let contiguous = spec.contiguous {
      #expect(
        b.tensor.isContiguous == contiguous, "\(c.name): input \(i) contiguity",
        sourceLocation: sourceLocation)
    }
  }
  guard let expected = c.expected[dtype.rawValue] else {
    Issue.record("\(c.name): no PyTorch result for \(dtype)", sourceLocation: sourceLocation)
    return
  }
  let outputs = runOp(c.op, built.map(\.tensor), c.args, dtype: dtype)
  #expect(outputs.count == expected.count, "\(c.name): number of outputs", sourceLocation: sourceLocation)
  for (k, (out, want)) in zip(outputs, expected).enumerated() {
    let label = "\(c.name) [\(dtype)] output \(k)"
    expectMatches(out, want, tolerance: c.tol, label: label, sourceLocation: sourceLocation)
    if let strides = want.strides {
      #expect(out.strides == strides, "\(label): strides", sourceLocation: sourceLocation)
    }
    if let offset = want.offset {
      #expect(out.offset == offset, "\(label): storage offset", sourceLocation: sourceLocation)
    }
    if let shares = want.shares, let base = built.first?.base {
      #expect(
        (out.storage === base.storage) == shares, "\(label): shares storage with its input",
        sourceLocation: sourceLocation)
    }
  }
}
