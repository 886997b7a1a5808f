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
// Channels whose per-channel constants are computed once and kept on the stack while the
// samples are visited in memory order.
#define CHANNEL_BLOCK 256

// Σ over samples and positions of channel c of a 3-d input, in the order of PyTorch's
// contiguous path: per sample, whole vectors of 2·lanes positions go to the lane accumulators
// (first half, then second half), the positions past the last whole vector to a scalar sum;
// the lanes are then added to the scalar sum one after another. ACC(acc, k) adds element k.
#define CONTIGUOUS_SUM(out, a, lanes, c, ACC)                                                  \
  do {                                                                                         \
    float lane_[MAX_LANES] = {0}, scalar_ = 0;                                                 \
    const int64_t width_ = 2 * (int64_t)(lanes), whole_ = (a)->length - (a)->length % width_; \
    for (int64_t s_ = 0; s_ < (a)->batch; s_++) {                                              \
      const int64_t o_ = (s_ * (a)->channels + (c)) * (a)->length;                             \
      int64_t l_ = 0;                                                                          \
      for (; l_ < whole_; l_ += width_) {                                                      \
        for (int k_ = 0; k_ < (lanes); k_++) lane_[k_] = ACC(lane_[k_], o_ + l_ + k_);         \
        for (int k_ = 0; k_ < (lanes); k_++) lane_[k_] = ACC(lane_[k_], o_ + l_ + (lanes) + k_); \
      }                                                                                        \
      for (; l_ < (a)->length; l_++) scalar_ = ACC(scalar_, o_ + l_);                          \
    }                                                                                          \
    float lanes_sum_ = lane_[0];                                                               \
    for (int k_ = 1; k_ < (lanes); k_++) lanes_sum_ = lanes_sum_ + lane_[k_];                  \
    (out) = scalar_ + lanes_sum_;                                                              \
  } while (0)

DESCENT_DISPATCH
void descent_half_batch_norm_forward(const descent_half_batch_norm *a, int64_t begin, int64_t end) {
  const int64_t channels = a->channels, length = a->length, count = a->batch * length;
  const int bf16 = a->bfloat16, lanes = a->float_lanes;
  float *mean = a->mean, *squares = a->unbiased_var;
  if (length == 1) {
    for (int64_t c = begin; c < end; c++) mean[c] = 0, squares[c] = 0;
    for (int64_t s = 0; s < a->batch; s++) {
      for (int64_t c = begin; c < end; c++) mean[c] = mean[c] + a->x[s * channels + c];
    }
    for (int64_t c = begin; c < end; c++) {
      mean[c] = mean[c] / (float)count;
      a->saved_mean[c] = descent_round_half(mean[c], bf16);
    }
    // bfloat16 subtracts the mean as bfloat16 (PyTorch's param_t), float16 as float32.
    const float *subtracted = bf16 ? a->saved_mean : mean;
    for (int64_t s = 0; s < a->batch; s++) {
      for (int64_t c = begin; c < end; c++) {
        const float d = a->x[s * channels + c] - subtracted[c];
        squares[c] = __builtin_fmaf(d, d, squares[c]);
      }
    }
  } else {
#define ADD_X(acc, k) ((acc) + a->x[k])
#define SQUARE_X(acc, k) __builtin_fmaf(a->x[k] - m, a->x[k] - m, (acc))
    for (int64_t c = begin; c < end; c++) {
      CONTIGUOUS_SUM(mean[c], a, lanes, c, ADD_X);
      mean[c] = mean[c] / (float)count;
      a->saved_mean[c] = descent_round_half(mean[c], bf16);
      const float m = mean[c];
      CONTIGUOUS_SUM(squares[c], a, lanes, c, SQUARE_X);
    }
#undef SQUARE_X
#undef ADD_X
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
    a->unbiased_var[c] = unbiased;
  }
  for (int64_t c0 = begin; c0 < end; c0 += CHANNEL_BLOCK) {
    const int64_t c1 = c0 + CHANNEL_BLOCK < end ? c0 + CHANNEL_BLOCK : end;
    float alpha[CHANNEL_BLOCK], shift[CHANNEL_BLOCK];
    for (int64_t c = c0; c < c1; c++) {
      alpha[c - c0] = a->saved_invstd[c] * (a->gamma ? a->gamma[c] : 1.0f);
      shift[c - c0] = (a->beta ? a->beta[c] : 0.0f) - a->saved_mean[c] * alpha[c - c0];
    }
    for (int64_t s = 0; s < a->batch; s++) {
      for (int64_t c = c0; c < c1; c++) {
        const float *x = a->x + (s * channels + c) * length;
        float *y = a->y + (s * channels + c) * length;
        for (int64_t l = 0; l < length; l++) y[l] = __builtin_fmaf(x[l], alpha[c - c0], shift[c - c0]);
      }
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
#define ADD_DY(acc, k) ((acc) + a->dy[k])
#define DOT(acc, k) __builtin_fmaf(a->x[k] - m, a->dy[k], (acc))
    for (int64_t c = begin; c < end; c++) {
      const float m = a->saved_mean[c];
      CONTIGUOUS_SUM(sum[c], a, lanes, c, ADD_DY);
      CONTIGUOUS_SUM(dot[c], a, lanes, c, DOT);
    }
#undef DOT
#undef ADD_DY
  }
  for (int64_t c0 = begin; c0 < end; c0 += CHANNEL_BLOCK) {
    const int64_t c1 = c0 + CHANNEL_BLOCK < end ? c0 + CHANNEL_BLOCK : end;
    float k[CHANNEL_BLOCK], grad_mean[CHANNEL_BLOCK];
    for (int64_t c = c0; c < c1; c++) {
      const float invstd = a->saved_invstd[c];
      k[c - c0] = dot[c] * invstd * invstd / (float)count;
      grad_mean[c - c0] = sum[c] / (float)count;
    }
    for (int64_t s = 0; s < a->batch; s++) {
      for (int64_t c = c0; c < c1; c++) {
        const float invstd = a->saved_invstd[c], mean = a->saved_mean[c];
        const float w = a->gamma ? a->gamma[c] : 1.0f;
        const int64_t o = (s * channels + c) * length;
        for (int64_t l = 0; l < length; l++) {
          a->dx[o + l] =
              __builtin_fmaf(-(a->x[o + l] - mean), k[c - c0], a->dy[o + l] - grad_mean[c - c0]) * invstd * w;
        }
      }
    }
  }
  for (int64_t c = begin; c < end; c++) dot[c] = dot[c] * a->saved_invstd[c];  // now dγ
}
