// cpuid and xgetbv: the CPU's model and the vector extensions its OS lets programs use.
#include <string.h>

#include "CDescentBLAS.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static void cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
  __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
}

// XCR0: which register files the OS saves on a context switch. Read with inline assembly
// so that no target flag (-mxsave) is needed; only valid when CPUID says OSXSAVE.
static unsigned long long xcr0(void) {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}

int descent_cpu_probe(descent_cpu_info *info) {
  memset(info, 0, sizeof *info);
  unsigned r[4];
  cpuid(0, 0, r);
  unsigned max_leaf = r[0];
  memcpy(info->vendor, &r[1], 4);
  memcpy(info->vendor + 4, &r[3], 4);
  memcpy(info->vendor + 8, &r[2], 4);

  cpuid(1, 0, r);
  unsigned base_family = (r[0] >> 8) & 0xf;
  unsigned model = (r[0] >> 4) & 0xf;
  info->family = (int32_t)base_family;
  if (base_family == 0xf) info->family += (int32_t)((r[0] >> 20) & 0xff);
  if (base_family == 0x6 || base_family == 0xf) model |= ((r[0] >> 16) & 0xf) << 4;
  info->model = (int32_t)model;
  info->stepping = (int32_t)(r[0] & 0xf);
  info->sse3 = (r[2] >> 0) & 1;
  info->fma = (r[2] >> 12) & 1;
  info->avx = (r[2] >> 28) & 1;
  int osxsave = (r[2] >> 27) & 1;
  if (osxsave) {
    unsigned long long state = xcr0();
    info->os_avx = (state & 0x6) == 0x6;
    info->os_avx512 = info->os_avx && (state & 0xe0) == 0xe0;
  }

  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    unsigned max_subleaf = r[0];
    info->avx2 = (r[1] >> 5) & 1;
    info->avx512f = (r[1] >> 16) & 1;
    info->avx512dq = (r[1] >> 17) & 1;
    info->avx512cd = (r[1] >> 28) & 1;
    info->avx512bw = (r[1] >> 30) & 1;
    info->avx512vl = (r[1] >> 31) & 1;
    info->amx = (r[3] >> 24) & 1;  // AMX-TILE
    if (max_subleaf >= 1) {
      cpuid(7, 1, r);
      info->avx512bf16 = (r[0] >> 5) & 1;
    }
  }

  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000004u) {
    unsigned words[12];
    for (unsigned i = 0; i < 3; i++) cpuid(0x80000002u + i, 0, words + 4 * i);
    memcpy(info->brand, words, 48);
    info->brand[48] = 0;
    // The brand string is padded with spaces on some CPUs.
    size_t start = 0;
    while (info->brand[start] == ' ') start++;
    if (start) memmove(info->brand, info->brand + start, strlen(info->brand + start) + 1);
    size_t end = strlen(info->brand);
    while (end > 0 && info->brand[end - 1] == ' ') info->brand[--end] = 0;
  }
  return 1;
}

#else

int descent_cpu_probe(descent_cpu_info *info) {
  memset(info, 0, sizeof *info);
  return 0;
}

#endif
