// OpenBLAS's core: read it, switch it in-process, and check a core in a forked child.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "CDescentBLAS.h"

// OpenBLAS-only entry points, looked up at run time: a CBLAS without them still links.
typedef char *(*string_function)(void);
typedef void (*void_function)(void);
typedef void (*set_threads_function)(int);

static void *symbol(const char *name) { return dlsym(RTLD_DEFAULT, name); }

const char *descent_blas_corename(void) {
  string_function f = (string_function)symbol("openblas_get_corename");
  return f ? f() : NULL;
}

const char *descent_blas_config(void) {
  string_function f = (string_function)symbol("openblas_get_config");
  return f ? f() : NULL;
}

const char *descent_blas_library_path(void) {
  Dl_info info;
  if (dladdr((void *)&cblas_sgemm, &info) && info.dli_fname) return info.dli_fname;
  return NULL;
}

int descent_blas_can_switch(void) {
  return symbol("gotoblas_dynamic_quit") && symbol("gotoblas_dynamic_init") &&
         symbol("openblas_get_corename");
}

int descent_blas_ships_core(const char *name) {
  char table[64] = "gotoblas_";
  size_t n = strlen(table);
  for (const char *c = name; *c && n + 1 < sizeof table; c++) {
    char ch = *c;
    table[n++] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
  }
  table[n] = 0;
  return symbol(table) != NULL;
}

int descent_blas_switch_core(const char *name) {
  void_function quit = (void_function)symbol("gotoblas_dynamic_quit");
  void_function init = (void_function)symbol("gotoblas_dynamic_init");
  string_function corename = (string_function)symbol("openblas_get_corename");
  if (!quit || !init || !corename) return -1;
  // `gotoblas_dynamic_init` reads OPENBLAS_CORETYPE; the user's value (if any) comes back.
  const char *previous = getenv("OPENBLAS_CORETYPE");
  char *saved = previous ? strdup(previous) : NULL;
  setenv("OPENBLAS_CORETYPE", name, 1);
  quit();
  init();
  if (saved) {
    setenv("OPENBLAS_CORETYPE", saved, 1);
    free(saved);
  } else {
    unsetenv("OPENBLAS_CORETYPE");
  }
  const char *now = corename();
  return now && strcasecmp(now, name) == 0 ? 0 : 1;
}

// MARK: The check

static uint64_t next_random(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return *state >> 11;
}

// Values in [-1, 1).
static double random_value(uint64_t *state) {
  return (double)next_random(state) / (double)(1ull << 52) - 1.0;
}

// C = alpha·op(A)·op(B) + beta·C in row-major order, against a double reference, for
// float (`single` = 1) or double. Returns 0 when every element is within a bound of
// k·ε·(|α|Σ|a||b| + |β||c|) times a margin, which any correct kernel meets and a broken
// one misses by orders of magnitude.
static int check_product(int single, int trans_a, int trans_b, int m, int n, int k, double alpha,
                         double beta, uint64_t seed) {
  size_t size = single ? sizeof(float) : sizeof(double);
  double *a = malloc(sizeof(double) * (size_t)m * k);
  double *b = malloc(sizeof(double) * (size_t)k * n);
  double *c = malloc(sizeof(double) * (size_t)m * n);
  void *ta = malloc(size * (size_t)m * k);
  void *tb = malloc(size * (size_t)k * n);
  void *tc = malloc(size * (size_t)m * n);
  int failed = 0;
  if (!a || !b || !c || !ta || !tb || !tc) {
    failed = 1;
    goto done;
  }
  uint64_t state = seed;
  // Elements rounded to the tested type first, so that the reference sees the same inputs.
  for (size_t i = 0; i < (size_t)m * k; i++) {
    double v = random_value(&state);
    if (single) {
      ((float *)ta)[i] = (float)v;
      a[i] = (float)v;
    } else {
      ((double *)ta)[i] = v;
      a[i] = v;
    }
  }
  for (size_t i = 0; i < (size_t)k * n; i++) {
    double v = random_value(&state);
    if (single) {
      ((float *)tb)[i] = (float)v;
      b[i] = (float)v;
    } else {
      ((double *)tb)[i] = v;
      b[i] = v;
    }
  }
  for (size_t i = 0; i < (size_t)m * n; i++) {
    double v = random_value(&state);
    if (single) {
      ((float *)tc)[i] = (float)v;
      c[i] = (float)v;
    } else {
      ((double *)tc)[i] = v;
      c[i] = v;
    }
  }
  // op(A) is m × k: A is stored m × k (lda = k), or k × m when transposed (lda = m).
  int lda = trans_a ? m : k;
  int ldb = trans_b ? k : n;
  enum CBLAS_TRANSPOSE opa = trans_a ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE opb = trans_b ? CblasTrans : CblasNoTrans;
  if (single) {
    cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, (float)alpha, ta, lda, tb, ldb, (float)beta, tc, n);
  } else {
    cblas_dgemm(CblasRowMajor, opa, opb, m, n, k, alpha, ta, lda, tb, ldb, beta, tc, n);
  }
  double epsilon = single ? 1.0 / (1 << 23) : 1.0 / (1ull << 52);
  for (int i = 0; i < m && !failed; i++) {
    for (int j = 0; j < n; j++) {
      double sum = 0, magnitude = 0;
      for (int p = 0; p < k; p++) {
        double x = trans_a ? a[(size_t)p * m + i] : a[(size_t)i * k + p];
        double y = trans_b ? b[(size_t)j * k + p] : b[(size_t)p * n + j];
        sum += x * y;
        magnitude += fabs(x * y);
      }
      double reference = alpha * sum + beta * c[(size_t)i * n + j];
      double bound = 4 * (k + 2) * epsilon * (fabs(alpha) * magnitude + fabs(beta * c[(size_t)i * n + j]));
      double got = single ? ((float *)tc)[(size_t)i * n + j] : ((double *)tc)[(size_t)i * n + j];
      if (!(fabs(got - reference) <= bound + 1e-30)) {
        failed = 1;
        break;
      }
    }
  }
