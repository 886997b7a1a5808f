#include "CDescentKernels.h"

const char *descent_kernels_isa(void) {
#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
  // The same order as the resolvers of `target_clones` (Common.h).
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3";
#endif
  return "default";
}
