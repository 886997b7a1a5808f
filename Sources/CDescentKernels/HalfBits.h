// Half-precision rounding as PyTorch's CPU conversions do it, on lanes of uint32 bit
// patterns, so that the same expressions serve one element (the portable conversion) and a
// vector of them (the fused optimizer kernels, the target_clones of the conversion loops).
//
// float32 -> bfloat16: round to nearest even by adding 0x7FFF + lsb (c10's
// `round_to_nearest_even`); NaN becomes 0xFFFF, as in PyTorch's vectorised conversion
// (`cvtfp32_bf16`), which it uses for every length on AVX2 and AVX-512 CPUs.
// float32 -> float16: round to nearest even, overflow to inf, subnormals kept, NaN keeps
// its sign and the top 9 payload bits and becomes quiet: what F16C's `vcvtps2ph` (and so
// PyTorch's vectorised conversion) does.
// float16 -> float32: exact; NaN keeps its payload and becomes quiet (`vcvtph2ps`).
// bfloat16 -> float32: exact, a shift (NaN payloads kept, signalling ones too).
#ifndef C_DESCENT_KERNELS_HALF_BITS_H
#define C_DESCENT_KERNELS_HALF_BITS_H

#include <stdint.h>

// The expressions work for `uint32_t` and for ext_vector_type(N) of uint32_t (`U`), where
// comparisons give lane masks (all ones) and `?:` selects per lane.
#define DESCENT_BF16_FROM_F32_BITS(U, u)                                                   \
  ({                                                                                       \
    U u_ = (u);                                                                            \
    U rounded_ = (u_ + ((u_ >> 16) & 1) + 0x7FFFu) >> 16;                                  \
    ((u_ & 0x7FFFFFFFu) > 0x7F800000u) ? (U)0xFFFFu : rounded_;                            \
  })

#define DESCENT_F16_FROM_F32_BITS(U, u)                                                    \
  ({                                                                                       \
    U u_ = (u);                                                                            \
    U sign_ = (u_ >> 16) & 0x8000u;                                                        \
    U a_ = u_ & 0x7FFFFFFFu;                                                               \
    /* Normal results: rebias the exponent (127 -> 15) and round off 13 bits. */           \
    U b_ = a_ - 0x38000000u;                                                               \
    U normal_ = (b_ + 0x0FFFu + ((b_ >> 13) & 1)) >> 13;                                   \
    /* Subnormal results (|x| < 2^-14): the significand, with its implicit bit, shifted */ \
    /* right by 126 - e and rounded to nearest even; s >= 25 leaves 0. */                  \
    U e_ = a_ >> 23;                                                                       \
    U m_ = (a_ & 0x007FFFFFu) | (e_ != 0 ? (U)0x00800000u : (U)0);                         \
    U s_ = 126u - (e_ != 0 ? e_ : (U)1);                                                   \
    U sc_ = s_ > 25u ? (U)25u : (s_ < 1u ? (U)1u : s_);                                                        \
    U q_ = m_ >> sc_;                                                                      \
    U rem_ = m_ & (((U)1u << sc_) - 1u);                                                      \
    U halfway_ = (U)1u << (sc_ - 1u);                                                         \
    U sub_ = q_ + ((rem_ > halfway_) | ((rem_ == halfway_) & ((q_ & 1) != 0)) ? (U)1 : (U)0); \
    U nan_ = 0x7E00u | ((a_ >> 13) & 0x03FFu);                                             \
    U mag_ = a_ > 0x7F800000u   ? nan_                                                     \
             : a_ >= 0x477FF000u ? (U)0x7C00u                                              \
             : a_ < 0x38800000u  ? sub_                                                    \
                                 : normal_;                                                \
    sign_ | mag_;                                                                          \
  })

#define DESCENT_F32_FROM_F16_BITS(U, F, h)                                                    \
  ({                                                                                       \
    U h_ = (h);                                                                            \
    U sign_ = (h_ & 0x8000u) << 16;                                                        \
    U e_ = (h_ >> 10) & 0x1Fu;                                                             \
    U m_ = h_ & 0x03FFu;                                                                   \
    /* A subnormal m·2^-24 is exact in float32: (0.5 + m·2^-24) - 0.5, the first term */ \
    /* built from bits (0.5's ulp is 2^-24). F is float or a float vector like U. */       \
    U sub_ = __builtin_bit_cast(U, __builtin_bit_cast(F, 0x3F000000u | m_) - 0.5f);        \
    U mag_ = e_ == 0x1Fu ? (0x7F800000u | (m_ << 13) | (m_ != 0 ? (U)0x00400000u : (U)0))   \
             : e_ != 0   ? (((e_ + 112u) << 23) | (m_ << 13))                              \
             : m_ != 0   ? sub_                                                            \
                         : (U)0;                                                           \
    sign_ | mag_;                                                                          \
  })

#define DESCENT_F32_FROM_BF16_BITS(U, h) ((U)(h) << 16)

// One bfloat16 (`bfloat16` != 0) or float16 value's bits widened to float32, and a float32
// rounded to those bits: scalar forms of the conversions above.
static inline __attribute__((always_inline)) float descent_widen_half(uint16_t h, int bfloat16) {
  const uint32_t u = bfloat16 ? DESCENT_F32_FROM_BF16_BITS(uint32_t, h)
                              : DESCENT_F32_FROM_F16_BITS(uint32_t, float, (uint32_t)h);
  float x;
  __builtin_memcpy(&x, &u, sizeof x);
  return x;
}

static inline __attribute__((always_inline)) uint16_t descent_narrow_half(float x, int bfloat16) {
  uint32_t u;
  __builtin_memcpy(&u, &x, sizeof u);
  return (uint16_t)(bfloat16 ? DESCENT_BF16_FROM_F32_BITS(uint32_t, u) : DESCENT_F16_FROM_F32_BITS(uint32_t, u));
}

// `x` rounded to bfloat16 or float16 and widened back: one rounding of PyTorch's half
// arithmetic, for the kernels that compute in float32 between roundings.
static inline __attribute__((always_inline)) float descent_round_half(float x, int bfloat16) {
  return descent_widen_half(descent_narrow_half(x, bfloat16), bfloat16);
}

#endif