done:
  free(a);
  free(b);
  free(c);
  free(ta);
  free(tb);
  free(tc);
  return failed;
}

int descent_blas_self_check(void) {
  // Odd sizes reach the kernels' edge cases; the larger ones their packed, blocked path.
  static const int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 65, 17}, {64, 64, 64},
                                  {100, 37, 129}, {96, 160, 256}, {200, 150, 260}};
  uint64_t seed = 1;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    for (int variant = 0; variant < 4; variant++) {
      int trans_a = variant & 1, trans_b = (variant >> 1) & 1;
      double alpha = variant == 0 ? 1.0 : 1.5, beta = variant < 2 ? 0.0 : 0.5;
      for (int single = 0; single <= 1; single++) {
        if (check_product(single, trans_a, trans_b, shapes[s][0], shapes[s][1], shapes[s][2], alpha,
                          beta, seed++))
          return 1;
      }
    }
  }
  return 0;
}

descent_core_check descent_blas_check_core(const char *name, double timeout_seconds,
                                           int32_t *signal_number) {
  *signal_number = 0;
  if (!descent_blas_can_switch()) return DESCENT_CORE_CHECK_UNAVAILABLE;
  set_threads_function set_threads = (set_threads_function)symbol("openblas_set_num_threads");
  pid_t child = fork();
  if (child < 0) return DESCENT_CORE_CHECK_UNAVAILABLE;
  if (child == 0) {
    // Only this thread exists in the child. Its output (OpenBLAS's warnings) goes nowhere,
    // and _exit skips the parent's atexit handlers and stdio buffers.
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    if (set_threads) set_threads(1);
    if (descent_blas_switch_core(name) != 0) _exit(3);
    _exit(descent_blas_self_check() == 0 ? 0 : 1);
  }
  struct timespec pause = {0, 2 * 1000 * 1000};
  double waited = 0;
  int status = 0;
  for (;;) {
    pid_t done = waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) return DESCENT_CORE_CHECK_UNAVAILABLE;  // reaped elsewhere
    if (waited >= timeout_seconds) {
      kill(child, SIGKILL);
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
      return DESCENT_CORE_CHECK_TIMED_OUT;
    }
    nanosleep(&pause, 0);
    waited += 0.002;
  }
  if (WIFSIGNALED(status)) {
    *signal_number = WTERMSIG(status);
    return DESCENT_CORE_CHECK_CRASHED;
  }
  if (!WIFEXITED(status)) return DESCENT_CORE_CHECK_UNAVAILABLE;
  switch (WEXITSTATUS(status)) {
  case 0: return DESCENT_CORE_CHECK_PASSED;
  case 3: return DESCENT_CORE_CHECK_REFUSED;
  default: return DESCENT_CORE_CHECK_WRONG_RESULTS;
  }
}
