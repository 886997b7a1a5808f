// Batch norm in training on bfloat16/float16 inputs, as PyTorch's half CPU kernel computes
// it (see HalfLayerKernels.h); the Swift side is `BatchNorm1d.halfBatchNorm` in DescentNN.
// A channel's sums run over (sample, position) in order; the loops visit samples outermost
// so that memory is read in order, with one accumulator per channel.
#include <math.h>

#include "Common.h"
#include "HalfBits.h"

DESCENT_DISPATCH
void descent_half_batch_norm_forward(const descent_half_batch_norm *a, int64_t begin, int64_t end) {
  const int64_t channels = a->channels, length = a->length, count = a->batch * length;
  const int bf16 = a->bfloat16;
  float *sum = a->mean, *squares = a->unbiased_var;
  for (int64_t c = begin; c < end; c++) sum[c] = 0, squares[c] = 0;
  for (int64_t s = 0; s < a->batch; s++) {
    for (int64_t c = begin; c < end; c++) {
      const float *x = a->x + (s * channels + c) * length;
      float t = sum[c];
      for (int64_t l = 0; l < length; l++) t += x[l];
      sum[c] = t;
    }
  }
  for (int64_t c = begin; c < end; c++) sum[c] = sum[c] / (float)count;  // now the mean
  for (int64_t s = 0; s < a->batch; s++) {
    for (int64_t c = begin; c < end; c++) {
      const float *x = a->x + (s * channels + c) * length;
      const float mean = sum[c];
      float t = squares[c];
      for (int64_t l = 0; l < length; l++) {
        const float d = x[l] - mean;
        t += d * d;
      }
      squares[c] = t;
    }
  }
  for (int64_t c = begin; c < end; c++) {
    const float variance_sum = bf16 ? descent_round_half(squares[c], 1) : squares[c];
    const float invstd = descent_round_half(1.0f / sqrtf(variance_sum / (float)count + a->eps), bf16);
    const float saved_mean = descent_round_half(sum[c], bf16);
    a->saved_invstd[c] = invstd;
    a->saved_mean[c] = saved_mean;
    a->unbiased_var[c] = squares[c] / (float)(count - 1);
  }
  for (int64_t s = 0; s < a->batch; s++) {
    for (int64_t c = begin; c < end; c++) {
      const float alpha = a->saved_invstd[c] * (a->gamma ? a->gamma[c] : 1.0f);
      const float shift = (a->beta ? a->beta[c] : 0.0f) - a->saved_mean[c] * alpha;
      const float *x = a->x + (s * channels + c) * length;
      float *y = a->y + (s * channels + c) * length;
      for (int64_t l = 0; l < length; l++) y[l] = __builtin_fmaf(x[l], alpha, shift);
    }
  }
}

DESCENT_DISPATCH
void descent_half_batch_norm_backward(const descent_half_batch_norm_backward_args *a,
                                      int64_t begin, int64_t end) {
  const int64_t channels = a->channels, length = a->length, count = a->batch * length;
  float *sum = a->dbeta, *dot = a->dgamma;
  for (int64_t c = begin; c < end; c++) sum[c] = 0, dot[c] = 0;
  for (int64_t s = 0; s < a->batch; s++) {
    for (int64_t c = begin; c < end; c++) {
      const int64_t k = (s * channels + c) * length;
      const float mean = a->saved_mean[c];
      float t = sum[c], u = dot[c];
      for (int64_t l = 0; l < length; l++) {
        t += a->dy[k + l];
        u = __builtin_fmaf(a->x[k + l] - mean, a->dy[k + l], u);
      }
      sum[c] = t;
      dot[c] = u;
    }
  }
  for (int64_t s = 0; s < a->batch; s++) {
    for (int64_t c = begin; c < end; c++) {
      const float invstd = a->saved_invstd[c], mean = a->saved_mean[c];
      const float k = dot[c] * invstd * invstd / (float)count;
      const float grad_mean = sum[c] / (float)count;
      const float scale = invstd * (a->gamma ? a->gamma[c] : 1.0f);
      const int64_t o = (s * channels + c) * length;
      for (int64_t l = 0; l < length; l++) {
        a->dx[o + l] = (a->dy[o + l] - grad_mean - (a->x[o + l] - mean) * k) * scale;
      }
    }
  }
  for (int64_t c = begin; c < end; c++) dot[c] = dot[c] * a->saved_invstd[c];  // now dγ
}
