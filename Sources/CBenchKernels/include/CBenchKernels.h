// Benchmark-only kernels of the `descent` executable; not part of any library product.
#ifndef C_BENCH_KERNELS_H
#define C_BENCH_KERNELS_H

#include <stdint.h>

/// y ← y + a·x over [begin, end): the in-place streaming bandwidth baseline of
/// `descent bench optimizers`, vectorised and dispatched like the optimizer kernels.
void descent_axpy_f32(float a, const float *x, float *y, int64_t begin, int64_t end);
void descent_axpy_f64(double a, const double *x, double *y, int64_t begin, int64_t end);

#endif
