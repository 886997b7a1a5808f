struct EqualOp: ComparisonScalarOp { func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> Bool { x == y } }
struct NotEqualOp: ComparisonScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> Bool { x != y }
}
struct LessOp: ComparisonScalarOp { func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> Bool { x < y } }
struct LessEqualOp: ComparisonScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> Bool { x <= y }
}
struct GreaterOp: ComparisonScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> Bool { x > y }
}
struct GreaterEqualOp: ComparisonScalarOp {
  func callAsFunction<T: TensorScalar>(_ x: T, _ y: T) -> Bool { x >= y }
}

// Comparisons return `bool` masks, like PyTorch. They are spelled `.==` etc. because
// `Tensor` is a class whose `==` would otherwise suggest identity or whole-value equality.
infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence

extension Tensor {
  /// Elementwise `a == b` as a `bool` mask (`torch.eq`).
  public static func .== (a: Tensor, b: Tensor) -> Tensor { compared(a, b, EqualOp(), name: "eq") }
  /// Elementwise `a != b` (`torch.ne`).
  public static func .!= (a: Tensor, b: Tensor) -> Tensor { compared(a, b, NotEqualOp(), name: "ne") }
  /// Elementwise `a < b` (`torch.lt`).
  public static func .< (a: Tensor, b: Tensor) -> Tensor { compared(a, b, LessOp(), name: "lt") }
  /// Elementwise `a <= b` (`torch.le`).
  public static func .<= (a: Tensor, b: Tensor) -> Tensor { compared(a, b, LessEqualOp(), name: "le") }
  /// Elementwise `a > b` (`torch.gt`).
  public static func .> (a: Tensor, b: Tensor) -> Tensor { compared(a, b, GreaterOp(), name: "gt") }
  /// Elementwise `a >= b` (`torch.ge`).
  public static func .>= (a: Tensor, b: Tensor) -> Tensor { compared(a, b, GreaterEqualOp(), name: "ge") }

  public static func .== (a: Tensor, b: Double) -> Tensor { a .== a.scalarLike(b) }
  public static func .!= (a: Tensor, b: Double) -> Tensor { a .!= a.scalarLike(b) }
  public static func .< (a: Tensor, b: Double) -> Tensor { a .< a.scalarLike(b) }
  public static func .<= (a: Tensor, b: Double) -> Tensor { a .<= a.scalarLike(b) }
  public static func .> (a: Tensor, b: Double) -> Tensor { a .> a.scalarLike(b) }
  public static func .>= (a: Tensor, b: Double) -> Tensor { a .>= a.scalarLike(b) }

  /// `condition ? a : b` elementwise with broadcasting of all three (`torch.where`).
  /// `condition` is a `bool` tensor (other dtypes count non-zero as true). The gradient
  /// flows to `a` where the condition holds and to `b` elsewhere.
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let mask = condition.to(dtype: .bool)
    let dtype = resultType(a, b)
    require(
      dtype.isFloatingPoint, "where: expected floating point values, got \(a.dtype) and \(b.dtype)")
    let a = a.to(dtype: dtype)
    let b = b.to(dtype: dtype)
    let shape = broadcastShapes(broadcastShapes(mask.shape, a.shape, op: "where"), b.shape, op: "where")
    let out = Tensor(uninitializedShape: shape, dtype: dtype)
    mask.checkBroadcast(to: shape, op: "where")
    a.checkBroadcast(to: shape, op: "where")
    b.checkBroadcast(to: shape, op: "where")
    let rank = shape.count
    func run<T: TensorScalar>(_: T.Type) {
      StridedLoop.with(
        shape: shape, operands: 4,
        stride: { k, d in
          k == 0 ? out.strides[d] : (k == 1 ? mask : (k == 2 ? a : b)).broadcastStride(d, rank: rank)
        }
      ) {
        parallelFor(
          $0.count,
          WhereTask(
            loop: $0, out: out.pointer(T.self), mask: mask.pointer(Bool.self), a: a.pointer(T.self),
            b: b.pointer(T.self)))
      }
    }
    switch dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default:
      // A selection: exact through float32.
      computeInOpmath(out, [a, b]) { out, x in
        out.copyElements(from: Tensor.where(mask, x[0], x[1]).detach())
      }
    }
    withExtendedLifetime((mask, a, b)) {}
    let savedMask = mask.detach()
    let shapeA = a.shape
    let shapeB = b.shape
    return out.recording("WhereBackward0", [a, b]) { g in
      let zero = Tensor.zerosLike(g)
      return [
        Tensor.where(savedMask, g, zero).sumToShape(shapeA),
        Tensor.where(savedMask, zero, g).sumToShape(shapeB),
      ]
    }
  }

  /// `torch.where` with scalar branches.
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Double) -> Tensor {
    `where`(condition, a, a.scalarLike(b))
  }
  /// `torch.where` with scalar branches.
  public static func `where`(_ condition: Tensor, _ a: Double, _ b: Tensor) -> Tensor {
    `where`(condition, b.scalarLike(a), b)
  }

  /// Whether all elements are within `atol + rtol * |other|` of `other` (`torch.allclose`).
  public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) -> Bool {
    let a = asArray(Double.self)
    let b = other.expand(shape).asArray(Double.self)
    return zip(a, b).allSatisfy { x, y in
      x == y || Swift.abs(x - y) <= atol + rtol * Swift.abs(y)
    }
  }
}

/// `out = mask ? a : b` over a broadcast loop.
struct WhereTask<T: TensorScalar>: RangeTask {
  let loop: StridedLoop
  let out: UnsafeMutablePointer<T>
  let mask: UnsafePointer<Bool>
  let a: UnsafePointer<T>
  let b: UnsafePointer<T>

  func run(_ range: Range<Int>) {
    loop.run(range) { offs, inc, n in
      let o = out + offs[0]
      let m = mask + offs[1]
      let x = a + offs[2]
      let y = b + offs[3]
      for i in 0..<n { o[i * inc[0]] = m[i * inc[1]] ? x[i * inc[2]] : y[i * inc[3]] }
    }
  }
}
