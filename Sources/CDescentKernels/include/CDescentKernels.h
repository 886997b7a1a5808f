// Fused optimizer kernels for DescentOptim: one pass over many tensors, vectorised, with
// runtime CPU dispatch (AVX-512 / AVX2 / baseline) through `target_clones`. Each kernel
// exists for float32 and float64 (`_f32`, `_f64`) and, except Adafactor's, for bfloat16 and
// float16 parameters and state (`_bf16`, `_f16`), computed in float32 and rounded once per
// stored value, as PyTorch's fused CPU kernels do (RMSprop and Adamax, which PyTorch runs
// only as a for-loop, round after every op as that for-loop does).
//
// Why C: Swift lowers `squareRoot()` and division of SIMD vectors to scalar `sqrtss` /
// `divss` on x86-64, and a package used as a dependency cannot pass `-march` flags. Clang's
// vector extensions give vector `sqrt` and `div`, and `target_clones` picks the widest
// instruction set the CPU has at load time. Every kernel performs PyTorch's operations in
// PyTorch's order and rounds where PyTorch's CPU kernels round (one fma where PyTorch's
// `add_` with alpha, `addcmul_` and `lerp_` round once, IEEE rounding everywhere else), so
// a vector lane computes the same bits as the optimizer's reference rule in DescentOptim
// (`OptimizerRule.reference`).
//
// Each kernel updates the elements [begin, end) of the concatenation of `tensor_count`
// tensors (`start` of each entry is its offset in that concatenation), so that callers
// can split a whole parameter group across threads in one pass. `config` points to the
// optimizer's `descent_*_config` and `tensors` to its `descent_*_tensor` array; they are
// `const void *` so that all kernels share one function-pointer type.
#ifndef C_DESCENT_KERNELS_H
#define C_DESCENT_KERNELS_H

#include <stdint.h>

#include "AdafactorKernels.h"
#include "HalfLayerKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

// MARK: Adam / AdamW

/// A group's Adam hyperparameters, in double; kernels round each to the element type once,
/// as Swift's `T(x)` does.
typedef struct descent_adam_config {
  double sign;             // -1 when maximizing, else 1
  double shrink;           // 1 - lr·weight_decay (decoupled weight decay)
  double weight_decay;     // coupled weight decay λ
  double one_minus_beta1;  // lerp weight of exp_avg
  double beta2;
  double one_minus_beta2;
  double eps;
  int32_t decoupled;       // θ ← θ·shrink first (AdamW)
  int32_t coupled;         // g ← g + λ·θ
  int32_t amsgrad;         // max_exp_avg_sq present
  int32_t reserved;
} descent_adam_config;

/// One parameter of an Adam group, with its state and its step's scalars.
typedef struct descent_adam_tensor {
  void *param;
  const void *grad;
  void *exp_avg;
  void *exp_avg_sq;
  void *max_exp_avg_sq;     // NULL unless amsgrad
  int64_t start;            // offset of this tensor in the group's concatenation
  int64_t count;
  double neg_step_size;     // -lr / (1 - β₁ᵗ)
  double bias_correction2_sqrt;  // (1 - β₂ᵗ)^0.5
  uint64_t rounding_seed;   // stochastic rounding of half state: this tensor's and step's seed
} descent_adam_tensor;

