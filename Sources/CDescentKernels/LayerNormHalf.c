// Layer norm on bfloat16/float16 inputs, as PyTorch's CPU kernel computes it (see
// HalfLayerKernels.h); the Swift side is `halfLayerNorm` in DescentNN.
#include <math.h>

#include "Common.h"
#include "HalfBits.h"

// PyTorch's `RowwiseMoments` (moments_utils.h) on a row of half values, in its roundings:
// Welford over chunks of 16 vectors per float lane, merged in a cascade (`AddMomentsVec`),
// then a scalar Welford tail and the merge of the lanes. `lanes` is Vectorized<float>'s size
// where PyTorch runs (8 on AVX2, 16 on AVX-512); a half vector holds 2·lanes values and is
// widened into two float vectors. PyTorch's builds contract `a += b·c` into fmas (GCC's
// default), so those are fmas here.
#define MAX_LANES 16
#define MAX_DEPTH 64

typedef struct {
  int64_t m0;
  float m1[MAX_LANES], m2[MAX_LANES];
} moments;

// `AddMomentsVec` (torch 2.13): m1 + c·δ and fma(δ·m0, c·δ, m2 + m2_add), the product c·δ
// rounded once and used twice (so not contracted).
DESCENT_INLINE void add_moments(int lanes, int64_t m0_add, const float *m1_add, const float *m2_add,
                                moments *into) {
  const int64_t n = into->m0 + m0_add;
  const float c = n == 0 ? 0.0f : (float)m0_add / (float)n;
  const float old = (float)into->m0;
  for (int k = 0; k < lanes; k++) {
    const float delta = m1_add[k] - into->m1[k];
    const float m2_sum = into->m2[k] + m2_add[k];
    const float c_delta = c * delta;
    into->m1[k] = into->m1[k] + c_delta;
    into->m2[k] = __builtin_fmaf(delta * old, c_delta, m2_sum);
  }
  into->m0 = n;
}

// The scalar `AddMoments`, as compiled: m1 + c·δ and m2 + (m2_add + δ·δ·c·m0), the last
// product of each contracted into an fma.
DESCENT_INLINE void add_moments_scalar(int64_t m0_add, float m1_add, float m2_add, int64_t *m0, float *m1,
                                       float *m2) {
  const int64_t n = *m0 + m0_add;
  const float c = n == 0 ? 0.0f : (float)m0_add / (float)n;
  const float delta = m1_add - *m1;
  *m1 = __builtin_fmaf(c, delta, *m1);
  *m2 = *m2 + __builtin_fmaf(delta * delta * c, (float)*m0, m2_add);
  *m0 = n;
}

static int64_t ceil_log2(int64_t x) {
  if (x <= 2) return 1;
  return 64 - __builtin_clzll((uint64_t)(x - 1));
}

// Mean and biased variance of x[0 ..< count].
// Inlined with a constant `lanes` (8 or 16), so that the loops over the lanes vectorise.
DESCENT_INLINE void rowwise_moments(const float *x, int64_t count, const int lanes, float *mean,
                                    float *variance) {
  const int64_t half_lanes = 2 * (int64_t)lanes, chunk = 16;
  const int64_t n = count / half_lanes, m = (n + chunk - 1) / chunk, depth = ceil_log2(m);
  moments stack[MAX_DEPTH];
  for (int64_t d = 0; d < depth && d < MAX_DEPTH; d++) memset(&stack[d], 0, sizeof stack[d]);
  for (int64_t i = 0; i < m; i++) {
    const float *xi = x + i * chunk * half_lanes;
    const int64_t m0 = chunk < n - i * chunk ? chunk : n - i * chunk;
    for (int part = 0; part < 2; part++) {
      float m1[MAX_LANES] = {0}, m2[MAX_LANES] = {0};
      for (int64_t j = 0; j < m0; j++) {
        const float c = 1.0f / (float)(j + 1);
        const float *v = xi + j * half_lanes + part * lanes;
        for (int k = 0; k < lanes; k++) {
          const float delta = v[k] - m1[k];
          m1[k] = __builtin_fmaf(delta, c, m1[k]);
          m2[k] = __builtin_fmaf(delta, v[k] - m1[k], m2[k]);
        }
      }
      add_moments(lanes, m0, m1, m2, &stack[0]);
    }
    int64_t mask = i + 1;
    for (int64_t j = 1; j < depth && (mask & 1) == 0; j++) {
      add_moments(lanes, stack[j - 1].m0, stack[j - 1].m1, stack[j - 1].m2, &stack[j]);
      memset(&stack[j - 1], 0, sizeof stack[j - 1]);
      mask >>= 1;
    }
  }
  for (int64_t j = 1; j < depth; j++) add_moments(lanes, stack[j].m0, stack[j].m1, stack[j].m2, &stack[0]);
  int64_t m0 = 0;
  float m1 = 0, m2 = 0;
  for (int64_t i = n * half_lanes; i < count; i++) {
    const float delta = x[i] - m1;
    ++m0;
    m1 += delta / (float)m0;
    m2 = __builtin_fmaf(delta, x[i] - m1, m2);
  }
  // Each float lane holds 2n values.
  for (int k = 0; k < lanes; k++) add_moments_scalar(2 * n, stack[0].m1[k], stack[0].m2[k], &m0, &m1, &m2);
  *mean = m1;
  *variance = m2 / (float)count;
}

