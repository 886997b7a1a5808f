// The in-place streaming yardstick of `descent bench optimizers`: y ← y + a·x, vectorised
// and dispatched like the optimizer kernels (target_clones, no flags), so that the
// optimizers' bandwidth is compared with a loop of the same instruction set.
#include <stdint.h>
#include <string.h>

#include "CBenchKernels.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define BENCH_DISPATCH __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define BENCH_DISPATCH
#endif

typedef float f32v __attribute__((ext_vector_type(16)));
typedef double f64v __attribute__((ext_vector_type(8)));

#define AXPY(V, W, a, x, y, begin, end)                                   \
  do {                                                                    \
    int64_t i = (begin);                                                  \
    for (; i + (W) <= (end); i += (W)) {                                  \
      V xv, yv;                                                           \
      memcpy(&xv, (x) + i, sizeof xv);                                    \
      memcpy(&yv, (y) + i, sizeof yv);                                    \
      yv = yv + (a) * xv;                                                 \
      memcpy((y) + i, &yv, sizeof yv);                                    \
    }                                                                     \
    for (; i < (end); i++) (y)[i] = (y)[i] + (a) * (x)[i];                \
  } while (0)

BENCH_DISPATCH
void descent_axpy_f32(float a, const float *x, float *y, int64_t begin, int64_t end) {
  AXPY(f32v, 16, a, x, y, begin, end);
}

BENCH_DISPATCH
void descent_axpy_f64(double a, const double *x, double *y, int64_t begin, int64_t end) {
  AXPY(f64v, 8, a, x, y, begin, end);
}
