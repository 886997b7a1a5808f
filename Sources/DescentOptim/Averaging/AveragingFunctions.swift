import Descent

/// An averaging function for one tensor (`avg_fn` of `torch.optim.swa_utils`): the new
/// average from the current average, the model's current value and the number of values
/// averaged so far. The result is copied into the average.
public typealias AverageFunction =
  (_ averaged: Tensor, _ current: Tensor, _ numAveraged: Int) throws -> Tensor

/// An averaging function for lists of tensors of one dtype (`multi_avg_fn`): updates the
/// averages in place from the current values and the number averaged so far.
public typealias MultiAverageFunction =
  (_ averaged: [Tensor], _ current: [Tensor], _ numAveraged: Int) throws -> Void

/// The exponential moving average over lists of tensors (`get_ema_multi_avg_fn`):
///
/// ```
/// W_ema ← decay · W_ema + (1 − decay) · W_model     as lerp(W_ema, W_model, 1 − decay)
/// ```
///
/// Floating tensors are updated with `lerp_` (PyTorch's rounding); integer ones (a
/// BatchNorm's `num_batches_tracked` under `useBuffers`) are computed in float32 and
/// truncated, as `p_ema.copy_(p_ema * decay + p_model * (1 - decay))` does.
///
/// - Parameter decay: the weight of the old average, in [0, 1] (default 0.999).
/// - Throws: ``OptimizerError`` with PyTorch's message for a decay outside [0, 1].
public func getEMAMultiAvgFn(decay: Double = 0.999) throws -> MultiAverageFunction {
  try checkDecay(decay)
  return { averaged, current, _ in
    guard let first = averaged.first else { return }
    withNoGrad {
      for (average, value) in zip(averaged, current) {
        if first.dtype.isFloatingPoint {
          WeightAveraging.lerp(average, value, weight: 1 - decay)
        } else {
          // p_ema * decay + p_model * (1 - decay): float32, copied back truncated.
          let result = WeightAveraging.map(
            average, value, float32: { a, _ in a }, float64: { a, _ in a },
            integer: { a, m in Float(a) * Float(decay) + Float(m) * Float(1 - decay) })
          average.copyInPlace(from: result)
        }
      }
    }
  }
}

/// The equally weighted running average over lists of tensors (`get_swa_multi_avg_fn`):
///
/// ```
/// W_swa ← lerp(W_swa, W_model, 1 / (n + 1))
/// ```
///
/// with the weight computed as PyTorch computes it from `n_averaged`, an int64 tensor: in
/// float32. (``AveragedTensors`` and `AveragedModel` use ``getSWAAvgFn()``'s form when no
/// function is given, as PyTorch does on the CPU.) Integer tensors are not supported, as
/// in PyTorch.
///
/// - Throws: the returned function throws PyTorch's message for integer tensors.
public func getSWAMultiAvgFn() -> MultiAverageFunction {
  { averaged, current, numAveraged in
    guard let first = averaged.first else { return }
    guard first.dtype.isFloatingPoint else {
      throw OptimizerError(
        "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes."
      )
    }
    // `1 / (num_averaged + 1)` of an int64 tensor is a float32 tensor.
    let weight = Double(1 / Float(numAveraged + 1))
    withNoGrad {
      for (average, value) in zip(averaged, current) {
        WeightAveraging.lerp(average, value, weight: weight)
      }
    }
  }
}

/// The exponential moving average of one tensor (`get_ema_avg_fn`):
/// `decay · W_ema + (1 − decay) · W_model`, each operation rounded to the tensor's dtype
/// (float32 for integer tensors, as Python floats promote them).
///
/// - Parameter decay: the weight of the old average, in [0, 1] (default 0.999).
/// - Throws: ``OptimizerError`` with PyTorch's message for a decay outside [0, 1].
public func getEMAAvgFn(decay: Double = 0.999) throws -> AverageFunction {
  try checkDecay(decay)
  return { average, value, _ in
    WeightAveraging.map(
      average, value, float32: { a, m in Float(decay) * a + Float(1 - decay) * m },
      float64: { a, m in decay * a + (1 - decay) * m },
      integer: { a, m in Float(decay) * Float(a) + Float(1 - decay) * Float(m) })
  }
}

/// The equally weighted running average of one tensor (`get_swa_avg_fn`):
/// `W_swa + (W_model − W_swa) / (n + 1)`, each operation rounded to the tensor's dtype
/// (the division of integer tensors is true division, in float32).
public func getSWAAvgFn() -> AverageFunction {
  { average, value, numAveraged in
    WeightAveraging.map(
      average, value, float32: { a, m in a + (m - a) / Float(numAveraged + 1) },
      float64: { a, m in a + (m - a) / Double(numAveraged + 1) },
      integer: { a, m in Float(a) + Float(m - a) / Float(numAveraged + 1) })
  }
}

private func checkDecay(_ decay: Double) throws {
  if decay < 0.0 || decay > 1.0 {
    throw OptimizerError(
      "Invalid decay value \(decay) provided. Please provide a value in [0,1] range.")
  }
}
