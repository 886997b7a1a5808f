#include "Common.h"

DESCENT_DISPATCH
void descent_axpy_f32(float a, const float *x, float *y, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 16 <= end; i += 16) DESCENT_STORE(y + i, DESCENT_LOAD(f32v, y + i, 16) + a * DESCENT_LOAD(f32v, x + i, 16), 16);
  if (i < end) DESCENT_STORE(y + i, DESCENT_LOAD(f32v, y + i, end - i) + a * DESCENT_LOAD(f32v, x + i, end - i), end - i);
}

DESCENT_DISPATCH
void descent_axpy_f64(double a, const double *x, double *y, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) DESCENT_STORE(y + i, DESCENT_LOAD(f64v, y + i, 8) + a * DESCENT_LOAD(f64v, x + i, 8), 8);
  if (i < end) DESCENT_STORE(y + i, DESCENT_LOAD(f64v, y + i, end - i) + a * DESCENT_LOAD(f64v, x + i, end - i), end - i);
}

const char *descent_kernels_isa(void) {
#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
  // The same order as the resolvers of `target_clones`.
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3";
#endif
  return "default";
}
