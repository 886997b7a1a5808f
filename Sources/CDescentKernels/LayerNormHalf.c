// Layer norm on bfloat16/float16 inputs, as PyTorch's CPU kernel computes it (see
// HalfLayerKernels.h); the Swift side is `halfLayerNorm` in DescentNN.
#include <math.h>

#include "Common.h"
#include "HalfBits.h"

DESCENT_DISPATCH
void descent_half_layer_norm_forward(const descent_half_layer_norm *a, int64_t begin, int64_t end) {
  const int64_t n = a->n;
  const int bf16 = a->bfloat16;
  for (int64_t i = begin; i < end; i++) {
    const float *x = a->x + i * n;
    float *y = a->y + i * n;
    double sum = 0;
    for (int64_t j = 0; j < n; j++) sum += (double)x[j];
    const float mean = (float)(sum / (double)n);
    double squares = 0;
    for (int64_t j = 0; j < n; j++) {
      const double d = (double)x[j] - (double)mean;
      squares += d * d;
    }
    const float rstd = 1.0f / sqrtf((float)(squares / (double)n) + (float)a->eps);
    const float shift = -rstd * mean;
    const float *gamma = a->gamma, *beta = a->beta;
    if (gamma && beta) {
      for (int64_t j = 0; j < n; j++) y[j] = __builtin_fmaf(__builtin_fmaf(x[j], rstd, shift), gamma[j], beta[j]);
    } else if (gamma) {
      for (int64_t j = 0; j < n; j++) y[j] = __builtin_fmaf(x[j], rstd, shift) * gamma[j];
    } else if (beta) {
      for (int64_t j = 0; j < n; j++) y[j] = __builtin_fmaf(x[j], rstd, shift) + beta[j];
    } else {
      for (int64_t j = 0; j < n; j++) y[j] = __builtin_fmaf(x[j], rstd, shift);
    }
    a->mean[i] = descent_round_half(mean, bf16);
    a->rstd[i] = descent_round_half(rstd, bf16);
  }
}

DESCENT_DISPATCH
void descent_half_layer_norm_backward_dx(const descent_half_layer_norm_backward_args *a,
                                         int64_t begin, int64_t end) {
  const int64_t n = a->n;
  const float scale = (float)(1.0 / (double)n);
  const float *gamma = a->gamma;
  for (int64_t i = begin; i < end; i++) {
    const float *dy = a->dy + i * n, *x = a->x + i * n;
    float *dx = a->dx + i * n;
    const float r = a->rstd[i], mean = a->mean[i];
    float ds = 0, db = 0;
    for (int64_t j = 0; j < n; j++) {
      const float dyg = dy[j] * (gamma ? gamma[j] : 1.0f);
      ds += dyg * x[j];
      db += dyg;
    }
    const float b = (db * mean - ds) * r * r * r * scale;
    const float c = -b * mean - db * r * scale;
    if (gamma) {
      for (int64_t j = 0; j < n; j++) dx[j] = r * (dy[j] * gamma[j]) + b * x[j] + c;
    } else {
      for (int64_t j = 0; j < n; j++) dx[j] = r * (dy[j] * 1.0f) + b * x[j] + c;
    }
  }
}

DESCENT_DISPATCH
void descent_half_layer_norm_backward_affine(const descent_half_layer_norm_backward_args *a,
                                             int64_t begin, int64_t end) {
  const int64_t n = a->n;
  const int bf16 = a->bfloat16;
  float *dgamma = a->dgamma, *dbeta = a->dbeta;
  for (int64_t i = 0; i < a->rows; i++) {
    const float *dy = a->dy + i * n, *x = a->x + i * n;
    const float r = a->rstd[i], shift = -r * a->mean[i];
    if (dgamma) {
      for (int64_t j = begin; j < end; j++) {
        dgamma[j] = descent_round_half(dgamma[j] + dy[j] * (r * x[j] + shift), bf16);
      }
    }
    if (dbeta) {
      for (int64_t j = begin; j < end; j++) dbeta[j] = descent_round_half(dbeta[j] + dy[j], bf16);
    }
  }
}
