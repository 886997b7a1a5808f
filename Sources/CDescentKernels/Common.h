// Shared by the kernel files: dispatch attribute, vector types and loads/stores.
#ifndef C_DESCENT_KERNELS_COMMON_H
#define C_DESCENT_KERNELS_COMMON_H

#include <stdint.h>
#include <string.h>

#include "CDescentKernels.h"

// No implicit a·b + c → fma: each lane rounds exactly where PyTorch's ops round, whatever
// instruction set the clone targets; the single roundings PyTorch does have are explicit
// (DESCENT_FMA below).
#pragma clang fp contract(off)

// One copy of each kernel per instruction set, chosen by an ifunc resolver when the
// library loads; no compiler flags needed. x86-64-v3 is AVX2 with FMA, so that its fmas are
// instructions rather than calls to libm's fma (which the baseline clone makes).
// (Defining DESCENT_DISPATCH beforehand builds a single version, to compare the clones.)
#ifndef DESCENT_DISPATCH
#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define DESCENT_DISPATCH __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define DESCENT_DISPATCH
#endif
#endif

#define DESCENT_INLINE static inline __attribute__((always_inline))

// One rounding of a·b + c, where PyTorch's own CPU kernels round once: its x86-64 builds
// contract `add_(other, alpha=)`, `addcmul_` and `lerp_` into FMAs (the Tensor ops
// reproduce this bit for bit). Lanes without FMA hardware call libm's exact fma.
#define DESCENT_FMA(V, a, b, c) __builtin_elementwise_fma((V)(a), (V)(b), (V)(c))

// 64-byte vectors: one AVX-512 register, two AVX2 or four SSE registers in the other clones.
typedef float f32v __attribute__((ext_vector_type(16)));
typedef double f64v __attribute__((ext_vector_type(8)));

// Unaligned loads and stores, as macros so that no function passes a 64-byte vector by
// value (which would depend on the clone's ABI); `len` < lanes reads or writes only the
// first `len` elements (a tensor's tail), the other lanes compute on zeros and are dropped.
#define DESCENT_LOAD(V, p, len)                              \
  ({                                                         \
    V v_ = {0};                                              \
    memcpy(&v_, (p), (size_t)(len) * sizeof(v_[0]));         \
    v_;                                                      \
  })
#define DESCENT_STORE(p, value, len)                         \
  do {                                                       \
    __typeof__(value) s_ = (value);                          \
    memcpy((p), &s_, (size_t)(len) * sizeof(s_[0]));         \
  } while (0)

// The index of the tensor that holds element `begin` of the concatenation: the last one
// whose start is ≤ begin (tensors are sorted by start; empty ones share a start).
#define DESCENT_FIND_FIRST(tensors, count, begin, result) \
  do {                                                    \
    int64_t lo_ = 0, hi_ = (count);                       \
    while (hi_ - lo_ > 1) {                               \
      int64_t mid_ = lo_ + (hi_ - lo_) / 2;               \
      if ((tensors)[mid_].start <= (begin)) {             \
        lo_ = mid_;                                       \
      } else {                                            \
        hi_ = mid_;                                       \
      }                                                   \
    }                                                     \
    (result) = lo_;                                       \
  } while (0)

#endif
