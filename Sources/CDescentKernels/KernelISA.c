#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "CDescentKernels.h"

const char *descent_kernels_isa(void) {
#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
  // The same order as the resolvers of `target_clones` (Common.h).
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3";
#endif
  return "default";
}

static int32_t probe_pytorch_float_lanes(void) {
#if defined(__x86_64__) && defined(__clang__)
  // PyTorch runs narrower kernels when ATEN_CPU_CAPABILITY asks for them ("avx2", or
  // "default", whose generic vectors are 256 bits too; its unfused arithmetic is not
  // emulated).
  const char *capability = getenv("ATEN_CPU_CAPABILITY");
  if (capability && (strcmp(capability, "avx2") == 0 || strcmp(capability, "default") == 0)) {
    return 8;
  }
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    return 16;
  }
#endif
  return 8;
}

// 0 until first asked; the probe is idempotent, so a race only repeats it.
static _Atomic int32_t pytorch_float_lanes = 0;

int32_t descent_pytorch_float_lanes(void) {
  int32_t lanes = atomic_load_explicit(&pytorch_float_lanes, memory_order_relaxed);
  if (lanes == 0) {
    lanes = probe_pytorch_float_lanes();
    atomic_store_explicit(&pytorch_float_lanes, lanes, memory_order_relaxed);
  }
  return lanes;
}

static _Atomic int32_t pytorch_threads = 1;

void descent_set_pytorch_threads(int32_t threads) {
  atomic_store_explicit(&pytorch_threads, threads > 1 ? threads : 1, memory_order_relaxed);
}

int32_t descent_pytorch_threads(void) {
  return atomic_load_explicit(&pytorch_threads, memory_order_relaxed);
}

void descent_pytorch_half_loop(int64_t count, int64_t *chunk, int64_t *group) {
  *group = 4 * (int64_t)descent_pytorch_float_lanes();
  int64_t threads = descent_pytorch_threads();
  const int64_t grain = 32768;  // at::internal::GRAIN_SIZE
  // TensorIterator::for_each runs up to GRAIN_SIZE elements serially; at::parallel_for
  // gives each of min(threads, ceil(count / GRAIN_SIZE)) threads ceil(count / that).
  if (count <= grain || threads <= 1) {
    *chunk = count;
    return;
  }
  const int64_t most = (count + grain - 1) / grain;
  if (threads > most) threads = most;
  *chunk = (count + threads - 1) / threads;
}
