#define DESCENT_TEMPLATE "AdamTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"

// float32 parameters with half-precision moments (`stateDType:`): the arithmetic of the
// float32 kernel, the moments widened on load and rounded once on store.
#define T float
#define S float
#define SS uint16_t
#define V f32v
#define W 16
#define LOAD(p, len) DESCENT_LOAD(f32v, p, len)
#define STORE DESCENT_STORE
#define LOAD_STATE(p, len) DESCENT_LOAD_HALF(DESCENT_WIDEN_BF16, p, len)
#define STORE_STATE(p, value, len, index, salt) DESCENT_STORE_BF16(p, value, len)
#define FN(name) name##_f32_bf16state
#include "AdamTemplate.h"
#undef FN
#undef STORE_STATE

// Stochastic rounding to bfloat16: add 16 random bits below the kept ones and truncate, so
// that a value rounds up with probability equal to its distance from the lower neighbour.
// The bits are a hash (murmur3's finaliser, twice) of the element's index and the entry's
// seed, so a run is reproducible whatever the thread split. NaN becomes 0xFFFF, as when
// rounding to nearest.
#define DESCENT_FMIX32(x)             \
  ({                                  \
    descent_u32v x_ = (x);            \
    x_ ^= x_ >> 16;                   \
    x_ *= 0x85EBCA6Bu;                \
    x_ ^= x_ >> 13;                   \
    x_ *= 0xC2B2AE35u;                \
    x_ ^= x_ >> 16;                   \
    x_;                               \
  })
#define STORE_STATE(p, value, len, index, salt)                                               \
  do {                                                                                        \
    const descent_u32v iota_ = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};        \
    descent_u32v bits_ = __builtin_bit_cast(descent_u32v, (f32v)(value));                     \
    descent_u32v lane_ = (descent_u32v)(uint32_t)(index) + iota_;                             \
    descent_u32v noise_ =                                                                     \
        DESCENT_FMIX32(DESCENT_FMIX32(lane_ ^ (uint32_t)(salt)) + (uint32_t)((salt) >> 32));  \
    descent_u32v rounded_ = (bits_ + (noise_ & 0xFFFFu)) >> 16;                               \
    rounded_ = ((bits_ & 0x7FFFFFFFu) > 0x7F800000u) ? (descent_u32v)0xFFFFu : rounded_;      \
    descent_u16v out_ = __builtin_convertvector(rounded_, descent_u16v);                      \
    memcpy((p), &out_, (size_t)(len) * sizeof(uint16_t));                                     \
  } while (0)
#define FN(name) name##_f32_bf16state_sr
#include "AdamTemplate.h"
#undef FN
#undef STORE_STATE
#undef LOAD_STATE

#define LOAD_STATE(p, len) DESCENT_LOAD_HALF(DESCENT_WIDEN_F16, p, len)
#define STORE_STATE(p, value, len, index, salt) \
  DESCENT_STORE_HALF(DESCENT_NARROW_F16, p, value, len)
#define FN(name) name##_f32_f16state
#include "AdamTemplate.h"
#undef FN
#undef STORE_STATE
#undef LOAD_STATE
#undef SS
#undef T
#undef S
#undef V
#undef W
#undef LOAD
#undef STORE
