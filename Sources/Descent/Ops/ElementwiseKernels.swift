import Foundation

/// A scalar function of one floating value, applied elementwise by ``Tensor/map(_:into:)``.
protocol UnaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T) -> T
  /// The op as PyTorch's scalar loop computes it on a bfloat16/float16 element (float32 in
  /// and out, rounded to `dtype` on store), where that differs from the vector loop, which
  /// `callAsFunction` follows; `nil` where the two agree (see ``PyTorchScalarTails``).
  func halfScalarForm(_ dtype: DType) -> ((Float) -> Float)?
}

extension UnaryScalarOp {
  func halfScalarForm(_ dtype: DType) -> ((Float) -> Float)? { nil }
}

/// A scalar function of two floating values, applied elementwise with broadcasting.
protocol BinaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> T
  /// Whether a one-element operand of a half-precision op is read in float32 rather than
  /// rounded to the half type first. PyTorch's `mul` and `div` kernels read a scalar's
  /// original value in float32 (`x * 0.1` multiplies by 0.1f); `add` and `sub` round it
  /// (and `alpha`) to the tensor's type.
  static var readsScalarInOpmath: Bool { get }
  /// As ``UnaryScalarOp/halfScalarForm(_:)``.
  func halfScalarForm(_ dtype: DType) -> ((Float, Float) -> Float)?
}

extension BinaryScalarOp {
  static var readsScalarInOpmath: Bool { false }
  func halfScalarForm(_ dtype: DType) -> ((Float, Float) -> Float)? { nil }
}

/// A scalar function of three floating values (`addcmul`, `addcdiv`), applied with
/// broadcasting.
protocol TernaryScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T, _ z: T) -> T
}

/// A scalar predicate of two floating values, producing a `bool` mask.
protocol ComparisonScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> Bool
}

/// The row loops of the elementwise kernels, as ``RangeTask``s that ``parallelFor(_:grain:_:)``
/// runs on the pool without allocating.
struct UnaryTask<Op: UnaryScalarOp, T: TensorScalar>: RangeTask {
  let op: Op
  let loop: StridedLoop
  let out: UnsafeMutablePointer<T>
  let x: UnsafePointer<T>

  func run(_ range: Range<Int>) {
    loop.run(range) { offs, inc, n in
      let o = out + offs[0]
      let a = x + offs[1]
      if inc[0] == 1 && inc[1] == 1 {
        for i in 0..<n { o[i] = op(a[i]) }
      } else {
        let io = inc[0]
        let ia = inc[1]
        for i in 0..<n { o[i * io] = op(a[i * ia]) }
      }
    }
  }
}

struct BinaryTask<Op: BinaryScalarOp, T: TensorScalar>: RangeTask {
  let op: Op
  let loop: StridedLoop
  let out: UnsafeMutablePointer<T>
  let a: UnsafePointer<T>
  let b: UnsafePointer<T>

  func run(_ range: Range<Int>) {
    loop.run(range) { offs, inc, n in
      let o = out + offs[0]
      let x = a + offs[1]
      let y = b + offs[2]
      let io = inc[0]
      let ia = inc[1]
      let ib = inc[2]
      if io == 1 && ia == 1 && ib == 1 {
        for i in 0..<n { o[i] = op(x[i], y[i]) }
      } else if io == 1 && ia == 1 && ib == 0 {
        let yv = y[0]
        for i in 0..<n { o[i] = op(x[i], yv) }
      } else if io == 1 && ia == 0 && ib == 1 {
        let xv = x[0]
        for i in 0..<n { o[i] = op(xv, y[i]) }
      } else {
        for i in 0..<n { o[i * io] = op(x[i * ia], y[i * ib]) }
      }
    }
  }
}

struct TernaryTask<Op: TernaryScalarOp, T: TensorScalar>: RangeTask {
  let op: Op
  let loop: StridedLoop
  let out: UnsafeMutablePointer<T>
  let a: UnsafePointer<T>
  let b: UnsafePointer<T>
  let c: UnsafePointer<T>

  func run(_ range: Range<Int>) {
    loop.run(range) { offs, inc, n in
      let o = out + offs[0]
      let x = a + offs[1]
      let y = b + offs[2]
      let z = c + offs[3]
      if inc[0] == 1 && inc[1] == 1 && inc[2] == 1 && inc[3] == 1 {
        for i in 0..<n { o[i] = op(x[i], y[i], z[i]) }
      } else {
        let io = inc[0]
        let ia = inc[1]
        let ib = inc[2]
        let ic = inc[3]
        for i in 0..<n { o[i * io] = op(x[i * ia], y[i * ib], z[i * ic]) }
      }
    }
  }
}

