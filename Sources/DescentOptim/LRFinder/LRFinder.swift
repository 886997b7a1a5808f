import Descent
import Foundation

/// A learning-rate range test: Leslie Smith's ("Cyclical Learning Rates for Training Neural
/// Networks", 2017, section 3.3) as fastai's `lr_find` runs it.
///
/// The test trains for at most ``steps`` steps while the learning rate grows exponentially
/// from ``startLR`` towards ``endLR``, records each step's loss and its exponentially
/// smoothed value, and stops early once the smoothed loss exceeds ``divergenceFactor`` times
/// the lowest smoothed loss so far (or is not finite). Step `i` (from 0) runs with
///
/// ```
/// lr_i = startLR · (endLR / startLR)^(i / steps)
/// ```
///
/// on every parameter group. The smoothed loss is fastai's debiased exponential moving
/// average with `β = smoothing`:
///
/// ```
/// avg_i = β · avg_{i-1} + (1 − β) · loss_i,  avg_{-1} = 0
/// smoothed_i = avg_i / (1 − β^(i+1))
/// ```
///
/// Afterwards everything the test changed is put back bit for bit: the parameters' values
/// and gradients, the optimizer's state and hyperparameters (through ``Optimizer/stateDict()``
/// and ``Optimizer/loadStateDict(_:)``), and the values of the `preserving` tensors (buffers
/// that the forward pass updates, such as `BatchNorm1d`'s running statistics). Random
/// number generators that the loss closure draws from (a shuffling loader, dropout) are the
/// caller's: they advance.
///
/// ```swift
/// let optimizer = try Adam(model.parameters())
/// var batches = loader.makeIterator()
/// let test = try LRFinder().run(optimizer, preserving: model.buffers()) {
///   guard let batch = batches.next() else { batches = loader.makeIterator(); ... }
///   return criterion(model(batch["x"]!), batch["y"]!)
/// }
/// print(test.steepest?.lr, test.minimum?.suggestedLR)
/// ```
///
/// The closure returns the loss of the next batch (forward pass only); the finder zeroes the
/// gradients, calls `backward()` and steps the optimizer.
public struct LRFinder: Sendable {
  /// The first step's learning rate (default `1e-7`, fastai's).
  public let startLR: Double
  /// The rate the sweep heads for; step `steps` would run at it (default `10`, fastai's).
  public let endLR: Double
  /// Steps of the sweep, unless it stops early (default `100`, fastai's `num_it`).
  public let steps: Int
  /// `β` of the smoothed loss (default `0.98`, fastai's).
  public let smoothing: Double
  /// The sweep stops once the smoothed loss exceeds this many times its minimum
  /// (default `4`, fastai's).
  public let divergenceFactor: Double

  /// - Parameters:
  ///   - startLR: the first learning rate (default `1e-7`); positive.
  ///   - endLR: the rate the sweep heads for (default `10`); above `startLR`.
  ///   - steps: the number of steps (default `100`); at least 2.
  ///   - smoothing: `β` of the moving average (default `0.98`); in `[0, 1)`.
  ///   - divergenceFactor: stop when the smoothed loss exceeds this multiple of its minimum
  ///     (default `4`); above 1.
  /// - Throws: ``OptimizerError`` naming the first invalid value.
  public init(
    startLR: Double = 1e-7, endLR: Double = 10, steps: Int = 100, smoothing: Double = 0.98,
    divergenceFactor: Double = 4
  ) throws {
    guard startLR > 0, startLR.isFinite else {
      throw OptimizerError("LRFinder: startLR must be positive, got \(startLR)")
    }
    guard endLR > startLR, endLR.isFinite else {
      throw OptimizerError("LRFinder: endLR must exceed startLR (\(startLR)), got \(endLR)")
    }
    guard steps >= 2 else { throw OptimizerError("LRFinder: steps must be at least 2, got \(steps)") }
    guard smoothing >= 0, smoothing < 1 else {
      throw OptimizerError("LRFinder: smoothing must be in [0, 1), got \(smoothing)")
    }
    guard divergenceFactor > 1 else {
      throw OptimizerError("LRFinder: divergenceFactor must exceed 1, got \(divergenceFactor)")
    }
    self.startLR = startLR
    self.endLR = endLR
    self.steps = steps
    self.smoothing = smoothing
    self.divergenceFactor = divergenceFactor
  }

