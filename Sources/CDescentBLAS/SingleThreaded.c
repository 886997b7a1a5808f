// OpenBLAS set to one thread for the duration of Descent's BLAS calls.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

#include "CDescentBLAS.h"

typedef void (*set_threads_function)(int);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int depth;
static set_threads_function set_threads;
static pthread_once_t lookup_once = PTHREAD_ONCE_INIT;

static void lookup(void) {
  set_threads = (set_threads_function)dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
}

void descent_blas_enter_single_threaded(int threads) {
  if (threads <= 1) return;
  pthread_once(&lookup_once, lookup);
  if (!set_threads) return;
  pthread_mutex_lock(&lock);
  if (depth++ == 0) set_threads(1);
  pthread_mutex_unlock(&lock);
}

void descent_blas_leave_single_threaded(int threads) {
  if (threads <= 1 || !set_threads) return;
  pthread_mutex_lock(&lock);
  if (--depth == 0) set_threads(threads);
  pthread_mutex_unlock(&lock);
}