void descent_adam_f32(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_adam_f64(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
/// float32 parameters with bfloat16 / float16 moments (`stateDType:`), computed in float32;
/// the moments are rounded to nearest even, or stochastically (`_sr`, bfloat16 only) with
/// noise from each entry's `rounding_seed` and the element's index.
void descent_adam_f32_bf16state(const void *config, const void *tensors, int64_t tensor_count,
                                int64_t begin, int64_t end);
void descent_adam_f32_bf16state_sr(const void *config, const void *tensors,
                                   int64_t tensor_count, int64_t begin, int64_t end);
void descent_adam_f32_f16state(const void *config, const void *tensors, int64_t tensor_count,
                               int64_t begin, int64_t end);
void descent_adam_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_adam_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: RMSprop

typedef struct descent_rmsprop_config {
  double sign;
  double weight_decay;
  double alpha;
  double one_minus_alpha;
  double eps;
  double momentum;
  double neg_lr;
  int32_t has_decay;
  int32_t centered;         // grad_avg present
  int32_t has_momentum;     // momentum_buffer present
  int32_t reserved;
} descent_rmsprop_config;

typedef struct descent_rmsprop_tensor {
  void *param;
  const void *grad;
  void *square_avg;
  void *grad_avg;           // NULL unless centered
  void *momentum_buffer;    // NULL unless momentum > 0
  int64_t start;
  int64_t count;
} descent_rmsprop_tensor;

void descent_rmsprop_f32(const void *config, const void *tensors, int64_t tensor_count,
                         int64_t begin, int64_t end);
void descent_rmsprop_f64(const void *config, const void *tensors, int64_t tensor_count,
                         int64_t begin, int64_t end);
void descent_rmsprop_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_rmsprop_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: SGD

typedef struct descent_sgd_config {
  double sign;
  double weight_decay;
  double momentum;
  double one_minus_dampening;
  double neg_lr;
  int32_t has_decay;
  int32_t nesterov;
} descent_sgd_config;

typedef struct descent_sgd_tensor {
  void *param;
  const void *grad;
  void *momentum_buffer;    // NULL without momentum
  int64_t start;
  int64_t count;
  int32_t first_step;       // the buffer is written (b ← g), not read
  int32_t reserved;
} descent_sgd_tensor;

void descent_sgd_f32(const void *config, const void *tensors, int64_t tensor_count,
                     int64_t begin, int64_t end);
void descent_sgd_f64(const void *config, const void *tensors, int64_t tensor_count,
                     int64_t begin, int64_t end);
void descent_sgd_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_sgd_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: Adagrad

typedef struct descent_adagrad_config {
  double sign;
  double weight_decay;
  double eps;
  int32_t has_decay;
  int32_t reserved;
} descent_adagrad_config;

typedef struct descent_adagrad_tensor {
  void *param;
  const void *grad;
  void *sum;
  int64_t start;
  int64_t count;
  double neg_clr;           // -lr / (1 + (step - 1)·lr_decay)
} descent_adagrad_tensor;

void descent_adagrad_f32(const void *config, const void *tensors, int64_t tensor_count,
                         int64_t begin, int64_t end);
void descent_adagrad_f64(const void *config, const void *tensors, int64_t tensor_count,
                         int64_t begin, int64_t end);
void descent_adagrad_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_adagrad_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: Adadelta

typedef struct descent_adadelta_config {
  double sign;
  double weight_decay;
  double rho;
  double one_minus_rho;
  double eps;
  double neg_lr;
  int32_t has_decay;
  int32_t reserved;
} descent_adadelta_config;

typedef struct descent_adadelta_tensor {
  void *param;
  const void *grad;
  void *square_avg;
  void *acc_delta;
  int64_t start;
  int64_t count;
} descent_adadelta_tensor;

void descent_adadelta_f32(const void *config, const void *tensors, int64_t tensor_count,
                          int64_t begin, int64_t end);
void descent_adadelta_f64(const void *config, const void *tensors, int64_t tensor_count,
                          int64_t begin, int64_t end);
void descent_adadelta_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_adadelta_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: Adamax

typedef struct descent_adamax_config {
  double sign;
  double weight_decay;
  double one_minus_beta1;   // lerp weight of exp_avg
  double beta2;
  double eps;
  int32_t has_decay;
  int32_t reserved;
} descent_adamax_config;

typedef struct descent_adamax_tensor {
  void *param;
  const void *grad;
  void *exp_avg;
  void *exp_inf;
  int64_t start;
  int64_t count;
  double neg_clr;           // -lr / (1 - β₁ᵗ)
} descent_adamax_tensor;

void descent_adamax_f32(const void *config, const void *tensors, int64_t tensor_count,
                        int64_t begin, int64_t end);
void descent_adamax_f64(const void *config, const void *tensors, int64_t tensor_count,
                        int64_t begin, int64_t end);
void descent_adamax_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_adamax_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: NAdam

typedef struct descent_nadam_config {
  double sign;
  double shrink;            // 1 - lr·weight_decay (decoupled weight decay)
  double weight_decay;
  double one_minus_beta1;
  double beta2;
  double one_minus_beta2;
  double eps;
  int32_t decoupled;
  int32_t coupled;
} descent_nadam_config;

typedef struct descent_nadam_tensor {
  void *param;
  const void *grad;
  void *exp_avg;
  void *exp_avg_sq;
  int64_t start;
  int64_t count;
  double bias_correction2;  // 1 - β₂ᵗ
  double grad_coefficient;  // -lr·(1 - μₜ) / (1 - Πμ)
  double exp_avg_coefficient;  // -lr·μₜ₊₁ / (1 - Πμ·μₜ₊₁)
} descent_nadam_tensor;

void descent_nadam_f32(const void *config, const void *tensors, int64_t tensor_count,
                       int64_t begin, int64_t end);
void descent_nadam_f64(const void *config, const void *tensors, int64_t tensor_count,
                       int64_t begin, int64_t end);
void descent_nadam_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_nadam_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: RAdam

typedef struct descent_radam_config {
  double sign;
  double shrink;            // 1 - lr·weight_decay (decoupled weight decay)
  double weight_decay;
  double one_minus_beta1;
  double beta2;
  double one_minus_beta2;
  double eps;
  double lr;
  int32_t decoupled;
  int32_t coupled;
} descent_radam_config;

typedef struct descent_radam_tensor {
  void *param;
  const void *grad;
  void *exp_avg;
  void *exp_avg_sq;
  int64_t start;
  int64_t count;
  double bias_correction1;  // 1 - β₁ᵗ
  double bias_correction2_sqrt;  // (1 - β₂ᵗ)^0.5, when rectified
  double rect;              // the variance rectification term, when rectified
  int32_t rectified;        // ρₜ > 5
  int32_t reserved;
} descent_radam_tensor;

void descent_radam_f32(const void *config, const void *tensors, int64_t tensor_count,
                       int64_t begin, int64_t end);
void descent_radam_f64(const void *config, const void *tensors, int64_t tensor_count,
                       int64_t begin, int64_t end);
void descent_radam_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_radam_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: ASGD

typedef struct descent_asgd_config {
  double sign;
  double weight_decay;
  int32_t has_decay;
  int32_t reserved;
} descent_asgd_config;

typedef struct descent_asgd_tensor {
  void *param;
  const void *grad;
  void *ax;
  int64_t start;
  int64_t count;
  double shrink;            // 1 - λ·η
  double neg_eta;           // -η
  double mu;                // μ, a float32 value
  int32_t average;          // μ ≠ 1: ax ← ax + (θ - ax)·μ, else ax ← θ
  int32_t reserved;
} descent_asgd_tensor;

void descent_asgd_f32(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_asgd_f64(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_asgd_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_asgd_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: Rprop

typedef struct descent_rprop_config {
  double sign;
  double eta_minus;
  double eta_plus;
  double step_size_min;
  double step_size_max;
} descent_rprop_config;

typedef struct descent_rprop_tensor {
  void *param;
  const void *grad;
  void *prev;
  void *step_size;
  int64_t start;
  int64_t count;
} descent_rprop_tensor;

void descent_rprop_f32(const void *config, const void *tensors, int64_t tensor_count,
                       int64_t begin, int64_t end);
void descent_rprop_f64(const void *config, const void *tensors, int64_t tensor_count,
                       int64_t begin, int64_t end);
void descent_rprop_bf16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);
void descent_rprop_f16(const void *config, const void *tensors, int64_t tensor_count,
                      int64_t begin, int64_t end);

// MARK: Adam8bit / AdamW8bit

/// A group's 8-bit Adam hyperparameters (bitsandbytes' `Optimizer2State` with "adam"), in
/// double; the kernel rounds each to float32 once, as torch's scalar arguments are.
typedef struct descent_adam8bit_config {
  double beta1;
  double one_minus_beta1;
  double beta2;
  double one_minus_beta2;
  double eps;
  double shrink;            // 1 - lr·weight_decay
  int32_t decay;            // weight_decay > 0: θ ← θ·shrink first
  int32_t reserved;
  const float *qmap1;       // signed dynamic map (256 values), for the first moment
  const float *qmap2;       // unsigned dynamic map, for the second moment
  const uint8_t *lut1;      // 65,536-entry quantization table of qmap1
  const uint8_t *lut2;
} descent_adam8bit_config;

/// One parameter of an 8-bit Adam group. Its range in the group's concatenation is counted
/// in granules of 16 elements, 16 per block of 256 elements (the last block of a tensor is
/// counted whole), so that every chunk a thread gets (a multiple of 16 granules) is made
/// of whole blocks: a block's absmax needs all of its elements.
typedef struct descent_adam8bit_tensor {
  float *param;
  const float *grad;
  void *state1;             // uint8 codes (8-bit) or float32 exp_avg (32-bit)
  void *state2;             // uint8 codes or float32 exp_avg_sq
  float *absmax1;           // one per block; NULL for 32-bit state
  float *absmax2;
  int64_t start;            // in granules
  int64_t count;            // in granules: 16 × blocks
  int64_t elements;         // the parameter's element count
  double neg_step_size;     // 8-bit: -lr / (1 - β₁ᵗ)
  double bias_correction2_sqrt;  // 8-bit: (1 - β₂ᵗ)^0.5
  double step_size;         // 32-bit: -lr·(1 - β₂ᵗ)^0.5 / (1 - β₁ᵗ)
  double eps_correction;    // 32-bit: eps·(1 - β₂ᵗ)^0.5
} descent_adam8bit_tensor;

/// Granules (16 elements) per block of 256 elements.
#define DESCENT_ADAM8BIT_GRANULES_PER_BLOCK 16

void descent_adam8bit_f32(const void *config, const void *tensors, int64_t tensor_count,
                          int64_t begin, int64_t end);

/// Fills `lut` (65,536 bytes) with bitsandbytes 0.50.2's CPU quantization table of `code`
/// (256 sorted values in [-1, 1]): entry i is the number of midpoints
/// 0.5·(code[k] + code[k+1]) below -1 + 2i/65535, each in float32.
void descent_dynamic_map_lut(const float *code, uint8_t *lut);

// MARK: Threads

typedef void (*descent_task)(void *context, int64_t index);

/// Runs task(context, i) for every i in [0, count) on the calling thread and up to
/// count - 1 persistent worker threads, and returns when all have finished. Unlike
/// `DispatchQueue.concurrentPerform` it allocates nothing once its workers exist (they are
/// started on first use and kept), which is what keeps an optimizer step free of heap
/// allocations. A call made while the pool runs another thread's job, or from inside a
/// task, runs its tasks on the calling thread.
void descent_parallel_run(int64_t count, descent_task task, void *context);

// MARK: Half-precision conversion

/// float32 → bfloat16 bits, round to nearest even; NaN → 0xFFFF (PyTorch's vectorised
/// conversion).
void descent_bf16_from_f32(const float *src, uint16_t *dst, int64_t n);
/// bfloat16 bits → float32 (exact).
void descent_f32_from_bf16(const uint16_t *src, float *dst, int64_t n);
/// float32 → float16 bits, round to nearest even (F16C where the CPU has it).
void descent_f16_from_f32(const float *src, uint16_t *dst, int64_t n);
/// float16 bits → float32 (exact; F16C where the CPU has it).
void descent_f32_from_f16(const uint16_t *src, float *dst, int64_t n);
/// The portable versions of the conversions (what CPUs without F16C run); for tests.
void descent_bf16_from_f32_portable(const float *src, uint16_t *dst, int64_t n);
void descent_f16_from_f32_portable(const float *src, uint16_t *dst, int64_t n);
void descent_f32_from_f16_portable(const uint16_t *src, float *dst, int64_t n);
/// The float16 conversion path on this CPU: "f16c" or "portable".
const char *descent_half_conversion_isa(void);

// MARK: Dispatch

/// The instruction set the kernels dispatched to on this CPU: "avx512f", "x86-64-v3" or
/// "default".
const char *descent_kernels_isa(void);

/// The number of float lanes in PyTorch's CPU vectors on this machine: 16 where PyTorch runs
/// its AVX-512 kernels (AVX-512 F, BW, VL and DQ, unless ATEN_CPU_CAPABILITY is "avx2" or
/// "default"), else 8 (AVX2 and its 256-bit default). The half layer kernels
/// (HalfLayerKernels.h) sum in PyTorch's vector order with it, and
/// `descent_pytorch_half_loop` places PyTorch's scalar tails with it.
int32_t descent_pytorch_float_lanes(void);

/// The thread count PyTorch's elementwise loops are assumed to split tensors over 32768
/// elements across (`torch.get_num_threads()`): Descent's `Threads.count`, which sets it.
/// Kernels that follow PyTorch's for-loop on half tensors place its scalar tails with it.
void descent_set_pytorch_threads(int32_t threads);
int32_t descent_pytorch_threads(void);

/// How PyTorch's elementwise CPU loops (`cpu_kernel_vec`) walk a contiguous tensor of `count`
/// 2-byte (bfloat16/float16) elements: in chunks of `chunk` elements (TensorIterator cuts a
/// tensor over 32768 elements across torch's threads, else runs it whole), each running two
/// vectors at a time, `group` elements, and its last `chunk length % group` elements through
/// the scalar op. For a half type the scalar op of `add(other, alpha=)` rounds alpha·other to
/// the half type before adding, where the vector op rounds once (an fma), so code that
/// follows PyTorch's for-loop bit for bit needs to know where those tails are.
void descent_pytorch_half_loop(int64_t count, int64_t *chunk, int64_t *group);

#ifdef __cplusplus
}
#endif

#endif
