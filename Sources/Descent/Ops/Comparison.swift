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
    let strides = [
      out.strides, mask.broadcastStrides(to: shape, op: "where"),
      a.broadcastStrides(to: shape, op: "where"), b.broadcastStrides(to: shape, op: "where"),
    ]
    func run<T: TensorScalar>(_: T.Type) {
      let loop = StridedLoop(shape: shape, strides: strides)
      let po = out.pointer(T.self)
      let pm = mask.pointer(Bool.self)
      let pa = a.pointer(T.self)
      let pb = b.pointer(T.self)
      loop.runParallel { offs, inc, n in
        let o = po + offs[0]
        let m = pm + offs[1]
        let x = pa + offs[2]
        let y = pb + offs[3]
        for i in 0..<n { o[i * inc[0]] = m[i * inc[1]] ? x[i * inc[2]] : y[i * inc[3]] }
      }
    }
    if dtype == .float32 { run(Float.self) } else { run(Double.self) }
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