struct ComparisonTask<Op: ComparisonScalarOp, T: TensorScalar>: RangeTask {
  let op: Op
  let loop: StridedLoop
  let out: UnsafeMutablePointer<Bool>
  let a: UnsafePointer<T>
  let b: UnsafePointer<T>

  func run(_ range: Range<Int>) {
    loop.run(range) { offs, inc, n in
      let o = out + offs[0]
      let x = a + offs[1]
      let y = b + offs[2]
      for i in 0..<n { o[i * inc[0]] = op(x[i * inc[1]], y[i * inc[2]]) }
    }
  }
}

extension Tensor {
  /// `out[i] = op(x[i])` where `out` and `x` have the same shape and dtype.
  static func applyUnary<Op: UnaryScalarOp>(_ op: Op, _ x: Tensor, into out: Tensor, name: String) {
    func run<T: TensorScalar>(_: T.Type) {
      StridedLoop.with(
        shape: out.shape, operands: 2, stride: { k, d in k == 0 ? out.strides[d] : x.strides[d] }
      ) {
        parallelFor($0.count, UnaryTask(op: op, loop: $0, out: out.pointer(T.self), x: x.pointer(T.self)))
      }
    }
    switch out.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .bfloat16, .float16:
      let tails = op.halfScalarForm(out.dtype).flatMap { form in
        out.halfScalarTails(of: [x]) { form($0[0]) }
      }
      computeInOpmath(out, [x]) { out, x in applyUnary(op, x[0], into: out, name: name) }
      if let tails { out.storeHalfScalarTails(tails) }
    default: requirementFailure("\(name): expected a floating point tensor, got \(out.dtype)")
    }
    withExtendedLifetime((x, out)) {}
  }

  /// `out[i] = op(a[i], b[i])` with `a` and `b` broadcast to `out`'s shape; all three
  /// share `out`'s dtype.
  static func applyBinary<Op: BinaryScalarOp>(
    _ op: Op, _ a: Tensor, _ b: Tensor, into out: Tensor, name: String
  ) {
    a.checkBroadcast(to: out.shape, op: name)
    b.checkBroadcast(to: out.shape, op: name)
    let rank = out.rank
    func run<T: TensorScalar>(_: T.Type) {
      StridedLoop.with(
        shape: out.shape, operands: 3,
        stride: { k, d in
          k == 0 ? out.strides[d] : (k == 1 ? a : b).broadcastStride(d, rank: rank)
        }
      ) {
        parallelFor(
          $0.count,
          BinaryTask(op: op, loop: $0, out: out.pointer(T.self), a: a.pointer(T.self), b: b.pointer(T.self)))
      }
    }
    switch out.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .bfloat16, .float16:
      // Computed before the op, which may overwrite an operand (in-place updates).
      let tails = op.halfScalarForm(out.dtype).flatMap { form in
        out.halfScalarTails(of: [a, b]) { form($0[0], $0[1]) }
      }
      computeInOpmath(out, [a, b]) { out, x in applyBinary(op, x[0], x[1], into: out, name: name) }
      if let tails { out.storeHalfScalarTails(tails) }
    default: requirementFailure("\(name): expected a floating point tensor, got \(out.dtype)")
    }
    withExtendedLifetime((a, b, out)) {}
  }

  /// `out[i] = op(a[i], b[i], c[i])` with the operands broadcast to `out`'s shape; all four
  /// share `out`'s dtype. `out` may be one of the operands (in-place updates).
  static func applyTernary<Op: TernaryScalarOp>(
    _ op: Op, _ a: Tensor, _ b: Tensor, _ c: Tensor, into out: Tensor, name: String
  ) {
    a.checkBroadcast(to: out.shape, op: name)
    b.checkBroadcast(to: out.shape, op: name)
    c.checkBroadcast(to: out.shape, op: name)
    let rank = out.rank
    func run<T: TensorScalar>(_: T.Type) {
      StridedLoop.with(
        shape: out.shape, operands: 4,
        stride: { k, d in
          k == 0 ? out.strides[d] : (k == 1 ? a : (k == 2 ? b : c)).broadcastStride(d, rank: rank)
        }
      ) {
        parallelFor(
          $0.count,
          TernaryTask(
            op: op, loop: $0, out: out.pointer(T.self), a: a.pointer(T.self), b: b.pointer(T.self),
            c: c.pointer(T.self)))
      }
    }
    switch out.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    case .bfloat16, .float16:
      computeInOpmath(out, [a, b, c]) { out, x in
        applyTernary(op, x[0], x[1], x[2], into: out, name: name)
      }
    default: requirementFailure("\(name): expected a floating point tensor, got \(out.dtype)")
    }
    withExtendedLifetime((a, b, c, out)) {}
  }

  /// A new tensor `op(self)` (no autograd recording).
  func mapped<Op: UnaryScalarOp>(_ op: Op, name: String) -> Tensor {
    let out = Tensor(uninitializedShape: shape, dtype: dtype)
    Tensor.applyUnary(op, self, into: out, name: name)
    return out
  }

  /// A new broadcast tensor `op(a, b)` after type promotion (no autograd recording).
  static func zipped<Op: BinaryScalarOp>(
    _ a: Tensor, _ b: Tensor, _ op: Op, name: String, dtype: DType? = nil
  ) -> Tensor {
    let dtype = dtype ?? resultType(a, b)
    require(
      dtype.isFloatingPoint, "\(name): expected floating point tensors, got \(a.dtype) and \(b.dtype)")
    let shape = broadcastShapes(a.shape, b.shape, op: name)
    let out = Tensor(uninitializedShape: shape, dtype: dtype)
    let opmath = Op.readsScalarInOpmath
    applyBinary(
      op, a.operand(for: dtype, scalarInOpmath: opmath), b.operand(for: dtype, scalarInOpmath: opmath),
      into: out, name: name)
    return out
  }

  /// This tensor as an operand of an op whose result has type `result`: converted to it,
  /// except that with `scalarInOpmath` a one-element operand of a half-precision op is
  /// converted to float32 instead, as PyTorch's `mul`/`div` kernels read a scalar operand's
  /// original value in their float32 "opmath" type (`x * 0.1` multiplies by `0.1` as a
  /// float, not as a bfloat16).
  func operand(for result: DType, scalarInOpmath: Bool = false) -> Tensor {
    to(dtype: scalarInOpmath && result.isReducedPrecision && count == 1 ? .float32 : result)
  }

  /// A `bool` mask `op(a, b)` with broadcasting.
  static func compared<Op: ComparisonScalarOp>(_ a: Tensor, _ b: Tensor, _ op: Op, name: String)
    -> Tensor
  {
    let dtype = resultType(a, b)
    // Half operands compare exactly in float32.
    let a = a.to(
      dtype: dtype.isReducedPrecision ? .float32 : (dtype.isFloatingPoint ? dtype : .float64))
    let b = b.to(dtype: a.dtype)
    let shape = broadcastShapes(a.shape, b.shape, op: name)
    let out = Tensor(uninitializedShape: shape, dtype: .bool)
    a.checkBroadcast(to: shape, op: name)
    b.checkBroadcast(to: shape, op: name)
    let rank = shape.count
    func run<T: TensorScalar>(_: T.Type) {
      StridedLoop.with(
        shape: shape, operands: 3,
        stride: { k, d in k == 0 ? out.strides[d] : (k == 1 ? a : b).broadcastStride(d, rank: rank) }
      ) {
        parallelFor(
          $0.count,
          ComparisonTask(
            op: op, loop: $0, out: out.pointer(Bool.self), a: a.pointer(T.self), b: b.pointer(T.self)))
      }
    }
    switch a.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: requirementFailure("\(name): comparison of \(a.dtype)")
    }
    withExtendedLifetime((a, b)) {}
    return out
  }
}

