import ArgumentParser
import CBLAS
import CBenchKernels
import CDescentKernels
import Descent
import DescentOptim
import DescentWorkbench
import Dispatch
import Foundation

extension OptimizerSpec {
  /// What `descent bench optimizers` runs unless told otherwise: every optimizer in the
  /// registry with PyTorch's defaults, SGD with momentum 0.9 (its usual setting, and one
  /// with state).
  static var benchDefaults: [OptimizerSpec] {
    OptimizerKind.allCases.map { kind in
      kind == .sgd ? OptimizerSpec(kind, ["momentum": 0.9]) : OptimizerSpec(kind)
    }
  }
}

/// Bytes a step must read and write per parameter element: the parameter (read and written)
/// and the gradient (read), and each state tensor read and written once, at its own element
/// size, spread over the parameter's elements. Half-precision state moves half the bytes; an
/// 8-bit optimizer's uint8 codes one byte each way plus each block's float32 absmax (16.06
/// bytes for Adam8bit against 28 for Adam). Scalars (`step`) and the 8-bit maps (`qmap1`,
/// `qmap2`: 1 KiB each, in cache) are not counted.
func bytesPerElement(_ optimizer: Optimizer, _ param: Tensor) -> Double {
  let state = optimizer.state(for: param).filter { !$0.key.hasPrefix("qmap") && $0.value.rank > 0 }
  let stateBytes = state.values.reduce(0) { $0 + 2 * $1.count * $1.dtype.byteSize }
  return Double(3 * param.dtype.byteSize) + Double(stateBytes) / Double(param.count)
}

/// The 8-bit optimizers `descent bench optimizers` can time (they are outside the
/// registry, whose members PyTorch has).
enum EightBitChoice: String, ExpressibleByArgument, CaseIterable {
  case adam8bit, adamw8bit, none

  /// What is timed, and PyTorch's float32 fused counterpart beside it.
  var subject: BenchSubject? {
    switch self {
    case .adam8bit:
      BenchSubject(
        label: "adam8bit", make: { try Adam8bit($0, implementation: $1) },
        torch: OptimizerSpec(.adam), torchImpls: ["fused"], implementations: [.default])
    case .adamw8bit:
      BenchSubject(
        label: "adamw8bit", make: { try AdamW8bit($0, implementation: $1) },
        torch: OptimizerSpec(.adamw), torchImpls: ["fused"], implementations: [.default])
    case .none: nil
    }
  }
}

/// One optimizer of a benchmark run: how to make it and what PyTorch runs beside it.
struct BenchSubject {
  var label: String
  var make: ([Tensor], OptimizerImplementation) throws -> Optimizer
  /// PyTorch's optimizer timed beside it.
  var torch: OptimizerSpec
  /// PyTorch's implementations to time; `nil`: the command's `--torch-impls`.
  var torchImpls: [String]?
  /// Descent's implementations to time; `nil`: the command's `--implementations`.
  var implementations: [OptimizerImplementation]?

  /// A registry optimizer with its options, timed with every chosen implementation.
  init(_ spec: OptimizerSpec) {
    label = spec.label
    make = { try spec.make($0, implementation: $1) }
    // PyTorch keeps Adam's state in the parameter's dtype: it gets the spec without
    // Descent's state options.
    torch = OptimizerSpec(
      spec.kind, spec.options.filter { $0.key != "state_dtype" && $0.key != "state_rounding_seed" })
  }

  init(
    label: String, make: @escaping ([Tensor], OptimizerImplementation) throws -> Optimizer,
    torch: OptimizerSpec, torchImpls: [String]?, implementations: [OptimizerImplementation]?
  ) {
    self.label = label
    self.make = make
    self.torch = torch
    self.torchImpls = torchImpls
    self.implementations = implementations
  }
}

/// How the parameters are laid out: one tensor, or many equal small tensors.
struct BenchLayout: Hashable {
  var tensors: Int
  var elementsPerTensor: Int
  var total: Int { tensors * elementsPerTensor }
  var isSingle: Bool { tensors == 1 }
  var name: String { isSingle ? "single" : "many" }
  var label: String {
    isSingle ? formatCount(total) : "\(tensors)×\(formatCount(elementsPerTensor))"
  }
}

