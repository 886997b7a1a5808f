// Embedding backward on bfloat16/float16 weights: PyTorch's `index_add_` on the half
// gradient, index after index, each addition rounded to the half type (see
// HalfLayerKernels.h), straight into the half gradient's bits. Columns are independent, so
// threads split them.
#include "Common.h"
#include "HalfBits.h"

DESCENT_DISPATCH
void descent_half_embedding_backward(const float *grad_output, const int64_t *indices,
                                     int64_t count, int64_t padding, int64_t width, uint16_t *grad,
                                     int32_t bfloat16, int64_t begin, int64_t end) {
  for (int64_t i = 0; i < count; i++) {
    const int64_t row = indices[i];
    if (row == padding) continue;
    const float *from = grad_output + i * width;
    uint16_t *to = grad + row * width;
    // A constant type in each loop, so that each vectorises.
    if (bfloat16) {
      for (int64_t c = begin; c < end; c++) to[c] = descent_narrow_half(descent_widen_half(to[c], 1) + from[c], 1);
    } else {
      for (int64_t c = begin; c < end; c++) to[c] = descent_narrow_half(descent_widen_half(to[c], 0) + from[c], 0);
    }
  }
}