  /// The learning rate of step `index` (from 0): `startLR · (endLR / startLR)^(index / steps)`.
  public func learningRate(at index: Int) -> Double {
    startLR * Foundation.pow(endLR / startLR, Double(index) / Double(steps))
  }

  /// Runs the range test with `optimizer`, then restores the parameters, their gradients,
  /// the optimizer and `preserving`.
  ///
  /// - Parameters:
  ///   - optimizer: the optimizer to sweep; every group's `lr` is set at every step.
  ///   - preserving: other tensors that the closure changes in place and that must be put
  ///     back (default none): `model.buffers()` for a model with `BatchNorm1d`.
  ///   - loss: returns the loss of the next batch, a scalar that requires grad. It runs
  ///     with gradient recording on.
  /// - Returns: the learning rates and losses of every step that ran.
  /// - Throws: whatever `loss` or the optimizer's step throws, after restoring everything.
  public func run(
    _ optimizer: Optimizer, preserving: [Tensor] = [], loss: () throws -> Tensor
  ) throws -> LRRangeTest {
    let snapshot = Snapshot(optimizer, preserving: preserving)
    let result: Result<LRRangeTest, Error>
    do {
      result = .success(try sweep(optimizer, loss: loss))
    } catch {
      result = .failure(error)
    }
    try snapshot.restore()
    return try result.get()
  }

  private func sweep(_ optimizer: Optimizer, loss: () throws -> Tensor) throws -> LRRangeTest {
    var rates: [Double] = []
    var losses: [Double] = []
    var smoothed: [Double] = []
    var average = 0.0
    var best = Double.infinity
    var diverged = false
    for index in 0..<steps {
      let lr = learningRate(at: index)
      for group in optimizer.paramGroups.indices { optimizer.paramGroups[group].lr = lr }
      optimizer.zeroGrad()
      let value = try withGrad { () throws -> Double in
        let batchLoss = try loss()
        batchLoss.backward()
        return batchLoss.item()
      }
      try optimizer.step()
      average = smoothing * average + (1 - smoothing) * value
      let debiased = average / (1 - Foundation.pow(smoothing, Double(index + 1)))
      rates.append(lr)
      losses.append(value)
      smoothed.append(debiased)
      best = min(best, debiased)
      if !debiased.isFinite || debiased > divergenceFactor * best {
        diverged = true
        break
      }
    }
    return LRRangeTest(
      learningRates: rates, losses: losses, smoothedLosses: smoothed, plannedSteps: steps,
      diverged: diverged)
  }
}

/// Everything a range test changes, copied before it starts.
private struct Snapshot {
  let optimizer: Optimizer
  let params: [(tensor: Tensor, value: Tensor, grad: Tensor?)]
  let state: OptimizerStateDict
  let preserved: [(tensor: Tensor, value: Tensor)]

  init(_ optimizer: Optimizer, preserving: [Tensor]) {
    self.optimizer = optimizer
    state = optimizer.stateDict()
    (params, preserved) = withNoGrad {
      (
        optimizer.paramGroups.flatMap(\.params).map { ($0, $0.detach().clone(), $0.grad?.detach().clone()) },
        preserving.map { ($0, $0.detach().clone()) }
      )
    }
  }

  func restore() throws {
    withNoGrad {
      for (tensor, value, grad) in params {
        tensor.copyInPlace(from: value)
        tensor.grad = grad
      }
      for (tensor, value) in preserved { tensor.copyInPlace(from: value) }
    }
    try optimizer.loadStateDict(state)
  }
}
