// 8-bit Adam (bitsandbytes' Adam8bit / AdamW8bit on the CPU, 0.50.2): per block of 256
// elements, dequantize both moments, update them and the parameter in float32 with
// torch's roundings, and requantize them, in one pass over the block (the block's state
// lives in two 1 KiB stack buffers between the update and the requantization).
#include <math.h>

#include "Common.h"

#define BLOCK 256
#define LUT_SIZE 65536

void descent_dynamic_map_lut(const float *code, uint8_t *lut) {
  float mid[255];
  for (int k = 0; k < 255; k++) mid[k] = 0.5f * (code[k] + code[k + 1]);
  int k = 0;
  for (int i = 0; i < LUT_SIZE; i++) {
    // -1.0f + (2.0f * i) / (kLUTSize - 1), each operation in float32.
    float value = -1.0f + (2.0f * (float)i) / 65535.0f;
    while (k < 255 && mid[k] < value) k++;
    lut[i] = (uint8_t)k;
  }
}

// Eight lanes: one AVX2 register (half of an AVX-512 one). Sixteen-lane vectors spill on
// AVX2 here, where a block keeps several of them live.
typedef float f32x8 __attribute__((ext_vector_type(8)));
typedef int32_t i32x8 __attribute__((ext_vector_type(8)));

typedef struct {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, eps, shrink;
  int decay;
} adam8bit_scalars;

// Macros rather than functions, so that no function passes a vector by value (which
// would depend on the clone's ABI).
#define LOAD8(p)                \
  ({                            \
    f32x8 v_;                   \
    memcpy(&v_, (p), sizeof v_); \
    v_;                         \
  })
#define STORE8(p, v)                \
  do {                              \
    f32x8 s_ = (v);                 \
    memcpy((p), &s_, sizeof s_);    \
  } while (0)

// Eight values of a map at eight codes (the 1 KiB map stays in L1).
#define LOOKUP8(map, codes)                                                              \
  ({                                                                                     \
    const uint8_t *c_ = (codes);                                                         \
    (f32x8){(map)[c_[0]], (map)[c_[1]], (map)[c_[2]], (map)[c_[3]],                      \
            (map)[c_[4]], (map)[c_[5]], (map)[c_[6]], (map)[c_[7]]};                     \
  })

// max over the lanes, NaN ignored (bitsandbytes' `std::max` and its sanitized `max_ps`).
#define HORIZONTAL_MAX(am)                                        \
  ({                                                              \
    f32x8 a_ = (am);                                              \
    float out_ = 0.0f;                                            \
    for (int k_ = 0; k_ < 8; k_++) out_ = a_[k_] > out_ ? a_[k_] : out_; \
    out_;                                                         \
  })

// bitsandbytes' quantizer (`avx2_quantize_8bit_block` and its scalar tail, which round
// alike): the table entry at trunc(((clamp(s·(1/absmax), -1, 1) + 1)·0.5)·65535 + 0.5),
// each step rounded in float32 (`max_ps(v, -1)` turns NaN into -1); a block whose absmax
// is 0 gets codes 0.
DESCENT_INLINE int32_t table_index(float x, float inv) {
  x = x * inv;
  x = x > -1.0f ? x : -1.0f;
  x = x < 1.0f ? x : 1.0f;
  return (int32_t)(((x + 1.0f) * 0.5f) * 65535.0f + 0.5f);
}


DESCENT_INLINE void quantize_full_block(const float *s, float absmax, const uint8_t *lut,
                                        uint8_t *codes) {
  if (absmax == 0.0f) {
    memset(codes, 0, BLOCK);
    return;
  }
  const float inv = 1.0f / absmax;
  int32_t index[BLOCK] __attribute__((aligned(32)));
  for (int j = 0; j < BLOCK; j += 8) {
    f32x8 x = LOAD8(s + j) * inv;
    x = x > -1.0f ? x : (f32x8)-1.0f;
    x = x < 1.0f ? x : (f32x8)1.0f;
    const i32x8 i = __builtin_convertvector(((x + 1.0f) * 0.5f) * 65535.0f + 0.5f, i32x8);
    memcpy(index + j, &i, sizeof i);
  }
  for (int j = 0; j < BLOCK; j++) codes[j] = lut[index[j]];
}