/// Parameters with gradients, filled with cheap pseudo-random values (parameters in
/// [-1, 1), gradients in [-1e-3, 1e-3)), shared by every optimizer of a case.
struct BenchParameters {
  let params: [Tensor]

  init(_ layout: BenchLayout, dtype: DType, seed: UInt64 = 0) {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ seed &* 0x1234_5678_9ABC
    params = (0..<layout.tensors).map { _ in
      let p = Tensor.zeros([layout.elementsPerTensor], dtype: dtype)
      let g = Tensor.zeros([layout.elementsPerTensor], dtype: dtype)
      fill(p, scale: 1, &state)
      fill(g, scale: 1e-3, &state)
      p.requiresGrad = true
      p.grad = g
      return p
    }
  }
}

private func fill(_ t: Tensor, scale: Double, _ state: inout UInt64) {
  func run<T: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<T>) {
    for i in 0..<t.count {
      // xorshift64*: plenty for benchmark data, and fast at 50M elements.
      state ^= state >> 12
      state ^= state << 25
      state ^= state >> 27
      let bits = (state &* 0x2545_F491_4F6C_DD1D) >> 11
      p[i] = T(scale * (Double(bits) / Double(1 << 53) * 2 - 1))
    }
  }
  if t.dtype == .float32 {
    t.withUnsafeMutablePointer(Float.self) { run($0) }
  } else if t.dtype == .float64 {
    t.withUnsafeMutablePointer(Double.self) { run($0) }
  } else {
    // Half precision: float32 values, rounded.
    let wide = Tensor.zeros(t.shape, dtype: .float32)
    fill(wide, scale: scale, &state)
    withNoGrad { _ = t.copyInPlace(from: wide) }
  }
}

/// The in-place streaming yardstick over the same number of elements as a case:
/// `y ← y + a·x` (12 bytes per float32 element), once through BLAS (`cblas_?axpy`,
/// which OpenBLAS runs on one thread at these sizes) and once through Descent's
/// vectorised kernel split across ``Descent/Threads/count`` threads. The faster of the two
/// is the bandwidth the optimizers are measured against.
final class BenchAxpy {
  let count: Int
  let dtype: DType
  private let x: Tensor
  private let y: Tensor

  /// `dtype` float32 or float64; a half-precision case is measured against the float32
  /// yardstick (GB/s are GB/s).
  init(count: Int, dtype: DType) {
    self.count = count
    self.dtype = dtype.isReducedPrecision ? .float32 : dtype
    let dtype = self.dtype
    var state: UInt64 = 42
    x = Tensor.zeros([count], dtype: dtype)
    y = Tensor.zeros([count], dtype: dtype)
    fill(x, scale: 1, &state)
    fill(y, scale: 1, &state)
  }

  /// Bytes one pass moves: read x and y, write y.
  var bytes: Double { Double(3 * count * dtype.byteSize) }

  func blas() -> Double {
    let n = count
    return timeMilliseconds {
      if dtype == .float32 {
        x.withUnsafePointer(Float.self) { px in
          y.withUnsafeMutablePointer(Float.self) { py in cblas_saxpy(blasint(n), 1e-7, px, 1, py, 1) }
        }
      } else {
        x.withUnsafePointer(Double.self) { px in
          y.withUnsafeMutablePointer(Double.self) { py in cblas_daxpy(blasint(n), 1e-7, px, 1, py, 1) }
        }
      }
    }
  }

  func threaded() -> Double {
    let n = count
    return timeMilliseconds {
      if dtype == .float32 {
        x.withUnsafePointer(Float.self) { px in
          y.withUnsafeMutablePointer(Float.self) { py in
            parallelChunks(n) { r in
              descent_axpy_f32(1e-7, px, py, Int64(r.lowerBound), Int64(r.upperBound))
            }
          }
        }
      } else {
        x.withUnsafePointer(Double.self) { px in
          y.withUnsafeMutablePointer(Double.self) { py in
            parallelChunks(n) { r in
              descent_axpy_f64(1e-7, px, py, Int64(r.lowerBound), Int64(r.upperBound))
            }
          }
        }
      }
    }
  }
}

@inline(__always)
func timeMilliseconds(_ body: () throws -> Void) rethrows -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}
