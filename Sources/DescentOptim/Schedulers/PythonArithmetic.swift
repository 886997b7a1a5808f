import Foundation

// The schedulers compute in Python floats, so they are written with the same operations in
// the same order as lr_scheduler.py; these helpers stand in for the Python operations that
// raise instead of returning inf or NaN, so that Descent throws where PyTorch raises.
enum Py {
  /// `a / b` on floats; throws `ZeroDivisionError`'s message for a zero divisor.
  static func divide(_ a: Double, _ b: Double, _ context: @autoclosure () -> String) throws -> Double {
    guard b != 0 else { throw SchedulerError("float division by zero (\(context()))") }
    return a / b
  }

  /// Whether `a % b == 0` on integers; throws for a zero divisor.
  static func isMultiple(_ a: Int, of b: Int, _ context: @autoclosure () -> String) throws -> Bool {
    guard b != 0 else { throw SchedulerError("integer modulo by zero (\(context()))") }
    return a % b == 0
  }

  /// `a // b` on integers (floor division).
  static func floorDivide(_ a: Int, _ b: Int, _ context: @autoclosure () -> String) throws -> Int {
    guard b != 0 else { throw SchedulerError("integer division or modulo by zero (\(context()))") }
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  /// `a % b` on floats: the result has the sign of `b`.
  static func modulo(_ a: Double, _ b: Double, _ context: @autoclosure () -> String) throws -> Double {
    guard b != 0 else { throw SchedulerError("float modulo (\(context()))") }
    var r = fmod(a, b)
    if r != 0 {
      if (b < 0) != (r < 0) { r += b }
    } else {
      r = copysign(0, b)
    }
    return r
  }

  /// `a ** b` on floats (C's `pow`), throwing where Python does not return a float.
  static func power(_ a: Double, _ b: Double, _ context: @autoclosure () -> String) throws -> Double {
    if a == 0 && b < 0 {
      throw SchedulerError("0.0 cannot be raised to a negative power (\(context()))")
    }
    if a < 0 && b.isFinite && b.rounded(.towardZero) != b {
      // Python returns a complex number here, which no optimizer accepts as a rate.
      throw SchedulerError(
        "a negative number raised to a fractional power is complex (\(context()))")
    }
    return pow(a, b)
  }

  /// `bisect.bisect_right(a, x)`, step for step, so that an unsorted list gives Python's
  /// answer too.
  static func bisectRight(_ a: [Int], _ x: Int) -> Int {
    var lo = 0
    var hi = a.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if x < a[mid] { hi = mid } else { lo = mid + 1 }
    }
    return lo
  }

  /// Python's `max(a, b)`: `a` unless `b` is greater.
  static func max(_ a: Double, _ b: Double) -> Double { b > a ? b : a }

  /// `repr` of a float in messages.
  static func repr(_ value: Double) -> String {
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    if value.isNaN { return "nan" }
    return "\(value)"
  }
}
