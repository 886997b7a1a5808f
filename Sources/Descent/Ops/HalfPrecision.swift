import CDescentKernels
import Foundation

// bfloat16 and float16 tensors: 16-bit storage, float32 arithmetic. Every op on them goes
// through the two helpers here: conversion (``Tensor/copyHalfElements(from:)``, called by
// every element copy) and ``Tensor/computeInOpmath(_:_:_:)``, which runs a float32 kernel on
// widened operands and rounds the result once. The conversions are the C ones in
// CDescentKernels (HalfConversion.c), bit for bit PyTorch's.

extension Tensor {
  /// Element copy when either side is bfloat16 or float16 (``copyElements(from:)``'s half
  /// branch). Widening goes half → float32 → destination, narrowing goes
  /// source → float32 → half: a float64 value is rounded twice, to float32 then to half,
  /// exactly as PyTorch converts float64 to bfloat16 and float16.
  func copyHalfElements(from source: Tensor) {
    if source.dtype == dtype {
      copySameWidthElements(from: source)
      return
    }
    if source.dtype.isReducedPrecision {
      let packed = source.isContiguous ? source : source.contiguousCopy()
      let target =
        dtype == .float32 && isContiguous ? self : Tensor(uninitializedShape: shape, dtype: .float32)
      Tensor.convertContiguous(packed, into: target)
      if target !== self { copyElements(from: target) }
      return
    }
    let wide: Tensor
    if source.dtype == .float32 && source.isContiguous {
      wide = source
    } else {
      wide = Tensor(uninitializedShape: shape, dtype: .float32)
      wide.copyElements(from: source)
    }
    if isContiguous {
      Tensor.convertContiguous(wide, into: self)
    } else {
      let packed = Tensor(uninitializedShape: shape, dtype: dtype)
      Tensor.convertContiguous(wide, into: packed)
      copySameWidthElements(from: packed)
    }
  }

  /// A strided copy of 16-bit elements between two tensors of the same half dtype.
  private func copySameWidthElements(from source: Tensor) {
    StridedLoop.with(
      shape: shape, operands: 2, stride: { k, d in k == 0 ? strides[d] : source.strides[d] }
    ) {
      parallelFor(
        $0.count,
        RawCopyTask(loop: $0, destination: pointer(UInt16.self), source: source.pointer(UInt16.self)))
    }
    withExtendedLifetime(source) {}
  }

  /// Converts between a contiguous float32 tensor and a contiguous half tensor of the same
  /// shape, in parallel chunks.
  private static func convertContiguous(_ source: Tensor, into destination: Tensor) {
    let task = HalfConversionTask(
      direction: HalfConversionTask.Direction(from: source.dtype, to: destination.dtype),
      source: UnsafeRawPointer(source.firstElementAddress),
      destination: destination.firstElementAddress)
    withExtendedLifetime((source, destination)) { parallelFor(source.count, task) }
  }

  /// The bits of `value` in `dtype` (bfloat16 or float16), rounded through float32.
  static func halfBits(_ value: Double, _ dtype: DType) -> UInt16 {
    var wide = Float(value)
    var bits: UInt16 = 0
    if dtype == .bfloat16 {
      descent_bf16_from_f32(&wide, &bits, 1)
    } else {
      descent_f16_from_f32(&wide, &bits, 1)
    }
    return bits
  }

  /// A backward `formula(g, saved)` as PyTorch's fused backward kernels compute it: for
  /// bfloat16 and float16 gradients in float32 and rounded once (the formula's ops, each
  /// rounding to half, would round several times); other dtypes as written.
  static func fusedBackward(_ g: Tensor, _ saved: Tensor, _ formula: (Tensor, Tensor) -> Tensor)
    -> Tensor
  {
    guard g.dtype.isReducedPrecision else { return formula(g, saved) }
    return formula(g.to(dtype: .float32), saved.to(dtype: .float32)).to(dtype: g.dtype)
  }

  /// This tensor in float32 if it is bfloat16 or float16, else itself. Records nothing.
  func widenedToOpmath() -> Tensor {
    guard dtype.isReducedPrecision else { return self }
    let out = Tensor(uninitializedShape: shape, dtype: .float32)
    out.copyElements(from: self)
    return out
  }

