// Adafactor's elementwise passes (DescentOptim's AdafactorRule.blas). Adafactor is not a
// one-pass update: the norm of the update U must be known before θ can change, so its
// passes are separate entry points that the Swift side calls per range of elements (or of
// rows) on its threads, not a fused kernel of the group. Each lane computes the bits of
// AdafactorRule's element loops (lerp as one fma, every other operation rounded); only the
// sums of U², accumulated in double lanes, are reassociated.
#ifndef C_DESCENT_ADAFACTOR_KERNELS_H
#define C_DESCENT_ADAFACTOR_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One parameter's step, in double; kernels round each to the element type once.
typedef struct descent_adafactor_config {
  double sign;          // -1 when maximizing, else 1
  double weight;        // t^beta2_decay, the lerp weight of the new squared gradient
  double eps1_squared;  // lower bound of the variance estimate
  double step;          // -α / max(1, ‖U‖/(√n·d)), for the apply passes
} descent_adafactor_config;

/// Vectors: v ← lerp(v, g², weight) over [begin, end); returns Σ U² with
/// U = (1/√max(v, eps₁²))·g.
double descent_adafactor_variance_f32(const descent_adafactor_config *config, float *v,
                                      const float *g, int64_t begin, int64_t end);
double descent_adafactor_variance_f64(const descent_adafactor_config *config, double *v,
                                      const double *g, int64_t begin, int64_t end);

/// Vectors: θ ← θ + step·U over [begin, end), with U recomputed from the updated v.
void descent_adafactor_apply_variance_f32(const descent_adafactor_config *config, float *p,
                                          const float *v, const float *g, int64_t begin,
                                          int64_t end);
void descent_adafactor_apply_variance_f64(const descent_adafactor_config *config, double *p,
                                          const double *v, const double *g, int64_t begin,
                                          int64_t end);

/// Matrices, as `rows` rows of `columns` (all batches' rows in turn): Σ U² over rows
/// [row_begin, row_end), with U = (1/√max(r[q]·c[b, j] / mean[b], eps₁²))·g, where row q
/// belongs to batch b = q / rows_per_batch.
double descent_adafactor_factored_f32(const descent_adafactor_config *config,
                                      const float *row_var, const float *col_var,
                                      const float *row_means, const float *g,
                                      int64_t rows_per_batch, int64_t columns,
                                      int64_t row_begin, int64_t row_end);
double descent_adafactor_factored_f64(const descent_adafactor_config *config,
                                      const double *row_var, const double *col_var,
                                      const double *row_means, const double *g,
                                      int64_t rows_per_batch, int64_t columns,
                                      int64_t row_begin, int64_t row_end);

/// Matrices: θ ← θ + step·U over rows [row_begin, row_end).
void descent_adafactor_apply_factored_f32(const descent_adafactor_config *config, float *p,
                                          const float *row_var, const float *col_var,
                                          const float *row_means, const float *g,
                                          int64_t rows_per_batch, int64_t columns,
                                          int64_t row_begin, int64_t row_end);
void descent_adafactor_apply_factored_f64(const descent_adafactor_config *config, double *p,
                                          const double *row_var, const double *col_var,
                                          const double *row_means, const double *g,
                                          int64_t rows_per_batch, int64_t columns,
                                          int64_t row_begin, int64_t row_end);

#ifdef __cplusplus
}
#endif

#endif
