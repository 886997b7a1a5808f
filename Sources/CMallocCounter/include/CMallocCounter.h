// Heap-allocation counting for the `descent` executable's benchmarks.
//
// The executable defines malloc, calloc, realloc, free and the aligned allocators; the
// dynamic linker binds every shared library's calls (Swift runtime, Foundation, Dispatch,
// OpenBLAS) to them, and they count and forward to glibc's allocator. Linked into the
// executable only, never into a library.
#ifndef C_MALLOC_COUNTER_H
#define C_MALLOC_COUNTER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Allocations so far (malloc, calloc, realloc, aligned_alloc, memalign, posix_memalign,
/// valloc), all threads.
uint64_t descent_malloc_count(void);
/// Frees so far, all threads.
uint64_t descent_free_count(void);
/// Whether this build counts at all (glibc only).
int descent_malloc_counting_supported(void);

#ifdef __cplusplus
}
#endif

#endif
