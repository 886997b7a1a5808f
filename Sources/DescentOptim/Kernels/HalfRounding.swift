import CDescentKernels
import Descent

/// One float32 value rounded to bfloat16 or float16 and widened back, by the conversions
/// the half tensors use (round to nearest even, PyTorch's bits): for the forms that round
/// element by element, where PyTorch's for-loop rounds after each op.
enum HalfRounding {
  static func round(_ x: Float, to dtype: DType) -> Float {
    var wide = x
    var bits: UInt16 = 0
    var back: Float = 0
    switch dtype {
    case .bfloat16:
      descent_bf16_from_f32(&wide, &bits, 1)
      descent_f32_from_bf16(&bits, &back, 1)
    case .float16:
      descent_f16_from_f32(&wide, &bits, 1)
      descent_f32_from_f16(&bits, &back, 1)
    default:
      return x
    }
    return back
  }
}
