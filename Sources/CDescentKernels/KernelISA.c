#include "CDescentKernels.h"

const char *descent_kernels_isa(void) {
#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
  // The same order as the resolvers of `target_clones` (Common.h).
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3";
#endif
  return "default";
}

int32_t descent_pytorch_float_lanes(void) {
#if defined(__x86_64__) && defined(__clang__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    return 16;
  }
#endif
  return 8;
}