// One element of bitsandbytes' `_optimizer_update_8bit_blockwise_cpu` for "adam", in
// torch's roundings: m = m·β₁ + (1-β₁)·g (one fma, `add_` with alpha);
// v = v·β₂ + ((1-β₂)·g)·g (one fma, `addcmul_`); denom = sqrt(v)/bc2 + eps;
// θ = θ·(1 - lr·wd) if wd > 0; θ = θ + ((-lr/bc1)·m)/denom (`addcdiv_`).
#define ADAM8BIT_UPDATE(F, m, v, g, theta, s, nss, bc2, decay)                 \
  do {                                                                         \
    m = DESCENT_FMA(F, g, (s)->one_minus_beta1, m * (s)->beta1);               \
    v = DESCENT_FMA(F, (s)->one_minus_beta2 * g, g, v * (s)->beta2);           \
    const F denom_ = __builtin_elementwise_sqrt(v) / (bc2) + (s)->eps;         \
    if (decay) theta = theta * (s)->shrink;                                    \
    theta = theta + ((nss) * m) / denom_;                                      \
  } while (0)

// A whole block of 256: eight lanes at a time; the new moments wait in two 1 KiB buffers
// for their block's absmax, then are requantized.
DESCENT_INLINE void block8_full(const adam8bit_scalars *s, const descent_adam8bit_config *c,
                                float *p, const float *g, uint8_t *c1, uint8_t *c2, float *a1,
                                float *a2, float nss, float bc2, const int decay) {
  float m[BLOCK] __attribute__((aligned(32)));
  float v[BLOCK] __attribute__((aligned(32)));
  const float scale1 = *a1, scale2 = *a2;
  f32x8 max1 = 0.0f, max2 = 0.0f;
  for (int j = 0; j < BLOCK; j += 8) {
    const f32x8 gj = LOAD8(g + j);
    f32x8 mj = LOOKUP8(c->qmap1, c1 + j) * scale1;
    f32x8 vj = LOOKUP8(c->qmap2, c2 + j) * scale2;
    f32x8 theta = LOAD8(p + j);
    ADAM8BIT_UPDATE(f32x8, mj, vj, gj, theta, s, nss, bc2, decay);
    STORE8(p + j, theta);
    STORE8(m + j, mj);
    STORE8(v + j, vj);
    const f32x8 abs1 = __builtin_elementwise_abs(mj), abs2 = __builtin_elementwise_abs(vj);
    max1 = abs1 > max1 ? abs1 : max1;
    max2 = abs2 > max2 ? abs2 : max2;
  }
  *a1 = HORIZONTAL_MAX(max1);
  *a2 = HORIZONTAL_MAX(max2);
  quantize_full_block(m, *a1, c->lut1, c1);
  quantize_full_block(v, *a2, c->lut2, c2);
}

// A tensor's last, shorter block, element by element with the same roundings.
DESCENT_INLINE void block8_tail(const adam8bit_scalars *s, const descent_adam8bit_config *c,
                                float *p, const float *g, uint8_t *c1, uint8_t *c2, float *a1,
                                float *a2, float nss, float bc2, int64_t len) {
  float m[BLOCK], v[BLOCK];
  float max1 = 0.0f, max2 = 0.0f;
  for (int64_t j = 0; j < len; j++) {
    float mj = c->qmap1[c1[j]] * *a1, vj = c->qmap2[c2[j]] * *a2, theta = p[j];
    const float gj = g[j];
    ADAM8BIT_UPDATE(float, mj, vj, gj, theta, s, nss, bc2, s->decay);
    p[j] = theta;
    m[j] = mj;
    v[j] = vj;
    max1 = __builtin_fabsf(mj) > max1 ? __builtin_fabsf(mj) : max1;
    max2 = __builtin_fabsf(vj) > max2 ? __builtin_fabsf(vj) : max2;
  }
  *a1 = max1;
  *a2 = max2;
  const float inv1 = 1.0f / max1, inv2 = 1.0f / max2;
  for (int64_t j = 0; j < len; j++) {
    c1[j] = max1 == 0.0f ? 0 : c->lut1[table_index(m[j], inv1)];
    c2[j] = max2 == 0.0f ? 0 : c->lut2[table_index(v[j], inv2)];
  }
}

