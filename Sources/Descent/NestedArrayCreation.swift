/// Values that nested Swift arrays of them make a tensor from: `Double`, `Float`, `Int`,
/// `Bool`, and arrays of these, to any depth (`Tensor([[1, 2], [3, 4]])`).
public protocol TensorLiteralValue {
  /// The dtype of a tensor made of these values when none is given: `float32` for `Double`
  /// and `Float` (PyTorch's default dtype for Python floats), `int64` for `Int`, `bool` for
  /// `Bool`.
  static var literalDType: DType { get }
  /// Appends the scalars in row-major order, recording each dimension's length at its first
  /// occurrence and checking every later one against it.
  func appendElements(to values: inout [Double], shape: inout [Int], depth: Int)
}

extension Double: TensorLiteralValue {
  public static var literalDType: DType { .float32 }
  public func appendElements(to values: inout [Double], shape: inout [Int], depth: Int) {
    values.append(self)
  }
}

extension Float: TensorLiteralValue {
  public static var literalDType: DType { .float32 }
  public func appendElements(to values: inout [Double], shape: inout [Int], depth: Int) {
    values.append(Double(self))
  }
}

extension Int: TensorLiteralValue {
  public static var literalDType: DType { .int64 }
  public func appendElements(to values: inout [Double], shape: inout [Int], depth: Int) {
    values.append(Double(self))
  }
}

extension Bool: TensorLiteralValue {
  public static var literalDType: DType { .bool }
  public func appendElements(to values: inout [Double], shape: inout [Int], depth: Int) {
    values.append(self ? 1 : 0)
  }
}

extension Array: TensorLiteralValue where Element: TensorLiteralValue {
  public static var literalDType: DType { Element.literalDType }

  /// Stops with PyTorch's `ValueError` for ragged input: "expected sequence of length 2 at
  /// dim 1 (got 1)".
  public func appendElements(to values: inout [Double], shape: inout [Int], depth: Int) {
    if shape.count == depth {
      shape.append(count)
    } else {
      require(
        shape.count > depth && shape[depth] == count,
        "Tensor: expected sequence of length \(shape.count > depth ? shape[depth] : 0) at dim \(depth) (got \(count))"
      )
    }
    for element in self { element.appendElements(to: &values, shape: &shape, depth: depth + 1) }
  }
}

extension Tensor {
  /// A tensor from nested Swift arrays, its shape inferred from the nesting
  /// (`torch.tensor([[1, 2], [3, 4]])`): `Tensor([[1, 2], [3, 4]])` is `int64` `[2, 2]`,
  /// `Tensor([[1.5, 2], [3, 4]])` is `float32`.
  ///
  /// - Parameters:
  ///   - values: two or more levels of arrays of `Double`, `Float`, `Int` or `Bool`. Every
  ///     array at one depth must have the same length: ragged input stops with PyTorch's
  ///     message, "expected sequence of length 2 at dim 1 (got 1)".
  ///   - dtype: the result's dtype (default `nil`: float32 for floating values, int64 for
  ///     `Int`, bool for `Bool`, as PyTorch infers it).
  ///   - requiresGrad: make the tensor a leaf that requires grad (floating dtypes only).
  ///
  /// One-dimensional arrays use the initialisers taking `[Double]`, `[Float]`, `[Int]` and
  /// `[Bool]`, which accept a `shape:`.
  public convenience init<E: TensorLiteralValue>(
    _ values: [[E]], dtype: DType? = nil, requiresGrad: Bool = false
  ) {
    var flat: [Double] = []
    var shape: [Int] = []
    values.appendElements(to: &flat, shape: &shape, depth: 0)
    // Empty arrays stop the walk early; the missing trailing lengths are zero.
    while shape.count < 2 { shape.append(0) }
    self.init(elements: flat, shape: shape, dtype: dtype ?? E.literalDType)
    if requiresGrad { self.requiresGrad = true }
  }
}
