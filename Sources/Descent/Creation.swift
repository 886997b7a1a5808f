extension Tensor {
  /// A tensor holding `values` with the given `shape` (default: one dimension).
  ///
  /// `dtype` defaults to `float32`, like `torch.tensor` of Python floats. The element
  /// count must equal the product of `shape`.
  public convenience init(
    _ values: [Double], shape: [Int]? = nil, dtype: DType = .float32, requiresGrad: Bool = false
  ) {
    self.init(elements: values, shape: shape, dtype: dtype)
    if requiresGrad { self.requiresGrad = true }
  }

  /// A `float32` (by default) tensor holding `values`.
  public convenience init(
    _ values: [Float], shape: [Int]? = nil, dtype: DType = .float32, requiresGrad: Bool = false
  ) {
    self.init(elements: values, shape: shape, dtype: dtype)
    if requiresGrad { self.requiresGrad = true }
  }

  /// An `int64` (by default) tensor holding `values`, e.g. class indices.
  public convenience init(_ values: [Int], shape: [Int]? = nil, dtype: DType = .int64) {
    self.init(elements: values, shape: shape, dtype: dtype)
  }

  /// A `bool` tensor holding `values`, e.g. a mask for ``where(_:_:_:)-(_,Tensor,Tensor)``.
  public convenience init(_ values: [Bool], shape: [Int]? = nil) {
    self.init(elements: values, shape: shape, dtype: .bool)
  }

  /// A `uint8` (by default) tensor holding `values`: storage for bytes such as the codes of
  /// 8-bit optimizer state (`torch.tensor(values, dtype=torch.uint8)`).
  public convenience init(_ values: [UInt8], shape: [Int]? = nil, dtype: DType = .uint8) {
    self.init(elements: values, shape: shape, dtype: dtype)
  }

  /// A zero-dimensional tensor holding one value.
  public convenience init(scalar value: Double, dtype: DType = .float32, requiresGrad: Bool = false) {
    self.init(elements: [value], shape: [], dtype: dtype)
    if requiresGrad { self.requiresGrad = true }
  }

  convenience init<E: TensorElement>(elements values: [E], shape: [Int]?, dtype: DType) {
    let shape = shape ?? [values.count]
    require(
      shape.reduce(1, *) == values.count,
      "Tensor: shape \(shape) is invalid for input of size \(values.count)")
    self.init(uninitializedShape: shape, dtype: dtype)
    values.withUnsafeBufferPointer { buffer in
      if E.naturalDType == dtype {
        storage.base.copyMemory(from: buffer.baseAddress!, byteCount: buffer.count * dtype.byteSize)
      } else {
        fillConverting(buffer)
      }
    }
  }

  private func fillConverting<E: TensorElement>(_ buffer: UnsafeBufferPointer<E>) {
    func write<D: TensorElement>(_: D.Type) {
      let p = storage.pointer(as: D.self)
      for i in 0..<buffer.count { p[i] = D(elementValue: buffer[i].elementValue) }
    }
    switch dtype {
    case .float32: write(Float.self)
    case .float64: write(Double.self)
    case .int64: write(Int.self)
    case .bool: write(Bool.self)
    case .uint8: write(UInt8.self)
    case .bfloat16, .float16:
      // Through float32, rounded once more to half, as PyTorch's `tensor(..., dtype=)`.
      let wide = Tensor(uninitializedShape: shape, dtype: .float32)
      let p = wide.storage.pointer(as: Float.self)
      for i in 0..<buffer.count { p[i] = Float(buffer[i].elementValue) }
      copyElements(from: wide)
    }
  }

  // MARK: Constant fills

  /// A tensor of zeros (`torch.zeros`).
  public static func zeros(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false)
    -> Tensor
  {
    Tensor(zeroedShape: shape, dtype: dtype).requiresGrad(requiresGrad)
  }

  /// A tensor of ones (`torch.ones`).
  public static func ones(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false)
    -> Tensor
  {
    full(shape, 1, dtype: dtype, requiresGrad: requiresGrad)
  }

  /// A tensor filled with `value` (`torch.full`).
  public static func full(
    _ shape: [Int], _ value: Double, dtype: DType = .float32, requiresGrad: Bool = false
  ) -> Tensor {
    let t = Tensor(uninitializedShape: shape, dtype: dtype)
    t.fillStorage(value)
    return t.requiresGrad(requiresGrad)
  }

  /// Zeros with the shape and dtype of `other` (`torch.zeros_like`).
  public static func zerosLike(_ other: Tensor, dtype: DType? = nil) -> Tensor {
    zeros(other.shape, dtype: dtype ?? other.dtype)
  }

  /// Ones with the shape and dtype of `other` (`torch.ones_like`).
  public static func onesLike(_ other: Tensor, dtype: DType? = nil) -> Tensor {
    ones(other.shape, dtype: dtype ?? other.dtype)
  }

  /// `value` with the shape and dtype of `other` (`torch.full_like`).
  public static func fullLike(_ other: Tensor, _ value: Double, dtype: DType? = nil) -> Tensor {
    full(other.shape, value, dtype: dtype ?? other.dtype)
  }

  /// Values `start, start + step, ...` below `end` (`torch.arange`).
  public static func arange(
    _ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .float32
  ) -> Tensor {
    require(step != 0, "arange: step must be nonzero")
    require(
      (step > 0 && end >= start) || (step < 0 && end <= start),
      "arange: upper bound and larger bound inconsistent with step sign")
    let n = Int(((end - start) / step).rounded(.up))
    // PyTorch computes start + step * i in double with a fused multiply-add.
    return Tensor(
      elements: (0..<n).map { start.addingProduct(step, Double($0)) }, shape: [n], dtype: dtype)
  }

  /// Integer values `0..<end` as `int64` (`torch.arange(end)`).
  public static func arange(_ end: Int) -> Tensor {
    Tensor(Array(0..<end))
  }

  /// `steps` evenly spaced values from `start` to `end` inclusive (`torch.linspace`).
  ///
  /// As in PyTorch, the step `(end - start) / (steps - 1)` is computed in the output's
  /// precision, the first half is filled forward from `start` and the second half
  /// backward from `end`, so both endpoints are exact.
  public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32)
    -> Tensor
  {
    require(steps >= 0, "linspace: number of steps must be non-negative")
    if steps == 1 { return full([1], start, dtype: dtype) }
    func values<T: TensorScalar>(_: T.Type) -> [Double] {
      let s = T(start)
      let e = T(end)
      let step = (e - s) / T(steps - 1)
      let half = steps / 2
      // Fused multiply-adds, as PyTorch's kernel is compiled on x86-64.
      return (0..<steps).map { i in
        Double(i < half ? s.addingProduct(step, T(i)) : e.addingProduct(-step, T(steps - 1 - i)))
      }
    }
    let v = dtype == .float64 ? values(Double.self) : values(Float.self)
    return Tensor(elements: v, shape: [steps], dtype: dtype)
  }

  /// The identity matrix (`torch.eye`), `n × m` (`m` defaults to `n`).
  public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) -> Tensor {
    let m = m ?? n
    let t = zeros([n, m], dtype: dtype)
    for i in 0..<Swift.min(n, m) { t.setElement(1, at: i * m + i) }
    return t
  }

  // MARK: Random

  /// Uniform samples in `[0, 1)` (`torch.rand`); `requiresGrad` makes the result a leaf
  /// that requires grad, as `requires_grad=True` does.
  public static func rand(
    _ shape: [Int], dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false
  ) -> Tensor {
    uniform(shape, low: 0, high: 1, dtype: dtype, generator: generator).requiresGrad(requiresGrad)
  }

  /// Uniform samples in `[low, high)` (`torch.empty(...).uniform_(low, high)`).
  public static func uniform(
    _ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
    generator: Generator? = nil
  ) -> Tensor {
    let t = Tensor(uninitializedShape: shape, dtype: dtype)
    t.fillUniform(low: low, high: high, generator: generator)
    return t
  }

  /// Standard-normal samples (`torch.randn`); `requiresGrad` makes the result a leaf that
  /// requires grad, as `requires_grad=True` does.
  public static func randn(
    _ shape: [Int], dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false
  ) -> Tensor {
    normal(shape, mean: 0, std: 1, dtype: dtype, generator: generator).requiresGrad(requiresGrad)
  }

  /// Normal samples with the given mean and standard deviation (`torch.normal`).
  public static func normal(
    _ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
    generator: Generator? = nil
  ) -> Tensor {
    let t = Tensor(uninitializedShape: shape, dtype: dtype)
    t.fillNormal(mean: mean, std: std, generator: generator)
    return t
  }

  /// Uniform integers in `low..<high` as `int64` (`torch.randint`).
  public static func randint(
    _ low: Int = 0, _ high: Int, shape: [Int], generator: Generator? = nil
  ) -> Tensor {
    require(low < high, "random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)")
    let n = shape.reduce(1, *)
    let values = (generator ?? .default).withStream { stream in
      (0..<n).map { _ in low + stream.nextInt(below: high - low) }
    }
    return Tensor(values, shape: shape)
  }

  /// A random permutation of `0..<n` as `int64` (`torch.randperm`).
  public static func randperm(_ n: Int, generator: Generator? = nil) -> Tensor {
    require(n >= 0, "randperm: n must be non-negative, got \(n)")
    var values = Array(0..<n)
    (generator ?? .default).withStream { stream in
      if n > 1 {
        for i in stride(from: n - 1, to: 0, by: -1) {
          values.swapAt(i, stream.nextInt(below: i + 1))
        }
      }
    }
    return Tensor(values)
  }

  // MARK: In-place fills (no autograd; used by init functions and optimizers)

  /// Fills with uniform samples in `[low, high)` in place (`uniform_`).
  @discardableResult
  public func fillUniform(low: Double = 0, high: Double = 1, generator: Generator? = nil) -> Tensor {
    checkInPlace("uniform_")
    let n = count
    let width = high - low
    // float32 draws use 24 random bits, so `rand` never rounds up to 1.
    let single = dtype != .float64
    let values: [Double] = (generator ?? .default).withStream { stream in
      (0..<n).map { _ in low + width * (single ? Double(stream.nextFloat()) : stream.nextDouble()) }
    }
    assignElements(values)
    return self
  }

  /// Fills with normal samples in place (`normal_`).
  @discardableResult
  public func fillNormal(mean: Double = 0, std: Double = 1, generator: Generator? = nil) -> Tensor {
    checkInPlace("normal_")
    let n = count
    let values: [Double] = (generator ?? .default).withStream { stream in
      var out = [Double]()
      out.reserveCapacity(n + 1)
      while out.count < n {
        let (a, b) = stream.nextNormalPair()
        out.append(mean + std * a)
        out.append(mean + std * b)
      }
      return Array(out.prefix(n))
    }
    assignElements(values)
    return self
  }

  /// Writes `values` (row-major over this tensor's shape) into its elements, converting.
  func assignElements(_ values: [Double]) {
    require(values.count == count, "assignElements: \(values.count) values for shape \(shape)")
    copyInPlace(from: Tensor(values, shape: shape, dtype: .float64), recordsGraph: false)
  }
}
