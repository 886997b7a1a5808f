import Descent
import DescentOptim
import DescentWorkbench
import Foundation

/// The speed section of `descent compare`: each optimizer's step on one float32 tensor of
/// `params` elements, with `descent bench optimizers`' parameters (``BenchParameters``),
/// streaming yardstick (``BenchAxpy``) and timer, in its default implementation.
///
/// Each optimizer gets fresh parameters and `warmup` untimed steps (the first allocates the
/// state); then each of `steps` rounds times one step and one pass of both axpy kernels,
/// after `settleMs` of sleep so that the previous call's spinning threads are idle. The
/// yardstick is the faster kernel's median over all rounds.
func measureCompareSpeed(
  _ specs: [OptimizerSpec], params: Int, steps: Int = 7, warmup: Int = 3, settleMs: UInt32 = 20
) throws -> CompareReport.Speed {
  let layout = BenchLayout(tensors: 1, elementsPerTensor: params)
  var blasAxpy: [Double] = []
  var threadedAxpy: [Double] = []
  var measured: [(label: String, ms: Double, bytes: Double)] = []
  do {
    let axpy = BenchAxpy(count: params, dtype: .float32)
    for spec in specs {
      let parameters = BenchParameters(layout, dtype: .float32)
      let optimizer = try spec.make(parameters.params, implementation: .default)
      for _ in 0..<warmup { try optimizer.step() }
      var times: [Double] = []
      for _ in 0..<steps {
        usleep(settleMs * 1000)
        times.append(try timeMilliseconds { try optimizer.step() })
        usleep(settleMs * 1000)
        blasAxpy.append(axpy.blas())
        usleep(settleMs * 1000)
        threadedAxpy.append(axpy.threaded())
      }
      let bytes = bytesPerElement(optimizer, parameters.params[0]) * Double(params)
      measured.append((spec.label, median(times), bytes))
    }
  }
  let yardstickBytes = Double(3 * params * DType.float32.byteSize)
  let streamGBps = yardstickBytes / min(median(blasAxpy), median(threadedAxpy)) / 1e6
  return CompareReport.Speed(
    params: params, dtype: "float32", implementation: OptimizerImplementation.default.rawValue,
    threads: Threads.count, steps: steps, streamGBps: streamGBps,
    rows: measured.map { m in
      let gbps = m.bytes / m.ms / 1e6
      return CompareReport.SpeedRow(
        optimizer: m.label, medianMs: m.ms, gbps: gbps, fractionOfStream: gbps / streamGBps)
    })
}
