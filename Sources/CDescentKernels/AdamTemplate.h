// Adam for one element type; included by Adam.c through Instantiate.h with T, S, V, W,
// LOAD, STORE and FN defined. The moments may be stored in another type than the
// parameter (`stateDType:`): Adam.c then defines SS, LOAD_STATE and STORE_STATE too.
#ifndef SS
#define SS S
#define LOAD_STATE LOAD
#define STORE_STATE(p, value, len, index, salt) STORE(p, value, len)
#define ADAM_DEFAULT_STATE_MACROS
#endif

typedef struct {
  T sign, shrink, weight_decay, one_minus_beta1, beta2, one_minus_beta2, eps;
  T bias_correction2_sqrt, neg_step_size;  // per tensor
} FN(adam_scalars);

// AdamRule.reference's order (`_single_tensor_adam`): θ = θ·(1 - lr·wd) (decoupled),
// d = ±g (+ wd·θ) (coupled), m = lerp(m, d, 1-β₁), v = v·β₂ + ((1-β₂)·d)·d,
// v̂ = max(v̂, v) (AMSGrad), denom = sqrt(v or v̂)/bc2_sqrt + eps,
// θ = θ + ((-step_size)·m)/denom.
DESCENT_INLINE void FN(adam_lanes)(const FN(adam_scalars) *s, S *p, const S *g, SS *m, SS *v,
                                   SS *vmax, int64_t len, const int amsgrad, const int coupled,
                                   const int lerp_from_start, int64_t index,
                                   uint64_t rounding_seed) {
  (void)index;
  (void)rounding_seed;
  V theta = LOAD(p, len);
  // With no decoupled decay `shrink` is 1, and θ·1 is exact.
  theta = theta * s->shrink;
  V d = s->sign * LOAD(g, len);
  if (coupled) d = DESCENT_FMA(V, s->weight_decay, theta, d);
  // torch.lerp: start + w·(end - start) when |w| < 0.5, else end - (end - start)·(1 - w).
  V start = LOAD_STATE(m, len);
  V mean = lerp_from_start ? DESCENT_FMA(V, s->one_minus_beta1, d - start, start)
                           : DESCENT_FMA(V, s->one_minus_beta1 - (T)1, d - start, d);
  STORE_STATE(m, mean, len, index, rounding_seed);
  V sq = DESCENT_FMA(V, s->one_minus_beta2 * d, d, LOAD_STATE(v, len) * s->beta2);
  STORE_STATE(v, sq, len, index, rounding_seed ^ 0x5851F42D4C957F2Dull);
  if (amsgrad) {
    // torch.maximum: NaN in either operand gives NaN.
    V old = LOAD_STATE(vmax, len);
    sq = ((old != old) | (old > sq)) ? old : sq;
    // Rounded as v was (v̂ holds values of v), so that v̂ ≥ v holds after rounding too.
    STORE_STATE(vmax, sq, len, index, rounding_seed ^ 0x5851F42D4C957F2Dull);
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
    SS *m = (SS *)t->exp_avg + lo;
    SS *v = (SS *)t->exp_avg_sq + lo;
    SS *vmax = amsgrad ? (SS *)t->max_exp_avg_sq + lo : (SS *)0;
    const uint64_t seed = t->rounding_seed;
#define ADAM_SPAN(A, C, L) \
  DESCENT_SPAN(W, n, i, len, FN(adam_lanes)(&s, p + i, g + i, m + i, v + i, A ? vmax + i : vmax, len, A, C, L, lo + i, seed))
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

#ifdef ADAM_DEFAULT_STATE_MACROS
#undef SS
#undef LOAD_STATE
#undef STORE_STATE
#undef ADAM_DEFAULT_STATE_MACROS
#endif
