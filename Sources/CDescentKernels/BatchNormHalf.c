// Batch norm in training on bfloat16/float16 inputs, as PyTorch's reduced-precision CPU
// kernels compute it (see HalfLayerKernels.h); the Swift side is `BatchNorm1d.halfBatchNorm`
// in DescentNN. PyTorch takes two paths: a 2-d input is "channels last" (per channel, a
// sequential float sum over the samples), a 3-d input "contiguous" (per sample, vectors along
// the positions with one accumulator per float lane). Its builds contract `a += b·c` into
// fmas, so those are fmas here.
#include <math.h>

#include "Common.h"
#include "HalfBits.h"

#define MAX_LANES 16

// Σ over samples and positions of f(value at k) for channel c of a 3-d input, in the order of
// PyTorch's contiguous path: per sample, whole vectors of 2·lanes positions go to the lane
// accumulators (first half, then second half), the positions past the last whole vector to a
// scalar sum; the lanes are then added to the scalar sum one after another.
#define CONTIGUOUS_SUM(out, a, lanes, c, ACC_VEC, ACC_SCALAR)                            \
  do {                                                                                  \
    float lane_[MAX_LANES] = {0}, scalar_ = 0;                                          \
    const int64_t width_ = 2 * (int64_t)(lanes), whole_ = (a)->length - (a)->length % width_; \
    for (int64_t s_ = 0; s_ < (a)->batch; s_++) {                                       \
      const int64_t o_ = (s_ * (a)->channels + (c)) * (a)->length;                      \
      int64_t l_ = 0;                                                                   \
      for (; l_ < whole_; l_ += width_) {                                               \
        for (int k_ = 0; k_ < (lanes); k_++) lane_[k_] = ACC_VEC(lane_[k_], o_ + l_ + k_); \
        for (int k_ = 0; k_ < (lanes); k_++)                                            \
          lane_[k_] = ACC_VEC(lane_[k_], o_ + l_ + (lanes) + k_);                       \
      }                                                                                 \
      for (; l_ < (a)->length; l_++) scalar_ = ACC_SCALAR(scalar_, o_ + l_);            \
    }                                                                                   \
    float lanes_sum_ = lane_[0];                                                        \
    for (int k_ = 1; k_ < (lanes); k_++) lanes_sum_ = lanes_sum_ + lane_[k_];           \
    (out) = scalar_ + lanes_sum_;                                                       \
  } while (0)

DESCENT_DISPATCH
void descent_half_batch_norm_forward(const descent_half_batch_norm *a, int64_t begin, int64_t end) {
  const int64_t channels = a->channels, length = a->length, count = a->batch * length;
  const int bf16 = a->bfloat16, lanes = a->float_lanes;
  float *sum = a->mean, *squares = a->unbiased_var;
  if (length == 1) {
    for (int64_t c = begin; c < end; c++) sum[c] = 0, squares[c] = 0;
    for (int64_t s = 0; s < a->batch; s++) {
      for (int64_t c = begin; c < end; c++) sum[c] = sum[c] + a->x[s * channels + c];
    }
    for (int64_t c = begin; c < end; c++) sum[c] = sum[c] / (float)count;  // now the mean
    // bfloat16 keeps the mean as bfloat16 before subtracting it (PyTorch's param_t).
    for (int64_t s = 0; s < a->batch; s++) {
      for (int64_t c = begin; c < end; c++) {
        const float mean = bf16 ? descent_round_half(sum[c], 1) : sum[c];
        const float d = a->x[s * channels + c] - mean;
        squares[c] = __builtin_fmaf(d, d, squares[c]);
      }
    }
  } else {
    for (int64_t c = begin; c < end; c++) {
#define X_AT(k) a->x[k]
#define ADD_X(acc, k) ((acc) + X_AT(k))
      CONTIGUOUS_SUM(sum[c], a, lanes, c, ADD_X, ADD_X);
      sum[c] = sum[c] / (float)count;
      const float mean = sum[c];
#define SQUARE_X(acc, k) __builtin_fmaf(X_AT(k) - mean, X_AT(k) - mean, (acc))
      CONTIGUOUS_SUM(squares[c], a, lanes, c, SQUARE_X, SQUARE_X);
#undef SQUARE_X
#undef ADD_X
#undef X_AT
    }
  }
  // bfloat16 keeps the sum of squares as bfloat16 and divides in bfloat16 arithmetic (c10's
  // BFloat16 / int64_t), for the saved invstd and the unbiased variance alike.
  for (int64_t c = begin; c < end; c++) {
    float variance, unbiased;
    if (bf16) {
      const float variance_sum = descent_round_half(squares[c], 1);
      variance = descent_round_half(variance_sum / descent_round_half((float)count, 1), 1);
      unbiased = descent_round_half(variance_sum / descent_round_half((float)(count - 1), 1), 1);
    } else {
      variance = squares[c] / (float)count;
      unbiased = squares[c] / (float)(count - 1);
    }
    a->saved_invstd[c] = descent_round_half(1.0f / sqrtf(variance + a->eps), bf16);
    a->saved_mean[c] = descent_round_half(sum[c], bf16);
    a->unbiased_var[c] = unbiased;
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
  const int lanes = a->float_lanes;
  float *sum = a->dbeta, *dot = a->dgamma;
  if (length == 1) {
    for (int64_t c = begin; c < end; c++) sum[c] = 0, dot[c] = 0;
    for (int64_t s = 0; s < a->batch; s++) {
      for (int64_t c = begin; c < end; c++) {
        const int64_t k = s * channels + c;
        sum[c] = a->dy[k] + sum[c];
        dot[c] = __builtin_fmaf(a->x[k] - a->saved_mean[c], a->dy[k], dot[c]);
      }
    }
  } else {
    for (int64_t c = begin; c < end; c++) {
      const float mean = a->saved_mean[c];
#define ADD_DY(acc, k) ((acc) + a->dy[k])
#define DOT(acc, k) __builtin_fmaf(a->x[k] - mean, a->dy[k], (acc))
      CONTIGUOUS_SUM(sum[c], a, lanes, c, ADD_DY, ADD_DY);
      CONTIGUOUS_SUM(dot[c], a, lanes, c, DOT, DOT);
#undef DOT
#undef ADD_DY
    }
  }
  for (int64_t s = 0; s < a->batch; s++) {
    for (int64_t c = begin; c < end; c++) {
      const float invstd = a->saved_invstd[c], mean = a->saved_mean[c];
      const float k = dot[c] * invstd * invstd / (float)count;
      const float grad_mean = sum[c] / (float)count;
      const float w = a->gamma ? a->gamma[c] : 1.0f;
      const int64_t o = (s * channels + c) * length;
      for (int64_t l = 0; l < length; l++) {
        a->dx[o + l] = __builtin_fmaf(-(a->x[o + l] - mean), k, a->dy[o + l] - grad_mean) * invstd * w;
      }
    }
  }
  for (int64_t c = begin; c < end; c++) dot[c] = dot[c] * a->saved_invstd[c];  // now dγ
}
