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

// bitsandbytes' `avx2_quantize_8bit_block`: absmax = max |s| (NaN ignored), codes from the
// table at trunc(((clamp(s·(1/absmax), -1, 1) + 1)·0.5)·65535 + 0.5), each step rounded in
// float32; a block whose absmax is 0 gets codes 0.
DESCENT_INLINE void quantize_block(const float *s, int64_t len, const uint8_t *lut,
                                   uint8_t *codes, float *absmax) {
  float am = 0.0f;
  for (int64_t j = 0; j < len; j++) {
    float a = fabsf(s[j]);
    am = a > am ? a : am;
  }
  *absmax = am;
  if (am == 0.0f) {
    memset(codes, 0, (size_t)len);
    return;
  }
  const float inv = 1.0f / am;
  for (int64_t j = 0; j < len; j++) {
    float v = s[j] * inv;
    v = v > -1.0f ? v : -1.0f;  // _mm256_max_ps(v, -1): NaN becomes -1
    v = v < 1.0f ? v : 1.0f;
    float t = ((v + 1.0f) * 0.5f) * 65535.0f + 0.5f;
    codes[j] = lut[(int32_t)t];
  }
}

typedef struct {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, eps, shrink;
  int decay;
} adam8bit_scalars;

// bitsandbytes' `_optimizer_update_8bit_blockwise_cpu` for "adam", in torch's roundings:
// m = m·β₁ + (1-β₁)·g (one fma, `add_` with alpha); v = v·β₂ + ((1-β₂)·g)·g (one fma,
// `addcmul_`); denom = sqrt(v)/bc2 + eps; θ = θ·(1 - lr·wd) if wd > 0;
// θ = θ + ((-lr/bc1)·m)/denom (`addcdiv_`).
DESCENT_INLINE void block8(const adam8bit_scalars *s, const descent_adam8bit_config *c,
                           const descent_adam8bit_tensor *t, int64_t b, int64_t len) {
  float m[BLOCK], v[BLOCK];
  const int64_t e0 = b * BLOCK;
  float *p = t->param + e0;
  const float *g = t->grad + e0;
  uint8_t *c1 = (uint8_t *)t->state1 + e0;
  uint8_t *c2 = (uint8_t *)t->state2 + e0;
  const float a1 = t->absmax1[b], a2 = t->absmax2[b];
  const float nss = (float)t->neg_step_size;
  const float bc2 = (float)t->bias_correction2_sqrt;
  for (int64_t j = 0; j < len; j++) {
    m[j] = c->qmap1[c1[j]] * a1;
    v[j] = c->qmap2[c2[j]] * a2;
  }
  for (int64_t j = 0; j < len; j++) {
    const float gj = g[j];
    const float mj = __builtin_fmaf(gj, s->one_minus_beta1, m[j] * s->beta1);
    const float vj = __builtin_fmaf(s->one_minus_beta2 * gj, gj, v[j] * s->beta2);
    const float denom = __builtin_sqrtf(vj) / bc2 + s->eps;
    float theta = p[j];
    if (s->decay) theta = theta * s->shrink;
    p[j] = theta + (nss * mj) / denom;
    m[j] = mj;
    v[j] = vj;
  }
  quantize_block(m, len, c->lut1, c1, &t->absmax1[b]);
  quantize_block(v, len, c->lut2, c2, &t->absmax2[b]);
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
        block8(&s, c, t, b, len);
      } else {
        block32(&s, t, b, len);
      }
    }
  }
}
