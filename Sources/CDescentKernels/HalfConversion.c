// Conversions between float32 and bfloat16 / float16 for Descent's half-precision tensors,
// bit for bit as PyTorch's CPU conversions (HalfBits.h says which).
//
// float16 uses the F16C instructions where the CPU has them (`vcvtps2ph` with
// round-to-nearest-even, `vcvtph2ps`), which is what PyTorch's vectorised path runs; the
// portable loops compute the same bits with integer operations and are compiled for
// several instruction sets through target_clones (they vectorise there).
// bfloat16 deliberately does not use AVX-512 BF16: `vcvtneps2bf16` treats subnormal
// inputs as zero and returns a different NaN than PyTorch's conversion (which, on every
// CPU, is the integer rounding below), and the integer rounding runs at memory speed.
#include "Common.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define DESCENT_HAS_F16C_PATH 1
#else
#define DESCENT_HAS_F16C_PATH 0
#endif

#include "HalfBits.h"

typedef uint32_t u32x8 __attribute__((ext_vector_type(8)));
typedef uint16_t u16x8 __attribute__((ext_vector_type(8)));
typedef float f32x8 __attribute__((ext_vector_type(8)));

// MARK: Portable (any CPU)

DESCENT_DISPATCH
void descent_bf16_from_f32_portable(const float *src, uint16_t *dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    u32x8 u;
    memcpy(&u, src + i, sizeof u);
    u16x8 h = __builtin_convertvector(DESCENT_BF16_FROM_F32_BITS(u32x8, u), u16x8);
    memcpy(dst + i, &h, sizeof h);
  }
  for (; i < n; i++) {
    uint32_t u;
    memcpy(&u, src + i, sizeof u);
    dst[i] = (uint16_t)DESCENT_BF16_FROM_F32_BITS(uint32_t, u);
  }
}

DESCENT_DISPATCH
void descent_f32_from_bf16(const uint16_t *src, float *dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    u16x8 h;
    memcpy(&h, src + i, sizeof h);
    u32x8 u = DESCENT_F32_FROM_BF16_BITS(u32x8, __builtin_convertvector(h, u32x8));
    memcpy(dst + i, &u, sizeof u);
  }
  for (; i < n; i++) {
    uint32_t u = DESCENT_F32_FROM_BF16_BITS(uint32_t, src[i]);
    memcpy(dst + i, &u, sizeof u);
  }
}

DESCENT_DISPATCH
void descent_f16_from_f32_portable(const float *src, uint16_t *dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    u32x8 u;
    memcpy(&u, src + i, sizeof u);
    u16x8 h = __builtin_convertvector(DESCENT_F16_FROM_F32_BITS(u32x8, u), u16x8);
    memcpy(dst + i, &h, sizeof h);
  }
  for (; i < n; i++) {
    uint32_t u;
    memcpy(&u, src + i, sizeof u);
    dst[i] = (uint16_t)DESCENT_F16_FROM_F32_BITS(uint32_t, u);
  }
}

DESCENT_DISPATCH
void descent_f32_from_f16_portable(const uint16_t *src, float *dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    u16x8 h;
    memcpy(&h, src + i, sizeof h);
    u32x8 u = DESCENT_F32_FROM_F16_BITS(u32x8, f32x8, __builtin_convertvector(h, u32x8));
    memcpy(dst + i, &u, sizeof u);
  }
  for (; i < n; i++) {
    uint32_t h = src[i];
    uint32_t u = DESCENT_F32_FROM_F16_BITS(uint32_t, float, h);
    memcpy(dst + i, &u, sizeof u);
  }
}

// MARK: F16C

#if DESCENT_HAS_F16C_PATH
__attribute__((target("avx,f16c")))
static void f16_from_f32_f16c(const float *src, uint16_t *dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128((__m128i *)(dst + i), h);
  }
  if (i < n) {
    float tail[8] = {0};
    uint16_t out[8];
    memcpy(tail, src + i, (size_t)(n - i) * sizeof(float));
    _mm_storeu_si128((__m128i *)out, _mm256_cvtps_ph(_mm256_loadu_ps(tail), _MM_FROUND_TO_NEAREST_INT));
    memcpy(dst + i, out, (size_t)(n - i) * sizeof(uint16_t));
  }
}

__attribute__((target("avx,f16c")))
static void f32_from_f16_f16c(const uint16_t *src, float *dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
  }
  if (i < n) {
    uint16_t tail[8] = {0};
    float out[8];
    memcpy(tail, src + i, (size_t)(n - i) * sizeof(uint16_t));
    _mm256_storeu_ps(out, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)tail)));
    memcpy(dst + i, out, (size_t)(n - i) * sizeof(float));
  }
}
#endif

// MARK: Dispatch

static int descent_has_f16c(void) {
#if DESCENT_HAS_F16C_PATH
  static int cached = -1;
  if (cached < 0) cached = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  return cached;
#else
  return 0;
#endif
}

const char *descent_half_conversion_isa(void) { return descent_has_f16c() ? "f16c" : "portable"; }

void descent_bf16_from_f32(const float *src, uint16_t *dst, int64_t n) {
  descent_bf16_from_f32_portable(src, dst, n);
}

void descent_f16_from_f32(const float *src, uint16_t *dst, int64_t n) {
#if DESCENT_HAS_F16C_PATH
  if (descent_has_f16c()) {
    f16_from_f32_f16c(src, dst, n);
    return;
  }
#endif
  descent_f16_from_f32_portable(src, dst, n);
}

void descent_f32_from_f16(const uint16_t *src, float *dst, int64_t n) {
#if DESCENT_HAS_F16C_PATH
  if (descent_has_f16c()) {
    f32_from_f16_f16c(src, dst, n);
    return;
  }
#endif
  descent_f32_from_f16_portable(src, dst, n);
}
