import Descent

/// A number as `lbfgs.py` holds it: a Python `int` or `float`, or a 0-d tensor of the
/// parameters' dtype `T` (what `y.dot(s)`, `flat_grad.abs().sum()` and everything computed
/// from them are).
///
/// The distinction matters for float32 parameters: arithmetic and comparisons that involve
/// a tensor run in float32 (the Python operand is rounded to float32 first), the others in
/// Double. It also matters once in float64: `float / tensor` is `tensor.reciprocal() *
/// float` in PyTorch (`Tensor.__rtruediv__`), two roundings. The operators below follow
/// PyTorch's type promotion so that the line search takes PyTorch's branches.
struct PythonNumber<T: TensorScalar>: CustomStringConvertible {
  typealias Kind = PythonNumberKind

  /// The value; exactly representable in `T` when ``kind`` is `.tensor`.
  var value: Double
  var kind: Kind

  init(value: Double, kind: Kind) {
    self.value = value
    self.kind = kind
  }

  /// The same number, for another dtype (state is kept without one).
  init<U>(_ other: PythonNumber<U>) {
    self.init(value: other.value, kind: other.kind)
  }

  static func int(_ v: Int) -> Self { Self(value: Double(v), kind: .int) }
  static func float(_ v: Double) -> Self { Self(value: v, kind: .float) }
  static func tensor(_ v: T) -> Self { Self(value: Double(v), kind: .tensor) }

  var isTensor: Bool { kind == .tensor }
  /// The value in `T`, as a Python operand is converted when it meets a tensor.
  @inline(__always) var scalar: T { T(value) }

  var description: String { isTensor ? "tensor(\(value))" : "\(value)" }

  private static func combine(
    _ a: Self, _ b: Self, _ tensorOp: (T, T) -> T, _ floatOp: (Double, Double) -> Double
  ) -> Self {
    if a.isTensor || b.isTensor { return .tensor(tensorOp(a.scalar, b.scalar)) }
    let kind: Kind = a.kind == .int && b.kind == .int ? .int : .float
    return Self(value: floatOp(a.value, b.value), kind: kind)
  }

  static func + (a: Self, b: Self) -> Self { combine(a, b, +, +) }
  static func - (a: Self, b: Self) -> Self { combine(a, b, -, -) }
  static func * (a: Self, b: Self) -> Self { combine(a, b, *, *) }

  /// True division; a Python number divided by a tensor is the tensor's reciprocal times
  /// the number.
  static func / (a: Self, b: Self) -> Self {
    if b.isTensor && !a.isTensor { return .tensor((1 / b.scalar) * a.scalar) }
    if a.isTensor || b.isTensor { return .tensor(a.scalar / b.scalar) }
    return .float(a.value / b.value)
  }

  static prefix func - (a: Self) -> Self { Self(value: -a.value, kind: a.kind) }

  /// Compares in `T` when either side is a tensor, in Double otherwise.
  private static func compare(_ a: Self, _ b: Self, _ op: (Double, Double) -> Bool) -> Bool {
    a.isTensor || b.isTensor ? op(Double(a.scalar), Double(b.scalar)) : op(a.value, b.value)
  }

  static func > (a: Self, b: Self) -> Bool { compare(a, b, >) }
  static func >= (a: Self, b: Self) -> Bool { compare(a, b, >=) }
  static func < (a: Self, b: Self) -> Bool { compare(a, b, <) }
  static func <= (a: Self, b: Self) -> Bool { compare(a, b, <=) }

  /// `abs(x)`.
  var magnitude: Self { Self(value: Swift.abs(value), kind: kind) }
  /// `x.sqrt()` of a tensor.
  var squareRoot: Self { .tensor(scalar.squareRoot()) }
  /// `x ** 2`: a tensor's is `x * x`.
  var squared: Self { self * self }
}

extension PythonNumber: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
  init(floatLiteral value: Double) { self = .float(value) }
  init(integerLiteral value: Int) { self = .int(value) }
}

/// What a ``PythonNumber`` is in Python.
enum PythonNumberKind: Equatable {
  case int
  case float
  /// A 0-d tensor of the parameters' dtype.
  case tensor
}

/// Python's `max(a, b)`: `a` unless `b > a`.
func pythonMax<T>(_ a: PythonNumber<T>, _ b: PythonNumber<T>) -> PythonNumber<T> { b > a ? b : a }
/// Python's `min(a, b)`: `a` unless `b < a`.
func pythonMin<T>(_ a: PythonNumber<T>, _ b: PythonNumber<T>) -> PythonNumber<T> { b < a ? b : a }
