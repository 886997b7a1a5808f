// Adamax for one element type; included by Adamax.c through Instantiate.h with T, V, W,
// LOAD, STORE and FN defined.

typedef struct {
  T sign, weight_decay, one_minus_beta1, beta2, eps;
  T neg_clr;  // per tensor
} FN(adamax_scalars);

// AdamaxRule.reference's order (`_single_tensor_adamax`): d = ±g (+ wd·θ),
// m = lerp(m, d, 1-β₁), u = maximum(u·β₂, |d| + eps), θ = θ + ((-clr)·m)/u.
DESCENT_INLINE void FN(adamax_lanes)(const FN(adamax_scalars) *s, S *p, const S *g, S *m,
                                     S *u, int64_t len, const int decay,
                                     const int lerp_from_start, const int tail) {
  // ROUND marks where PyTorch's for-loop rounds to a half parameter's type (identity for
  // float and double): PyTorch has no fused Adamax, and its for-loop rounds every op.
  V theta = LOAD(p, len);
  V d = s->sign * LOAD(g, len);
  if (decay) d = ROUND(ADD_ALPHA(d, s->weight_decay, theta, tail));
  V start = LOAD(m, len);
  V mean = DESCENT_LERP(V, start, d, s->one_minus_beta1, lerp_from_start);
  STORE(m, mean, len);
  mean = ROUND(mean);
  V decayed = ROUND(LOAD(u, len) * s->beta2);
  V norm = ROUND(__builtin_elementwise_abs(d) + s->eps);
  // torch.maximum: NaN in either operand gives NaN.
  V inf = ((decayed != decayed) | (decayed > norm)) ? decayed : norm;
  STORE(u, inf, len);
  STORE(p, theta + s->neg_clr * mean / inf, len);
}

DESCENT_DISPATCH
void FN(descent_adamax)(const void *config, const void *entries, int64_t tensor_count,
                        int64_t begin, int64_t end) {
  const descent_adamax_config *c = (const descent_adamax_config *)config;
  FN(adamax_scalars) s;
  s.sign = (T)c->sign;
  s.weight_decay = ROUND_SCALAR((T)c->weight_decay);  // `add(param, alpha=wd)` casts it
  s.one_minus_beta1 = (T)c->one_minus_beta1;
  s.beta2 = (T)c->beta2;
  s.eps = ROUND_SCALAR((T)c->eps);  // `add_(eps)` casts it to the tensor's type
  const int decay = c->has_decay != 0;
  const int lerp_from_start =
      (s.one_minus_beta1 < 0 ? -s.one_minus_beta1 : s.one_minus_beta1) < (T)0.5;
  DESCENT_FOR_EACH_PART(descent_adamax_tensor, entries, tensor_count, begin, end, t, lo, n) {
    s.neg_clr = (T)t->neg_clr;
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *m = (S *)t->exp_avg + lo;
    S *u = (S *)t->exp_inf + lo;
#define ADAMAX_SPAN(D, L)                                                      \
  TORCH_SPAN(t->count, lo, n, i, len,                                          \
             FN(adamax_lanes)(&s, p + i, g + i, m + i, u + i, len, D, L, 0),   \
             FN(adamax_lanes)(&s, p + i, g + i, m + i, u + i, len, D, L, 1))
    // Literal flags, so that each loop is compiled without branches.
    switch ((decay << 1) | lerp_from_start) {
      case 0: ADAMAX_SPAN(0, 0); break;
      case 1: ADAMAX_SPAN(0, 1); break;
      case 2: ADAMAX_SPAN(1, 0); break;
      default: ADAMAX_SPAN(1, 1); break;
    }
#undef ADAMAX_SPAN
  }
}
