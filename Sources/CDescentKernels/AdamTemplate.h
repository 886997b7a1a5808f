// Adam for one element type; included by Adam.c with T, V, W, LOAD, STORE and FN defined.

typedef struct {
  T sign, shrink, wd, w1, one_minus_w1, b2, one_minus_b2, bc2_sqrt, eps, neg_step_size;
} FN(adam_scalars);

// `_single_tensor_adam`'s order: θ = θ·(1 - lr·wd) (decoupled), d = ±g (+ wd·θ) (coupled),
// m = lerp(m, d, 1-β₁), v = v·β₂ + ((1-β₂)·d)·d, v̂ = max(v̂, v) (AMSGrad),
// denom = sqrt(v or v̂)/bc2_sqrt + eps, θ = θ + ((-step_size)·m)/denom. Where PyTorch rounds
// a·b + c once (add_ with alpha, addcmul_, lerp_) so does this, through an fma.
DESCENT_INLINE void FN(adam_lanes)(const FN(adam_scalars) *s, T *p, const T *g, T *m, T *v,
                                   T *vmax, int64_t len, const int amsgrad, const int coupled,
                                   const int small) {
  V theta = LOAD(p, len);
  // With no decoupled decay `shrink` is 1, and θ·1 is exact.
  theta = theta * s->shrink;
  V d = s->sign * LOAD(g, len);
  if (coupled) d = DESCENT_FMA(V, s->wd, theta, d);
  // torch.lerp: start + w·(end - start) when |w| < 0.5, else end - (end - start)·(1 - w).
  V start = LOAD(m, len);
  V mean = small ? DESCENT_FMA(V, s->w1, d - start, start)
                 : DESCENT_FMA(V, s->w1 - (T)1, d - start, d);
  STORE(m, mean, len);
  V sq = DESCENT_FMA(V, s->one_minus_b2 * d, d, LOAD(v, len) * s->b2);
  STORE(v, sq, len);
  if (amsgrad) {
    // torch.maximum: NaN in either operand gives NaN.
    V old = LOAD(vmax, len);
    sq = ((old != old) | (old > sq)) ? old : sq;
    STORE(vmax, sq, len);
  }
  V denom = __builtin_elementwise_sqrt(sq) / s->bc2_sqrt + s->eps;
  STORE(p, theta + s->neg_step_size * mean / denom, len);
}

DESCENT_INLINE void FN(adam_span)(const FN(adam_scalars) *s, T *p, const T *g, T *m, T *v,
                                  T *vmax, int64_t n, const int amsgrad, const int coupled,
                                  const int small) {
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    FN(adam_lanes)(s, p + i, g + i, m + i, v + i, amsgrad ? vmax + i : vmax, W, amsgrad, coupled,
                   small);
  }
  if (i < n) {
    FN(adam_lanes)(s, p + i, g + i, m + i, v + i, amsgrad ? vmax + i : vmax, n - i, amsgrad,
                   coupled, small);
  }
}

DESCENT_DISPATCH
void FN(descent_adam)(const void *config, const void *entries, int64_t tensor_count,
                      int64_t begin, int64_t end) {
  const descent_adam_config *c = (const descent_adam_config *)config;
  const descent_adam_tensor *tensors = (const descent_adam_tensor *)entries;
  if (tensor_count <= 0 || begin >= end) return;
  FN(adam_scalars) s;
  s.sign = (T)c->sign;
  s.shrink = c->decoupled ? (T)c->shrink : (T)1;
  s.wd = (T)c->weight_decay;
  s.w1 = (T)c->one_minus_beta1;
  s.one_minus_w1 = (T)1 - s.w1;
  s.b2 = (T)c->beta2;
  s.one_minus_b2 = (T)c->one_minus_beta2;
  s.eps = (T)c->eps;
  const int small = (s.w1 < 0 ? -s.w1 : s.w1) < (T)0.5;
  const int amsgrad = c->amsgrad != 0;
  const int coupled = c->coupled != 0;
  int64_t first;
  DESCENT_FIND_FIRST(tensors, tensor_count, begin, first);
  for (int64_t k = first; k < tensor_count && tensors[k].start < end; k++) {
    const descent_adam_tensor *t = &tensors[k];
    int64_t lo = (begin > t->start ? begin : t->start) - t->start;
    int64_t hi = (end < t->start + t->count ? end : t->start + t->count) - t->start;
    if (hi <= lo) continue;
    s.bc2_sqrt = (T)t->bias_correction2_sqrt;
    s.neg_step_size = (T)t->neg_step_size;
    T *p = (T *)t->param + lo;
    const T *g = (const T *)t->grad + lo;
    T *m = (T *)t->exp_avg + lo;
    T *v = (T *)t->exp_avg_sq + lo;
    T *vmax = amsgrad ? (T *)t->max_exp_avg_sq + lo : (T *)0;
    int64_t n = hi - lo;
    // Literal flags, so that each loop is compiled without branches.
    switch ((amsgrad << 2) | (coupled << 1) | small) {
      case 0: FN(adam_span)(&s, p, g, m, v, vmax, n, 0, 0, 0); break;
      case 1: FN(adam_span)(&s, p, g, m, v, vmax, n, 0, 0, 1); break;
      case 2: FN(adam_span)(&s, p, g, m, v, vmax, n, 0, 1, 0); break;
      case 3: FN(adam_span)(&s, p, g, m, v, vmax, n, 0, 1, 1); break;
      case 4: FN(adam_span)(&s, p, g, m, v, vmax, n, 1, 0, 0); break;
      case 5: FN(adam_span)(&s, p, g, m, v, vmax, n, 1, 0, 1); break;
      case 6: FN(adam_span)(&s, p, g, m, v, vmax, n, 1, 1, 0); break;
      default: FN(adam_span)(&s, p, g, m, v, vmax, n, 1, 1, 1); break;
    }
  }
}