// bitsandbytes' `_optimizer_update_32bit_cpu` for "adam" (parameters under min_8bit_size):
// the same moments, then θ = θ·(1 - lr·wd) if wd > 0 and
// θ = θ + step_size·(m / (sqrt(v) + eps·bc2)) (one fma, `add_` with alpha).
DESCENT_INLINE void block32(const adam8bit_scalars *s, const descent_adam8bit_tensor *t,
                            int64_t b, int64_t len) {
  const int64_t e0 = b * BLOCK;
  float *p = t->param + e0;
  const float *g = t->grad + e0;
  float *m = (float *)t->state1 + e0;
  float *v = (float *)t->state2 + e0;
  const float step = (float)t->step_size;
  const float eps = (float)t->eps_correction;
  for (int64_t j = 0; j < len; j++) {
    const float gj = g[j];
    const float mj = __builtin_fmaf(gj, s->one_minus_beta1, m[j] * s->beta1);
    const float vj = __builtin_fmaf(s->one_minus_beta2 * gj, gj, v[j] * s->beta2);
    m[j] = mj;
    v[j] = vj;
    float theta = p[j];
    if (s->decay) theta = theta * s->shrink;
    p[j] = __builtin_fmaf(mj / (__builtin_sqrtf(vj) + eps), step, theta);
  }
}

DESCENT_DISPATCH
void descent_adam8bit_f32(const void *config, const void *entries, int64_t tensor_count,
                          int64_t begin, int64_t end) {
  const descent_adam8bit_config *c = (const descent_adam8bit_config *)config;
  adam8bit_scalars s;
  s.beta1 = (float)c->beta1;
  s.one_minus_beta1 = (float)c->one_minus_beta1;
  s.beta2 = (float)c->beta2;
  s.one_minus_beta2 = (float)c->one_minus_beta2;
  s.eps = (float)c->eps;
  s.shrink = (float)c->shrink;
  s.decay = c->decay != 0;
  DESCENT_FOR_EACH_PART(descent_adam8bit_tensor, entries, tensor_count, begin, end, t, lo, n) {
    // Chunks and entries start on whole blocks, so lo and n are multiples of 16 granules.
    const int64_t first = lo / DESCENT_ADAM8BIT_GRANULES_PER_BLOCK;
    const int64_t last = (lo + n) / DESCENT_ADAM8BIT_GRANULES_PER_BLOCK;
    for (int64_t b = first; b < last; b++) {
      int64_t len = t->elements - b * BLOCK;
      if (len <= 0) break;
      if (len > BLOCK) len = BLOCK;
      if (t->absmax1) {
        const int64_t e0 = b * BLOCK;
        float *p = t->param + e0;
        const float *g = t->grad + e0;
        uint8_t *c1 = (uint8_t *)t->state1 + e0, *c2 = (uint8_t *)t->state2 + e0;
        const float nss = (float)t->neg_step_size, bc2 = (float)t->bias_correction2_sqrt;
        if (len < BLOCK) {
          block8_tail(&s, c, p, g, c1, c2, &t->absmax1[b], &t->absmax2[b], nss, bc2, len);
        } else if (s.decay) {
          block8_full(&s, c, p, g, c1, c2, &t->absmax1[b], &t->absmax2[b], nss, bc2, 1);
        } else {
          block8_full(&s, c, p, g, c1, c2, &t->absmax1[b], &t->absmax2[b], nss, bc2, 0);
        }
      } else {
        block32(&s, t, b, len);
      }
    }
  }
}