/// C's `pow`/`powf`. RealModule's `pow` returns NaN for every negative base, while C (and
/// PyTorch) give real results for integral exponents: `(-2) ** 3 == -8`.
@inline(__always)
func ieeePow<T: TensorScalar>(_ x: T, _ y: T) -> T {
  if T.self == Float.self {
    return unsafeBitCast(powf(unsafeBitCast(x, to: Float.self), unsafeBitCast(y, to: Float.self)), to: T.self)
  }
  return unsafeBitCast(
    Foundation.pow(unsafeBitCast(x, to: Double.self), unsafeBitCast(y, to: Double.self)), to: T.self)
}

/// PyTorch's `result_type` for the dtypes Descent has: dimensioned tensors decide the
/// type unless a zero-dimensional operand belongs to a higher category (bool < integer <
/// floating), so `float32 tensor + float64 0-d tensor` stays `float32` while
/// `int64 tensor + float64 0-d tensor` is `float64`.
func resultType(_ tensors: Tensor...) -> DType {
  func category(_ d: DType) -> Int { d == .bool ? 0 : (d == .int64 ? 1 : 2) }
  var dimensioned: DType?
  var zeroDim: DType?
  for t in tensors {
    if t.rank == 0 {
      zeroDim = zeroDim.map { DType.promoted($0, t.dtype) } ?? t.dtype
    } else {
      dimensioned = dimensioned.map { DType.promoted($0, t.dtype) } ?? t.dtype
    }
  }
  guard let dimensioned else { return zeroDim! }
  guard let zeroDim, category(zeroDim) > category(dimensioned) else { return dimensioned }
  return zeroDim
}
