// Adagrad for one element type; included by Adagrad.c through Instantiate.h with T, V, W,
// LOAD, STORE and FN defined.

typedef struct {
  T sign, weight_decay, eps;
  T neg_clr;  // per tensor
} FN(adagrad_scalars);

// AdagradRule.reference's order (`_single_tensor_adagrad`): d = ±g (+ wd·θ),
// sum = sum + (1·d)·d (addcmul_, one rounding), std = sqrt(sum) + eps,
// θ = θ + ((-clr)·d)/std (addcdiv_, each operation rounded).
DESCENT_INLINE void FN(adagrad_lanes)(const FN(adagrad_scalars) *s, S *p, const S *g, S *sum,
                                      int64_t len, const int decay) {
  V theta = LOAD(p, len);
  V d = s->sign * LOAD(g, len);
  if (decay) d = DESCENT_FMA(V, s->weight_decay, theta, d);
  V acc = DESCENT_FMA(V, (T)1 * d, d, LOAD(sum, len));
  STORE(sum, acc, len);
  V std = __builtin_elementwise_sqrt(acc) + s->eps;
  STORE(p, theta + s->neg_clr * d / std, len);
}

DESCENT_DISPATCH
void FN(descent_adagrad)(const void *config, const void *entries, int64_t tensor_count,
                         int64_t begin, int64_t end) {
  const descent_adagrad_config *c = (const descent_adagrad_config *)config;
  FN(adagrad_scalars) s;
  s.sign = (T)c->sign;
  s.weight_decay = (T)c->weight_decay;
  s.eps = (T)c->eps;
  const int decay = c->has_decay != 0;
  DESCENT_FOR_EACH_PART(descent_adagrad_tensor, entries, tensor_count, begin, end, t, lo, n) {
    s.neg_clr = (T)t->neg_clr;
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *sum = (S *)t->sum + lo;
    // Literal flags, so that each loop is compiled without branches.
    if (decay) {
      DESCENT_SPAN(W, n, i, len, FN(adagrad_lanes)(&s, p + i, g + i, sum + i, len, 1));
    } else {
      DESCENT_SPAN(W, n, i, len, FN(adagrad_lanes)(&s, p + i, g + i, sum + i, len, 0));
    }
  }
}