  /// Runs a float32 kernel for a half-precision `out`: `body` gets a float32 tensor of
  /// `out`'s shape (holding `out`'s values, for in-place updates) and the operands widened
  /// to float32; its result is rounded into `out` once. This is PyTorch's "opmath": half
  /// operands are computed in float32 and rounded on output.
  static func computeInOpmath(
    _ out: Tensor, _ operands: [Tensor], _ body: (_ out: Tensor, _ operands: [Tensor]) -> Void
  ) {
    let wide = operands.map { $0 === out ? $0 : $0.widenedToOpmath() }
    let wideOut = out.widenedToOpmath()
    body(wideOut, wide.map { $0 === out ? wideOut : $0 })
    out.copyElements(from: wideOut)
  }

  /// A new half-precision result of `dtype` computed in float32: `body` returns the float32
  /// result from float32 operands, which is rounded once.
  static func inOpmath(_ dtype: DType, _ body: () -> Tensor) -> Tensor {
    let wide = body()
    guard dtype != wide.dtype else { return wide }
    let out = Tensor(uninitializedShape: wide.shape, dtype: dtype)
    out.copyElements(from: wide)
    return out
  }
}

/// Copies 16-bit elements over a strided loop (destination, source).
struct RawCopyTask: RangeTask {
  let loop: StridedLoop
  let destination: UnsafeMutablePointer<UInt16>
  let source: UnsafeMutablePointer<UInt16>

  func run(_ range: Range<Int>) {
    loop.run(range) { offs, inc, n in
      let d = destination + offs[0]
      let s = source + offs[1]
      if inc[0] == 1 && inc[1] == 1 {
        d.update(from: s, count: n)
      } else {
        for i in 0..<n { d[i * inc[0]] = s[i * inc[1]] }
      }
    }
  }
}

/// One chunk of a contiguous float32 ↔ half conversion.
struct HalfConversionTask: RangeTask {
  enum Direction {
    case bfloat16FromFloat, floatFromBFloat16, float16FromFloat, floatFromFloat16

    init(from source: DType, to destination: DType) {
      switch (source, destination) {
      case (.float32, .bfloat16): self = .bfloat16FromFloat
      case (.bfloat16, .float32): self = .floatFromBFloat16
      case (.float32, .float16): self = .float16FromFloat
      case (.float16, .float32): self = .floatFromFloat16
      default: requirementFailure("half conversion: no direct conversion from \(source) to \(destination)")
      }
    }
  }

  let direction: Direction
  let source: UnsafeRawPointer
  let destination: UnsafeMutableRawPointer

  func run(_ range: Range<Int>) {
    let n = Int64(range.count)
    let i = range.lowerBound
    switch direction {
    case .bfloat16FromFloat:
      descent_bf16_from_f32(
        source.assumingMemoryBound(to: Float.self) + i,
        destination.assumingMemoryBound(to: UInt16.self) + i, n)
    case .float16FromFloat:
      descent_f16_from_f32(
        source.assumingMemoryBound(to: Float.self) + i,
        destination.assumingMemoryBound(to: UInt16.self) + i, n)
    case .floatFromBFloat16:
      descent_f32_from_bf16(
        source.assumingMemoryBound(to: UInt16.self) + i,
        destination.assumingMemoryBound(to: Float.self) + i, n)
    case .floatFromFloat16:
      descent_f32_from_f16(
        source.assumingMemoryBound(to: UInt16.self) + i,
        destination.assumingMemoryBound(to: Float.self) + i, n)
    }
  }
}

extension DType {
  /// `x` rounded to this dtype, as a value computed in it is stored: float32 and the half
  /// types round to nearest even (the half types through float32, as c10's conversions
  /// do), float64 keeps it. A `+ - * /` of two values of the dtype computed in Double and
  /// rounded here is what c10's `BFloat16`/`Half`/`float` arithmetic gives: Double holds
  /// the float32 result's double rounding harmlessly (53 ≥ 2·24 + 2).
  package func rounding(_ x: Double) -> Double {
    switch self {
    case .float32, .bfloat16, .float16: return Double(rounding(Float(x)))
    default: return x
    }
  }

  /// `x` rounded to this dtype, for float32 arithmetic (float64 keeps it). Inline and free
  /// of calls, because the kernels that follow PyTorch's half arithmetic (layer and batch
  /// norm, embedding backward, the for-loop optimizers' references) round after every
  /// operation. The same bits as the C conversions: bfloat16 by c10's
  /// `round_to_nearest_even` with NaN as 0xFFFF, float16 by the IEEE conversion.
  @inlinable package func rounding(_ x: Float) -> Float {
    switch self {
    case .bfloat16:
      if x.isNaN { return Float(bitPattern: 0xFFFF_0000) }
      let bits = x.bitPattern
      return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
    case .float16: return Float(Float16(x))
    default: return x
    }
  }
}
