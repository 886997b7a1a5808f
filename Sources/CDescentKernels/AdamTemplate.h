// Adam for one element type; included by Adam.c through Instantiate.h with T, V, W, LOAD,
// STORE and FN defined.

typedef struct {
  T sign, shrink, weight_decay, one_minus_beta1, beta2, one_minus_beta2, eps;
  T bias_correction2_sqrt, neg_step_size;  // per tensor
} FN(adam_scalars);

// AdamRule.reference's order (`_single_tensor_adam`): θ = θ·(1 - lr·wd) (decoupled),
// d = ±g (+ wd·θ) (coupled), m = lerp(m, d, 1-β₁), v = v·β₂ + ((1-β₂)·d)·d,
// v̂ = max(v̂, v) (AMSGrad), denom = sqrt(v or v̂)/bc2_sqrt + eps,
// θ = θ + ((-step_size)·m)/denom.
DESCENT_INLINE void FN(adam_lanes)(const FN(adam_scalars) *s, S *p, const S *g, S *m, S *v,
                                   S *vmax, int64_t len, const int amsgrad, const int coupled,
                                   const int lerp_from_start) {
  V theta = LOAD(p, len);
  // With no decoupled decay `shrink` is 1, and θ·1 is exact.
  theta = theta * s->shrink;
  V d = s->sign * LOAD(g, len);
  if (coupled) d = DESCENT_FMA(V, s->weight_decay, theta, d);
  // torch.lerp: start + w·(end - start) when |w| < 0.5, else end - (end - start)·(1 - w).
  V start = LOAD(m, len);
  V mean = lerp_from_start ? DESCENT_FMA(V, s->one_minus_beta1, d - start, start)
                           : DESCENT_FMA(V, s->one_minus_beta1 - (T)1, d - start, d);
  STORE(m, mean, len);
  V sq = DESCENT_FMA(V, s->one_minus_beta2 * d, d, LOAD(v, len) * s->beta2);
  STORE(v, sq, len);
  if (amsgrad) {
    // torch.maximum: NaN in either operand gives NaN.
    V old = LOAD(vmax, len);
    sq = ((old != old) | (old > sq)) ? old : sq;
    STORE(vmax, sq, len);
  }
  V denom = __builtin_elementwise_sqrt(sq) / s->bias_correction2_sqrt + s->eps;
  STORE(p, theta + s->neg_step_size * mean / denom, len);
}

DESCENT_DISPATCH
void FN(descent_adam)(const void *config, const void *entries, int64_t tensor_count,
                      int64_t begin, int64_t end) {
  const descent_adam_config *c = (const descent_adam_config *)config;
  FN(adam_scalars) s;
  s.sign = (T)c->sign;
  s.shrink = c->decoupled ? (T)c->shrink : (T)1;
  s.weight_decay = (T)c->weight_decay;
  s.one_minus_beta1 = (T)c->one_minus_beta1;
  s.beta2 = (T)c->beta2;
  s.one_minus_beta2 = (T)c->one_minus_beta2;
  s.eps = (T)c->eps;
  const int lerp_from_start = (s.one_minus_beta1 < 0 ? -s.one_minus_beta1 : s.one_minus_beta1) < (T)0.5;
  const int amsgrad = c->amsgrad != 0;
  const int coupled = c->coupled != 0;
  DESCENT_FOR_EACH_PART(descent_adam_tensor, entries, tensor_count, begin, end, t, lo, n) {
    s.bias_correction2_sqrt = (T)t->bias_correction2_sqrt;
    s.neg_step_size = (T)t->neg_step_size;
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *m = (S *)t->exp_avg + lo;
    S *v = (S *)t->exp_avg_sq + lo;
    S *vmax = amsgrad ? (S *)t->max_exp_avg_sq + lo : (S *)0;
#define ADAM_SPAN(A, C, L) \
  DESCENT_SPAN(W, n, i, len, FN(adam_lanes)(&s, p + i, g + i, m + i, v + i, A ? vmax + i : vmax, len, A, C, L))
    // Literal flags, so that each loop is compiled without branches.
    switch ((amsgrad << 2) | (coupled << 1) | lerp_from_start) {
      case 0: ADAM_SPAN(0, 0, 0); break;
      case 1: ADAM_SPAN(0, 0, 1); break;
      case 2: ADAM_SPAN(0, 1, 0); break;
      case 3: ADAM_SPAN(0, 1, 1); break;
      case 4: ADAM_SPAN(1, 0, 0); break;
      case 5: ADAM_SPAN(1, 0, 1); break;
      case 6: ADAM_SPAN(1, 1, 0); break;
      default: ADAM_SPAN(1, 1, 1); break;
    }
#undef ADAM_SPAN
  }
}
