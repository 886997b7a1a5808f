// What Descent needs to check and choose OpenBLAS's kernels ("core") at run time.
//
// OpenBLAS built with DYNAMIC_ARCH picks its kernels by CPU model when it loads and falls
// back to generic SSE3 ones (Prescott) on a CPU newer than the build, six times slower on an
// AVX-512 Xeon. Everything here is looked up with `dlsym`, so that an OpenBLAS without
// DYNAMIC_ARCH, or another CBLAS, still links and these calls simply report "unavailable".
// The CPU is read with `cpuid` (x86-64 only; elsewhere every feature reads as absent).
#ifndef C_DESCENT_BLAS_H
#define C_DESCENT_BLAS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What `cpuid` (and `xgetbv`, for the register state the OS saves) says about this CPU.
typedef struct descent_cpu_info {
  char vendor[16];   // "GenuineIntel", "AuthenticAMD", ...; empty off x86-64
  char brand[64];    // the processor brand string
  int32_t family;    // display family (base + extended)
  int32_t model;     // display model (base + extended)
  int32_t stepping;
  int32_t sse3, avx, avx2, fma;
  int32_t avx512f, avx512bw, avx512vl, avx512dq, avx512cd, avx512bf16, amx;
  int32_t os_avx;     // the OS saves ymm state (XCR0 bits 1, 2)
  int32_t os_avx512;  // the OS saves opmask and zmm state (XCR0 bits 5, 6, 7)
} descent_cpu_info;

/// Fills `info`; returns 1 on x86-64, 0 elsewhere (all fields zero).
int descent_cpu_probe(descent_cpu_info *info);

/// `openblas_get_corename()`, or NULL when the library has no such function.
const char *descent_blas_corename(void);

/// `openblas_get_config()`, or NULL.
const char *descent_blas_config(void);

/// The file the CBLAS library was loaded from (`dladdr` of `cblas_sgemm`), or NULL.
const char *descent_blas_library_path(void);

/// 1 when the library exports `gotoblas_dynamic_quit`, `gotoblas_dynamic_init` and
/// `openblas_get_corename`: an OpenBLAS built with DYNAMIC_ARCH whose core can be switched.
int descent_blas_can_switch(void);

/// 1 when the library ships the kernels of core `name` ("SkylakeX", "Haswell", ...): it
/// exports the table `gotoblas_<NAME>`.
int descent_blas_ships_core(const char *name);

/// Switches this process's OpenBLAS to core `name`, as `OPENBLAS_CORETYPE=name` does at
/// load time: `gotoblas_dynamic_quit()`, then `gotoblas_dynamic_init()` with the variable
/// set for the duration of the call (its previous value, or its absence, is restored).
/// No BLAS call may run meanwhile. Returns 0 when the core in use afterwards is `name`,
/// 1 when it is another (the library refused the name), -1 when switching is unavailable.
int descent_blas_switch_core(const char *name);

/// Outcome of ``descent_blas_check_core``.
typedef enum descent_core_check {
  DESCENT_CORE_CHECK_PASSED = 0,
  DESCENT_CORE_CHECK_WRONG_RESULTS = 1,  // sgemm/dgemm differ from the reference
  DESCENT_CORE_CHECK_CRASHED = 2,        // the child died of a signal (SIGILL, SIGSEGV, ...)
  DESCENT_CORE_CHECK_REFUSED = 3,        // the library did not switch to the core
  DESCENT_CORE_CHECK_TIMED_OUT = 4,      // no answer within the time limit (child killed)
  DESCENT_CORE_CHECK_UNAVAILABLE = 5,    // fork failed, or switching is unavailable
} descent_core_check;

/// Switches to core `name` in a forked child process and runs small sgemm and dgemm
/// products (plain and transposed operands, alpha and beta ≠ 1) against a reference
/// computed in double, so that a kernel that computes wrong results or crashes on this
/// CPU cannot harm the calling process. Waits at most `timeout_seconds`. `signal_number`
/// receives the signal that ended a crashed child (else 0).
descent_core_check descent_blas_check_core(const char *name, double timeout_seconds,
                                           int32_t *signal_number);

/// The same products and reference as the child of ``descent_blas_check_core``, run in
/// this process on the current core: 0 when they agree.
int descent_blas_self_check(void);

// MARK: Threads

/// Brackets Descent's BLAS calls, which Descent splits across its own thread pool: the
/// first thread to enter sets OpenBLAS to one thread (`openblas_set_num_threads(1)`), the
/// last to leave sets it back to `threads`. OpenBLAS's own workers then stay asleep instead
/// of busy-waiting after each call on the cores Descent's pool needs next. Cheap: a mutex
/// and a store; nothing happens when `threads` is 1 or the library is not OpenBLAS.
void descent_blas_enter_single_threaded(int threads);
void descent_blas_leave_single_threaded(int threads);

#ifdef __cplusplus
}
#endif

#endif
