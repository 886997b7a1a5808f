// Device check: the target_clones (avx512f on this CPU) against the baseline build, bit for bit.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
typedef void (*narrow_fn)(const float *, uint16_t *, int64_t);
typedef void (*widen_fn)(const uint16_t *, float *, int64_t);
typedef void (*kernel_fn)(const void *, const void *, int64_t, int64_t, int64_t);
typedef const char *(*isa_fn)(void);
typedef struct { double sign, shrink, weight_decay, one_minus_beta1, beta2, one_minus_beta2, eps;
  int32_t decoupled, coupled, amsgrad, reserved; } adam_config;
typedef struct { void *param; const void *grad; void *exp_avg, *exp_avg_sq, *max_exp_avg_sq;
  int64_t start, count; double neg_step_size, bias_correction2_sqrt; uint64_t rounding_seed; } adam_tensor;
static uint64_t rng = 88172645463325252ull;
static uint32_t next32(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)rng; }
int main(void) {
  void *clone = dlopen("./libclones.so", RTLD_NOW), *base = dlopen("./libbase.so", RTLD_NOW);
  if (!clone || !base) { printf("dlopen failed %s\n", dlerror()); return 1; }
  printf("kernels isa: %s, half path: %s\n", ((isa_fn)dlsym(clone, "descent_kernels_isa"))(),
         ((isa_fn)dlsym(clone, "descent_half_conversion_isa"))());
  const char *narrow[] = {"descent_bf16_from_f32", "descent_f16_from_f32", "descent_f16_from_f32_portable", "descent_bf16_from_f32_portable"};
  int64_t chunk = 1 << 24; float *f = malloc(chunk * 4); uint16_t *a = malloc(chunk * 2), *b = malloc(chunk * 2);
  for (int k = 0; k < 4; k++) {
    narrow_fn fc = (narrow_fn)dlsym(clone, narrow[k]), fb = (narrow_fn)dlsym(base, "descent_f16_from_f32_portable");
    if (k == 0 || k == 3) fb = (narrow_fn)dlsym(base, "descent_bf16_from_f32_portable");
    uint64_t bad = 0;
    for (uint64_t s = 0; s < (1ull << 32); s += chunk) {
      for (int64_t i = 0; i < chunk; i++) { uint32_t u = (uint32_t)(s + i); memcpy(f + i, &u, 4); }
      fc(f, a, chunk - 3); fb(f, b, chunk - 3);
      for (int64_t i = 0; i < chunk - 3; i++) bad += a[i] != b[i];
    }
    printf("%s (clone) vs baseline portable, all float32: %llu mismatches\n", narrow[k], (unsigned long long)bad);
  }
  const char *widen[] = {"descent_f32_from_f16", "descent_f32_from_f16_portable", "descent_f32_from_bf16"};
  uint16_t h[65536]; float wa[65536], wb[65536];
  for (int i = 0; i < 65536; i++) h[i] = (uint16_t)i;
  for (int k = 0; k < 3; k++) {
    ((widen_fn)dlsym(clone, widen[k]))(h, wa, 65533);
    ((widen_fn)dlsym(base, k == 2 ? "descent_f32_from_bf16" : "descent_f32_from_f16_portable"))(h, wb, 65533);
    printf("%s (clone) vs baseline: %s\n", widen[k], memcmp(wa, wb, 65533 * 4) ? "DIFFER" : "identical");
  }
  // Fused half kernels: Adam (bf16, f16, f32 params with bf16 state, stochastic) and SGD.
  const char *kernels[] = {"descent_adam_bf16", "descent_adam_f16", "descent_adam_f32_bf16state", "descent_adam_f32_bf16state_sr", "descent_adam_f32_f16state"};
  int64_t n = 1000003;
  for (int k = 0; k < 5; k++) {
    int f32p = k >= 2; size_t pb = f32p ? 4 : 2;
    void *p[2], *g = malloc(n * pb), *m[2], *v[2], *vm[2];
    for (int64_t i = 0; i < n; i++) {
      float x = (float)((int32_t)next32()) / 2147483648.0f, y = (float)((int32_t)next32()) / 2147483648.0f * 1e-2f;
      if (f32p) { ((float *)g)[i] = y; } else { float t[1] = {y}; ((narrow_fn)dlsym(base, k == 0 ? "descent_bf16_from_f32_portable" : "descent_f16_from_f32_portable"))(t, (uint16_t *)g + i, 1); }
      (void)x;
    }
    for (int r = 0; r < 2; r++) {
      p[r] = calloc(n, pb); m[r] = calloc(n, 2 + 2 * (k < 2 ? 0 : 0)); v[r] = calloc(n, 2); vm[r] = calloc(n, 2);
      rng = 12345; for (int64_t i = 0; i < n; i++) { float x = (float)((int32_t)next32()) / 2147483648.0f; if (f32p) ((float *)p[r])[i] = x; else { uint32_t u; memcpy(&u, &x, 4); ((uint16_t *)p[r])[i] = (uint16_t)(u >> 16); } }
    }
    adam_config c = {1, 1 - 1e-3 * 0.01, 0.01, 0.1, 0.999, 0.001, 1e-8, 0, 1, 1, 0};
    for (int step = 1; step <= 3; step++) {
      for (int r = 0; r < 2; r++) {
        adam_tensor t = {p[r], g, m[r], v[r], vm[r], 0, n, -1e-3 / (1 - 0.9), 0.03, 77 + step};
        ((kernel_fn)dlsym(r ? base : clone, kernels[k]))(&c, &t, 1, 0, n);
      }
    }
    printf("%s (clone) vs baseline after 3 steps: param %s, exp_avg %s, exp_avg_sq %s, max %s\n", kernels[k],
      memcmp(p[0], p[1], n * pb) ? "DIFFER" : "identical", memcmp(m[0], m[1], n * 2) ? "DIFFER" : "identical",
      memcmp(v[0], v[1], n * 2) ? "DIFFER" : "identical", memcmp(vm[0], vm[1], n * 2) ? "DIFFER" : "identical");
  }
  return 0;
}
