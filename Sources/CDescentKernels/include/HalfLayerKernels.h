// Layer kernels on bfloat16/float16 tensors for DescentNN and Descent: layer norm, batch
// norm and embedding backward as PyTorch's half CPU kernels compute them, on float32 copies
// of the operands (each value exactly its half one), rounding to the half type where PyTorch
// rounds. Each call handles a range [begin, end) of rows, channels or columns, so that the
// caller can split the work across threads; results do not depend on the split.
#ifndef C_DESCENT_HALF_LAYER_KERNELS_H
#define C_DESCENT_HALF_LAYER_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Layer norm over rows of `n` elements. `gamma` and `beta` (n each) may be NULL.
typedef struct descent_half_layer_norm {
  const float *x;      // rows × n
  const float *gamma;
  const float *beta;
  float *y;            // rows × n, float32 (rounded to the half type by the caller)
  float *mean;         // rows: the saved mean, rounded to the half type
  float *rstd;         // rows: the saved 1/sqrt(var + eps), rounded to the half type
  int64_t n;
  double eps;
  int32_t bfloat16;    // 1: bfloat16, 0: float16
  int32_t float_lanes; // PyTorch's float vector width on this CPU (descent_pytorch_float_lanes)
} descent_half_layer_norm;

/// Forward of rows [begin, end): per row, mean and biased variance as PyTorch's
/// `RowwiseMoments` computes them (Welford in a cascade over float lanes), rstd =
/// 1/sqrt(var + eps) in float32, y = fma(fma(x, rstd, -rstd·mean), γ, β).
void descent_half_layer_norm_forward(const descent_half_layer_norm *a, int64_t begin, int64_t end);

typedef struct descent_half_layer_norm_backward_args {
  const float *dy;     // rows × n
  const float *x;
  const float *gamma;  // NULL without weight
  const float *mean;   // rows, as saved by the forward
  const float *rstd;
  float *dx;           // rows × n, float32
  float *dgamma;       // n, zeroed; NULL when not wanted
  float *dbeta;        // n, zeroed; NULL when not wanted
  int64_t rows;
  int64_t n;
  int32_t bfloat16;
  int32_t float_lanes; // as in descent_half_layer_norm
} descent_half_layer_norm_backward_args;

/// dx of rows [begin, end): a·dy·γ + b·x + c from the row sums Σ dy·x·γ and Σ dy·γ, which
/// are summed as PyTorch's vectorised `map3_reduce_all` sums them (per float lane over the
/// row's half vectors, the two halves added, then a shuffle tree).
void descent_half_layer_norm_backward_dx(const descent_half_layer_norm_backward_args *a,
                                         int64_t begin, int64_t end);
/// dγ and dβ of columns [begin, end): summed over all rows in order, each addition rounded
/// to the half type (PyTorch on one thread).
void descent_half_layer_norm_backward_affine(const descent_half_layer_norm_backward_args *a,
                                             int64_t begin, int64_t end);

/// Batch norm in training over an input of shape batch × channels × length (length 1 for a
/// 2-d input). `gamma` and `beta` may be NULL.
typedef struct descent_half_batch_norm {
  const float *x;
  const float *gamma;
  const float *beta;
  float *y;            // float32, rounded to the half type by the caller
  float *saved_mean;   // channels: the batch mean, rounded to the half type
  float *saved_invstd; // channels: 1/sqrt(var + eps), rounded to the half type
  float *mean;         // channels: the batch mean in float32
  float *unbiased_var; // channels: Σ(x - mean)² / (count - 1), from the stored sum
  int64_t batch;
  int64_t channels;
  int64_t length;
  float eps;
  int32_t bfloat16;
  int32_t float_lanes; // as in descent_half_layer_norm
  int32_t reserved;
} descent_half_batch_norm;

/// Forward of channels [begin, end), in the order of PyTorch's reduced-precision kernels:
/// for a 2-d input (`length` 1, its channels-last path) each channel's sums run over the
/// samples in order; for a 3-d input (its contiguous path) over each sample's positions in
/// vectors of 2·lanes values, one float accumulator per lane, summed lane after lane at the
/// end. Squared deviations are accumulated with fma; bfloat16 rounds the mean it subtracts
/// (2-d) and the sum of squares (both) to bfloat16. y = fma(x, α, β - mean·α).
void descent_half_batch_norm_forward(const descent_half_batch_norm *a, int64_t begin, int64_t end);

typedef struct descent_half_batch_norm_backward_args {
  const float *dy;
  const float *x;
  const float *gamma;        // NULL without weight
  const float *saved_mean;
  const float *saved_invstd;
  float *dx;
  float *dgamma;             // channels
  float *dbeta;              // channels
  int64_t batch;
  int64_t channels;
  int64_t length;
  int32_t float_lanes;
  int32_t reserved;
} descent_half_batch_norm_backward_args;

/// Backward of channels [begin, end), from the saved statistics: Σdy and Σ(x - mean)·dy summed
/// as the forward sums, dx = (fma(-(x - mean), k, dy - Σdy/N)·invstd)·γ.
void descent_half_batch_norm_backward(const descent_half_batch_norm_backward_args *a,
                                      int64_t begin, int64_t end);

/// Embedding backward into a zeroed bfloat16/float16 `grad` (rows × width, bit patterns):
/// for columns [begin, end), the float32 gradient rows of `indices` added in index order,
/// each addition in float32 and rounded to the half type (PyTorch's `index_add_`); the row
/// `padding` (or none, when negative) gets nothing.
void descent_half_embedding_backward(const float *grad_output, const int64_t *indices,
                                     int64_t count, int64_t padding, int64_t width, uint16_t *grad,
                                     int32_t bfloat16, int64_t begin, int64_t end);

#ifdef __cplusplus
}
#endif

#endif
