// A small persistent thread pool for the fused optimizer kernels (see descent_parallel_run).
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "CDescentKernels.h"

#define DESCENT_MAX_WORKERS 255
// Spins (with a pause each) before a worker sleeps or the caller waits on the condition:
// back-to-back steps (several groups, a training loop) then skip the futex round trip.
#define DESCENT_SPINS 4000

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;  // one job at a time
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static int workers;
// The job: written under `lock` before `generation` moves on, and copied by each worker
// under `lock` when it wakes.
static uint64_t generation;
static descent_task job_task;
static void *job_context;
static int64_t job_count;
// (generation << 32) | next unclaimed index: a worker claims a task only while the word
// still names the job it woke for, so a late worker never takes a task of the next job.
static _Atomic uint64_t claim;
static _Atomic int64_t remaining;
static _Thread_local int inside_task;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void run_tasks(uint64_t job, descent_task task, void *context, int64_t count) {
  const uint64_t tag = (job & 0xFFFFFFFFu) << 32;
  for (;;) {
    uint64_t word = atomic_load_explicit(&claim, memory_order_acquire);
    int64_t i;
    do {
      if ((word & ~(uint64_t)0xFFFFFFFFu) != tag) return;
      i = (int64_t)(word & 0xFFFFFFFFu);
      if (i >= count) return;
    } while (!atomic_compare_exchange_weak_explicit(&claim, &word, word + 1, memory_order_acq_rel,
                                                    memory_order_acquire));
    inside_task = 1;
    task(context, i);
    inside_task = 0;
    if (atomic_fetch_sub_explicit(&remaining, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&lock);
      pthread_cond_signal(&finished);
      pthread_mutex_unlock(&lock);
    }
  }
}

static _Atomic uint64_t published;  // `generation`, readable without the lock for spinning

static void *worker_main(void *unused) {
  (void)unused;
  // A name for perf, top -H and /proc/<pid>/task/*/comm: "which pool is spinning?"
  pthread_setname_np(pthread_self(), "descent-pool");
  pthread_mutex_lock(&lock);
  uint64_t seen = generation;
  pthread_mutex_unlock(&lock);
  for (;;) {
    for (int spin = 0; spin < DESCENT_SPINS; spin++) {
      if (atomic_load_explicit(&published, memory_order_relaxed) != seen) break;
      cpu_relax();
    }
    pthread_mutex_lock(&lock);
    while (generation == seen) pthread_cond_wait(&wake, &lock);
    seen = generation;
    descent_task task = job_task;
    void *context = job_context;
    int64_t count = job_count;
    pthread_mutex_unlock(&lock);
    run_tasks(seen, task, context, count);
  }
  return 0;
}

// A forked child has none of the parent's workers: it starts its own on first use.
static void reset_in_child(void) {
  pthread_mutex_init(&run_lock, 0);
  pthread_mutex_init(&lock, 0);
  pthread_cond_init(&wake, 0);
  pthread_cond_init(&finished, 0);
  workers = 0;
}

static pthread_once_t fork_handler_once = PTHREAD_ONCE_INIT;
static void install_fork_handler(void) { pthread_atfork(0, 0, reset_in_child); }

void descent_parallel_run(int64_t count, descent_task task, void *context) {
  if (count <= 0) return;
  if (count == 1 || count > 0xFFFFFFFF || inside_task) {
    for (int64_t i = 0; i < count; i++) task(context, i);
    return;
  }
  pthread_once(&fork_handler_once, install_fork_handler);
  // The pool serves one job at a time. A caller that finds it busy (another thread's
  // kernel, a data-loading worker next to a training step) runs its tasks itself instead
  // of waiting for the other job to finish.
  if (pthread_mutex_trylock(&run_lock) != 0) {
    for (int64_t i = 0; i < count; i++) task(context, i);
    return;
  }
  int wanted = count - 1 > DESCENT_MAX_WORKERS ? DESCENT_MAX_WORKERS : (int)(count - 1);
  while (workers < wanted) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&thread, &attributes, worker_main, 0);
    pthread_attr_destroy(&attributes);
    if (failed) break;  // fewer workers: the caller runs the rest of the tasks itself
    workers++;
  }
  pthread_mutex_lock(&lock);
  uint64_t job = ++generation;
  job_task = task;
  job_context = context;
  job_count = count;
  atomic_store_explicit(&remaining, count, memory_order_relaxed);
  atomic_store_explicit(&claim, (job & 0xFFFFFFFFu) << 32, memory_order_release);
  atomic_store_explicit(&published, job, memory_order_relaxed);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);

  run_tasks(job, task, context, count);

  for (int spin = 0; spin < DESCENT_SPINS; spin++) {
    if (atomic_load_explicit(&remaining, memory_order_acquire) == 0) break;
    cpu_relax();
  }
  pthread_mutex_lock(&lock);
  while (atomic_load_explicit(&remaining, memory_order_acquire) > 0) {
    pthread_cond_wait(&finished, &lock);
  }
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&run_lock);
}
