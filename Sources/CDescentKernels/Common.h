// Shared by the kernel files: dispatch attribute, vector types and loads/stores.
#ifndef C_DESCENT_KERNELS_COMMON_H
#define C_DESCENT_KERNELS_COMMON_H

#include <stddef.h>
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

// `start.lerp_(end, w)` as PyTorch's CPU kernel computes it: start + w·(end - start) when
// |w| < 0.5 (`from_start`), else end - (end - start)·(1 - w), each rounded once.
#define DESCENT_LERP(V, start, end, w, from_start)                          \
  ((from_start) ? DESCENT_FMA(V, (w), (end) - (start), (start))           \
                : DESCENT_FMA(V, (w) - 1, (end) - (start), (end)))

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

// Visits the part of [begin, end) that each entry holds, in order: `t` points to the entry,
// `lo` is the part's first element within its tensor and `n` its length. Entries are sorted
// by `start` (their offset in the group's concatenation; empty ones share a start), so the
// first is found by bisection: the last entry whose start is ≤ begin.
#define DESCENT_FOR_EACH_PART(Entry_, entries_, count_, begin_, end_, t, lo, n)                \
  for (int64_t k_ = descent_first_entry_((const char *)(entries_), sizeof(Entry_),                \
                                         offsetof(Entry_, start), (count_), (begin_)),            \
               lo, n;                                                                           \
       k_ < (count_) && ((const Entry_ *)(entries_))[k_].start < (end_); k_++)                    \
    for (const Entry_ *t = &((const Entry_ *)(entries_))[k_]; t; t = 0)                           \
      if ((lo = ((begin_) > t->start ? (begin_) : t->start) - t->start),                          \
          (n = ((end_) < t->start + t->count ? (end_) : t->start + t->count) - t->start - lo),   \
          n > 0)

static inline int64_t descent_first_entry_(const char *entries, size_t size, size_t start_offset,
                                           int64_t count, int64_t begin) {
  int64_t lo = 0, hi = count;
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    int64_t start;
    memcpy(&start, entries + (size_t)mid * size + start_offset, sizeof start);
    if (start <= begin) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// Runs `call` over [from, to) in vectors of W lanes: `i` is the first element and `len` the
// number of lanes in use (W, then what the tail leaves).
#define DESCENT_SPAN_RANGE(W, from, to, i, len, call) \
  do {                                                \
    int64_t i = (from), len = (W);                    \
    for (; i + (W) <= (to); i += (W)) call;           \
    len = (to) - i;                                   \
    if (len > 0) call;                                \
  } while (0)
#define DESCENT_SPAN(W, n, i, len, call) DESCENT_SPAN_RANGE(W, 0, n, i, len, call)

#endif
