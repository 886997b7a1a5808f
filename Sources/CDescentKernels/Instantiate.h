// Compiles the kernel template named by DESCENT_TEMPLATE once for float and once for
// double, and, when DESCENT_HALF_VARIANTS is defined, once each for bfloat16 and float16
// storage computed in float (`_bf16`, `_f16`): each lane is widened on load and rounded to
// nearest even once on store, as PyTorch's fused CPU kernels treat half parameters and
// state. Each kernel file defines DESCENT_TEMPLATE and includes this header. In a
// template, T is the arithmetic type, S the stored element type, V a vector of W lanes of T.
#include "Common.h"
#include "HalfBits.h"

// (The half macros' locals are named apart from HalfBits.h's `u_`, `h_`: a statement
// expression's local would otherwise shadow the argument it is initialised from.)
#define STORE DESCENT_STORE
// ROUND(v) rounds a vector to the stored type where PyTorch's for-loop rounds after an op
// (the half instances of optimizers that PyTorch runs only as a for-loop); ROUND_SCALAR(x)
// rounds a hyperparameter that PyTorch's `add_` casts to the tensor's type (`alpha`, a
// scalar addend). Both are the identity for float and double.
#define ROUND(v) (v)
#define ROUND_SCALAR(x) (x)
// ADD_ALPHA(a, alpha, b, tail) is `a.add(b, alpha=alpha)` before the for-loop's rounding:
// one fma in PyTorch's vector loop; in its scalar tail of a half tensor (`tail`), alpha·b is
// rounded to the half type before the addition (c10::BFloat16 / c10::Half arithmetic).
// TORCH_SPAN(count, lo, n, i, len, call, tail_call) runs a tensor's elements [lo, lo + n)
// as DESCENT_SPAN does, with `tail_call` over PyTorch's scalar tails. For float and double
// both loops round alike, so there is one.
#define ADD_ALPHA(a, alpha, b, tail) DESCENT_FMA(V, alpha, b, a)
#define TORCH_SPAN(count, lo, n, i, len, call, tail_call) DESCENT_SPAN(W, n, i, len, call)

#define T float
#define S float
#define V f32v
#define W 16
#define LOAD(p, len) DESCENT_LOAD(f32v, p, len)
#define FN(name) name##_f32
#include DESCENT_TEMPLATE
#undef T
#undef S
#undef V
#undef W
#undef LOAD
#undef FN

#define T double
#define S double
#define V f64v
#define W 8
#define LOAD(p, len) DESCENT_LOAD(f64v, p, len)
#define FN(name) name##_f64
#include DESCENT_TEMPLATE
#undef T
#undef S
#undef V
#undef W
#undef LOAD
#undef FN
#undef STORE
#undef ROUND
#undef ROUND_SCALAR
#undef ADD_ALPHA
#undef TORCH_SPAN

#ifdef DESCENT_HALF_VARIANTS
typedef uint32_t descent_u32v __attribute__((ext_vector_type(16)));
typedef uint16_t descent_u16v __attribute__((ext_vector_type(16)));

#define DESCENT_LOAD_HALF(WIDEN, p, len)                                           \
  ({                                                                               \
    descent_u16v stored_ = {0};                                                    \
    memcpy(&stored_, (p), (size_t)(len) * sizeof(uint16_t));                       \
    __builtin_bit_cast(f32v, WIDEN(__builtin_convertvector(stored_, descent_u32v))); \
  })
#define DESCENT_STORE_HALF(NARROW, p, value, len)                                  \
  do {                                                                             \
    descent_u32v wide_ = __builtin_bit_cast(descent_u32v, (f32v)(value));          \
    descent_u16v narrow_ = __builtin_convertvector(NARROW(wide_), descent_u16v);   \
    memcpy((p), &narrow_, (size_t)(len) * sizeof(uint16_t));                       \
  } while (0)
// bfloat16 stores test NaN on the float lanes (one compare) rather than on the bits; the
// same rounding as DESCENT_BF16_FROM_F32_BITS, in fewer instructions.
#define DESCENT_STORE_BF16(p, value, len)                                          \
  do {                                                                             \
    f32v lanes_ = (value);                                                         \
    descent_u32v wide_ = __builtin_bit_cast(descent_u32v, lanes_);                 \
    descent_u32v rounded_ = (wide_ + ((wide_ >> 16) & 1) + 0x7FFFu) >> 16;         \
    rounded_ = (lanes_ != lanes_) ? (descent_u32v)0xFFFFu : rounded_;              \
    descent_u16v narrow_ = __builtin_convertvector(rounded_, descent_u16v);        \
    memcpy((p), &narrow_, (size_t)(len) * sizeof(uint16_t));                       \
  } while (0)
