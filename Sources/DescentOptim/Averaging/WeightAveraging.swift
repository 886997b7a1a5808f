import Descent

/// Running averages of a list of tensors: the tensor half of
/// `torch.optim.swa_utils.AveragedModel`, for stochastic weight averaging (SWA) and
/// exponential moving averages (EMA) of parameters that are not in a module.
///
/// ```swift
/// let ema = try AveragedTensors(parameters, multiAvgFn: getEMAMultiAvgFn(decay: 0.999))
/// for batch in loader {
///   ...
///   try optimizer.step()
///   try ema.update(from: parameters)
/// }
/// ```
///
/// The first ``update(from:)`` copies the values; later ones average, as
/// ``updateAverages(_:from:numAveraged:avgFn:multiAvgFn:)`` describes. (DescentSWA's
/// `AveragedModel` does the same for a module's parameters and buffers.)
public final class AveragedTensors {
  /// The averages, one per tensor given at creation: copies, detached.
  public let averaged: [Tensor]
  /// The number of values averaged so far (`n_averaged`).
  public private(set) var nAveraged = 0
  let avgFn: AverageFunction?
  let multiAvgFn: MultiAverageFunction?

  /// Starts averages of `tensors` (copied; their values are replaced by the first
  /// update's).
  ///
  /// - Parameters:
  ///   - avgFn: averages one tensor at a time (``getEMAAvgFn(decay:)``, ``getSWAAvgFn()``).
  ///   - multiAvgFn: averages the tensors of one dtype at once
  ///     (``getEMAMultiAvgFn(decay:)``, ``getSWAMultiAvgFn()``).
  ///   With neither, the average is equally weighted (SWA).
  /// - Throws: ``OptimizerError`` when both functions are given (PyTorch's message).
  public init(
    _ tensors: [Tensor], avgFn: AverageFunction? = nil, multiAvgFn: MultiAverageFunction? = nil
  ) throws {
    if avgFn != nil && multiAvgFn != nil {
      throw OptimizerError("Only one of avg_fn and multi_avg_fn should be provided")
    }
    averaged = withNoGrad { tensors.map { $0.detach().clone() } }
    self.avgFn = avgFn
    self.multiAvgFn = multiAvgFn
  }

  /// Averages `tensors` (the same number, shapes and dtypes as at creation) into
  /// ``averaged`` and counts one more value.
  ///
  /// - Throws: what the averaging function throws.
  public func update(from tensors: [Tensor]) throws {
    try updateAverages(averaged, from: tensors, numAveraged: nAveraged, avgFn: avgFn, multiAvgFn: multiAvgFn)
    nAveraged += 1
  }
}

/// One update of running averages: the tensor part of PyTorch's
/// `AveragedModel.update_parameters`, which DescentSWA's `AveragedModel` and
/// ``AveragedTensors`` run.
///
/// - With `numAveraged == 0`, each average becomes a copy of its current value.
/// - Otherwise, with `multiAvgFn`, it is called once per dtype with the averages and
///   current values of that dtype, in order of first appearance; with `avgFn`, each
///   average is replaced by `avgFn(average, current, numAveraged)`; with neither, each
///   becomes `average + (current − average) / (numAveraged + 1)` (``getSWAAvgFn()``, the
///   form PyTorch uses on the CPU).
///
/// Pairs beyond the shorter list are ignored, as PyTorch's `zip` does.
///
/// - Throws: what the averaging function throws.
public func updateAverages(
  _ averaged: [Tensor], from current: [Tensor], numAveraged: Int, avgFn: AverageFunction? = nil,
  multiAvgFn: MultiAverageFunction? = nil
) throws {
  let pairs = Array(zip(averaged, current))
  try withNoGrad {
    if numAveraged == 0 {
      for (average, value) in pairs { average.copyInPlace(from: value) }
      return
    }
    if let avgFn, multiAvgFn == nil {
      for (average, value) in pairs { average.copyInPlace(from: try avgFn(average, value, numAveraged)) }
      return
    }
    // Grouped by dtype, as `_group_tensors_by_device_and_dtype`.
    var order: [DType] = []
    var groups: [DType: (averaged: [Tensor], current: [Tensor])] = [:]
    for (average, value) in pairs {
      if groups[average.dtype] == nil {
        order.append(average.dtype)
        groups[average.dtype] = ([], [])
      }
      groups[average.dtype]!.averaged.append(average)
      groups[average.dtype]!.current.append(value)
    }
    let swa = getSWAAvgFn()
    for dtype in order {
      let (averages, values) = groups[dtype]!
      if let multiAvgFn {
        try multiAvgFn(averages, values, numAveraged)
      } else {
        for (average, value) in zip(averages, values) {
          average.copyInPlace(from: try swa(average, value, numAveraged))
        }
      }
    }
  }
}

/// The element loops behind the averaging functions.
enum WeightAveraging {
  /// `average.lerp_(value, weight)` with PyTorch's rounding (``ElementOps/lerp(_:_:weight:)``).
  static func lerp(_ average: Tensor, _ value: Tensor, weight: Double) {
    let source =
      value.isContiguous && value.dtype == average.dtype ? value : value.to(dtype: average.dtype).contiguous()
    func run<T: TensorScalar>(_: T.Type) {
      let w = T(weight)
      withExtendedLifetime((average, source)) {
        let a = average.rawPointer(T.self)
        let m = source.rawPointer(T.self)
        parallelChunks(average.count) { range in
          for i in range { a[i] = ElementOps.lerp(a[i], m[i], weight: w) }
        }
      }
    }
    if average.dtype.isReducedPrecision {
      // Half averages: `lerp_` computed in float32, rounded once, as PyTorch's.
      withNoGrad { _ = average.lerpInPlace(source, weight: weight) }
    } else if average.dtype == .float32 {
      run(Float.self)
    } else {
      run(Double.self)
    }
  }

  /// A new tensor from `f(average, value)` elementwise: in the dtype of floating tensors,
  /// in float32 for integer ones (Python floats promote int64 tensors to float32).
  static func map(
    _ average: Tensor, _ value: Tensor, float32: (Float, Float) -> Float,
    float64: (Double, Double) -> Double, integer: (Int, Int) -> Float
  ) -> Tensor {
    withNoGrad {
      let a = average.contiguous()
      let m = value.to(dtype: average.dtype).contiguous()
      switch average.dtype {
      case .float32:
        return Tensor(
          zip(a.asArray(Float.self), m.asArray(Float.self)).map { Double(float32($0, $1)) },
          shape: a.shape, dtype: .float32)
      case .float64:
        return Tensor(
          zip(a.asArray(Double.self), m.asArray(Double.self)).map { float64($0, $1) },
          shape: a.shape, dtype: .float64)
      default:
        return Tensor(
          zip(a.asArray(Int.self), m.asArray(Int.self)).map { Double(integer($0, $1)) },
          shape: a.shape, dtype: .float32)
      }
    }
  }
}