DESCENT_DISPATCH
void descent_half_layer_norm_forward(const descent_half_layer_norm *a, int64_t begin, int64_t end) {
  const int64_t n = a->n;
  const int bf16 = a->bfloat16;
  for (int64_t i = begin; i < end; i++) {
    const float *x = a->x + i * n;
    float *y = a->y + i * n;
    float mean, variance;
    if (a->float_lanes == 16) {
      rowwise_moments(x, n, 16, &mean, &variance);
    } else {
      rowwise_moments(x, n, 8, &mean, &variance);
    }
    const float rstd = 1.0f / sqrtf(variance + (float)a->eps);
    const float shift = -rstd * mean;
    const float *gamma = a->gamma, *beta = a->beta;
    if (gamma && beta) {
      for (int64_t j = 0; j < n; j++) y[j] = __builtin_fmaf(__builtin_fmaf(x[j], rstd, shift), gamma[j], beta[j]);
    } else if (gamma) {
      // PyTorch fills a missing β with zeros and still adds it: -0 becomes +0.
      for (int64_t j = 0; j < n; j++) y[j] = __builtin_fmaf(__builtin_fmaf(x[j], rstd, shift), gamma[j], 0.0f);
    } else if (beta) {
      for (int64_t j = 0; j < n; j++) y[j] = __builtin_fmaf(x[j], rstd, shift) + beta[j];
    } else {
      for (int64_t j = 0; j < n; j++) y[j] = __builtin_fmaf(x[j], rstd, shift) + 0.0f;
    }
    a->mean[i] = descent_round_half(mean, bf16);
    a->rstd[i] = descent_round_half(rstd, bf16);
  }
}

// PyTorch's `vec_reduce_all` of a float vector on x86: a shuffle tree, lane i + lane i + w/2,
// then i + w/4, ..., down to one lane.
DESCENT_INLINE float reduce_lanes(float *v, const int lanes) {
  for (int half = lanes / 2; half >= 1; half /= 2) {
    for (int i = 0; i < half; i++) v[i] = v[i] + v[i + half];
  }
  return v[0];
}

// Σ dy·x·γ (`ds`) and Σ dy·γ (`db`) of a row as PyTorch's reduced-type `map3_reduce_all` /
// `map2_reduce_all` compute them: per float lane, the first half vector's products, then
// `acc + product` contracted to fma for each further one, a row tail padded with zeros; the
// two float halves added lane by lane; then the shuffle tree. A row shorter than a whole
// vector is summed lane after lane instead (`vec_reduce_all` with a size).
DESCENT_INLINE void row_sums(const float *dy, const float *x, const float *gamma, int64_t n, const int lanes,
                            float *ds, float *db) {
  float s0[MAX_LANES] = {0}, s1[MAX_LANES] = {0}, b0[MAX_LANES] = {0}, b1[MAX_LANES] = {0};
  const int64_t width = 2 * (int64_t)lanes;
  for (int64_t d = 0; d < n; d += width) {
    for (int part = 0; part < 2; part++) {
      float *s = part ? s1 : s0, *b = part ? b1 : b0;
      for (int k = 0; k < lanes; k++) {
        const int64_t j = d + part * lanes + k;
        const float g = j < n ? dy[j] : 0.0f, xv = j < n ? x[j] : 0.0f;
        const float w = gamma ? (j < n ? gamma[j] : 0.0f) : 1.0f;
        if (d == 0) {
          s[k] = gamma ? g * xv * w : g * xv;
          b[k] = gamma ? g * w : g;
        } else {
          s[k] = gamma ? __builtin_fmaf(g * xv, w, s[k]) : __builtin_fmaf(g, xv, s[k]);
          b[k] = gamma ? __builtin_fmaf(g, w, b[k]) : b[k] + g;
        }
      }
    }
  }
  if (n < width) {
    // A single partial vector: the halves added where the second has values, then the
    // lanes summed in order (`vec_reduce_all` with a size).
    const int64_t used = n > lanes ? lanes : n;
    float ts = 0, tb = 0;
    for (int64_t k = 0; k < used; k++) {
      const float sk = k < n - lanes ? s0[k] + s1[k] : s0[k], bk = k < n - lanes ? b0[k] + b1[k] : b0[k];
      ts = k ? ts + sk : sk;
      tb = k ? tb + bk : bk;
    }
    *ds = ts;
    *db = tb;
    return;
  }
  for (int k = 0; k < lanes; k++) s0[k] = s0[k] + s1[k], b0[k] = b0[k] + b1[k];
  *ds = reduce_lanes(s0, lanes);
  *db = reduce_lanes(b0, lanes);
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
    float ds, db;
    if (a->float_lanes == 16) {
      row_sums(dy, x, gamma, n, 16, &ds, &db);
    } else {
      row_sums(dy, x, gamma, n, 8, &ds, &db);
    }
    // PyTorch's compiled forms (matched against its results): b·x is contracted into the
    // sum, and so are db·mean and -b·mean.
    const float b = __builtin_fmaf(db, mean, -ds) * r * r * r * scale;
    const float c = __builtin_fmaf(-b, mean, -(db * r * scale));
    if (gamma) {
      for (int64_t j = 0; j < n; j++) dx[j] = __builtin_fmaf(b, x[j], r * dy[j] * gamma[j]) + c;
    } else {
      for (int64_t j = 0; j < n; j++) dx[j] = __builtin_fmaf(b, x[j], r * dy[j]) + c;
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
        dgamma[j] = descent_round_half(__builtin_fmaf(dy[j], __builtin_fmaf(r, x[j], shift), dgamma[j]), bf16);
      }
    }
    if (dbeta) {
      for (int64_t j = begin; j < end; j++) dbeta[j] = descent_round_half(dbeta[j] + dy[j], bf16);
    }
  }
}
