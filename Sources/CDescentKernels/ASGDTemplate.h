// ASGD for one element type; included by ASGD.c through Instantiate.h with T, V, W, LOAD,
// STORE and FN defined.

typedef struct {
  T sign, weight_decay;
  T shrink, neg_eta, mu;  // per tensor
} FN(asgd_scalars);

// ASGDRule.reference's order (`_single_tensor_asgd`): d = ±g (+ wd·θ), θ = θ·(1 - λ·η),
// θ = θ + (-η)·d (add_ with alpha: ADD_ALPHA), then ax = ax + (θ - ax)·μ when μ ≠ 1,
// else ax = θ.
DESCENT_INLINE void FN(asgd_lanes)(const FN(asgd_scalars) *s, S *p, const S *g, S *ax,
                                   int64_t len, const int decay, const int average,
                                   const int tail) {
  // ROUND marks where PyTorch's for-loop rounds to a half parameter's type (identity for
  // float and double): PyTorch has no fused ASGD, and its for-loop rounds every op.
  V theta = LOAD(p, len);
  V d = s->sign * LOAD(g, len);
  if (decay) d = ROUND(ADD_ALPHA(d, s->weight_decay, theta, tail));
  theta = ROUND(ADD_ALPHA(ROUND(theta * s->shrink), s->neg_eta, d, tail));
  STORE(p, theta, len);
  if (average) {
    V old = LOAD(ax, len);
    STORE(ax, old + ROUND(ROUND(theta - old) * s->mu), len);
  } else {
    STORE(ax, theta, len);
  }
}

DESCENT_DISPATCH
void FN(descent_asgd)(const void *config, const void *entries, int64_t tensor_count,
                      int64_t begin, int64_t end) {
  const descent_asgd_config *c = (const descent_asgd_config *)config;
  FN(asgd_scalars) s;
  s.sign = (T)c->sign;
  s.weight_decay = ROUND_SCALAR((T)c->weight_decay);  // `add(param, alpha=wd)` casts it
  const int decay = c->has_decay != 0;
  DESCENT_FOR_EACH_PART(descent_asgd_tensor, entries, tensor_count, begin, end, t, lo, n) {
    s.shrink = (T)t->shrink;
    s.neg_eta = ROUND_SCALAR((T)t->neg_eta);  // `add_(grad, alpha=-eta)` casts it
    s.mu = (T)t->mu;
    const int average = t->average != 0;
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *ax = (S *)t->ax + lo;
#define ASGD_SPAN(D, A)                                                          \
  TORCH_SPAN(t->count, lo, n, i, len,                                            \
             FN(asgd_lanes)(&s, p + i, g + i, ax + i, len, D, A, 0),             \
             FN(asgd_lanes)(&s, p + i, g + i, ax + i, len, D, A, 1))
    // Literal flags, so that each loop is compiled without branches.
    switch ((decay << 1) | average) {
      case 0: ASGD_SPAN(0, 0); break;
      case 1: ASGD_SPAN(0, 1); break;
      case 2: ASGD_SPAN(1, 0); break;
      default: ASGD_SPAN(1, 1); break;
    }
#undef ASGD_SPAN
  }
}