#define DESCENT_WIDEN_BF16(u) DESCENT_F32_FROM_BF16_BITS(descent_u32v, u)
#define DESCENT_NARROW_BF16(u) DESCENT_BF16_FROM_F32_BITS(descent_u32v, u)
#define DESCENT_WIDEN_F16(u) DESCENT_F32_FROM_F16_BITS(descent_u32v, f32v, u)
#define DESCENT_NARROW_F16(u) DESCENT_F16_FROM_F32_BITS(descent_u32v, u)

#define DESCENT_ROUND_HALF(WIDEN, NARROW, v) \
  __builtin_bit_cast(f32v, WIDEN(NARROW(__builtin_bit_cast(descent_u32v, (f32v)(v)))))
static inline float descent_round_scalar_bf16(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  u = DESCENT_F32_FROM_BF16_BITS(uint32_t, DESCENT_BF16_FROM_F32_BITS(uint32_t, u));
  memcpy(&x, &u, sizeof x);
  return x;
}
static inline float descent_round_scalar_f16(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  u = DESCENT_F32_FROM_F16_BITS(uint32_t, float, DESCENT_F16_FROM_F32_BITS(uint32_t, u));
  memcpy(&x, &u, sizeof x);
  return x;
}

#define ADD_ALPHA(a, alpha, b, tail) \
  ((tail) ? (a) + ROUND((alpha) * (b)) : DESCENT_FMA(V, alpha, b, a))
#define TORCH_SPAN(count, lo, n, i, len, call, tail_call)                            \
  do {                                                                               \
    int64_t chunk_, group_;                                                          \
    descent_pytorch_half_loop((count), &chunk_, &group_);                            \
    for (int64_t x_ = (lo), hi_ = (lo) + (n); x_ < hi_;) {                           \
      const int64_t first_ = x_ / chunk_ * chunk_;                                   \
      const int64_t last_ = (count) - first_ < chunk_ ? (count) : first_ + chunk_;   \
      const int64_t tail_ = last_ - (last_ - first_) % group_;                       \
      const int64_t mid_ = tail_ < x_ ? x_ : (tail_ < hi_ ? tail_ : hi_);            \
      const int64_t end_ = last_ < hi_ ? last_ : hi_;                                \
      DESCENT_SPAN_RANGE(W, x_ - (lo), mid_ - (lo), i, len, call);                   \
      DESCENT_SPAN_RANGE(W, mid_ - (lo), end_ - (lo), i, len, tail_call);            \
      x_ = end_;                                                                     \
    }                                                                                \
  } while (0)

#define T float
#define S uint16_t
#define V f32v
#define W 16
#define LOAD(p, len) DESCENT_LOAD_HALF(DESCENT_WIDEN_BF16, p, len)
#define STORE(p, value, len) DESCENT_STORE_BF16(p, value, len)
#define ROUND(v) DESCENT_ROUND_HALF(DESCENT_WIDEN_BF16, DESCENT_NARROW_BF16, v)
#define ROUND_SCALAR(x) descent_round_scalar_bf16(x)
#define FN(name) name##_bf16
#include DESCENT_TEMPLATE
#undef LOAD
#undef STORE
#undef ROUND
#undef ROUND_SCALAR
#undef FN

#define LOAD(p, len) DESCENT_LOAD_HALF(DESCENT_WIDEN_F16, p, len)
#define STORE(p, value, len) DESCENT_STORE_HALF(DESCENT_NARROW_F16, p, value, len)
#define ROUND(v) DESCENT_ROUND_HALF(DESCENT_WIDEN_F16, DESCENT_NARROW_F16, v)
#define ROUND_SCALAR(x) descent_round_scalar_f16(x)
#define FN(name) name##_f16
#include DESCENT_TEMPLATE
#undef ROUND
#undef ROUND_SCALAR
#undef ADD_ALPHA
#undef TORCH_SPAN
#undef T
#undef S
#undef V
#undef W
#undef LOAD
#undef STORE
#undef FN
#endif
