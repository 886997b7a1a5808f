// Adadelta for one element type; included by Adadelta.c through Instantiate.h with T, V, W,
// LOAD, STORE and FN defined.

typedef struct {
  T sign, weight_decay, rho, one_minus_rho, eps, neg_lr;
} FN(adadelta_scalars);

// AdadeltaRule.reference's order (`_single_tensor_adadelta`): d = ±g (+ wd·θ),
// v = v·ρ + ((1-ρ)·d)·d, std = sqrt(v + eps), δ = (sqrt(u + eps) / std)·d,
// u = u·ρ + ((1-ρ)·δ)·δ, θ = θ + (-lr)·δ; the `+` after a product rounds once (addcmul_,
// add_ with alpha), as an fma.
DESCENT_INLINE void FN(adadelta_lanes)(const FN(adadelta_scalars) *s, S *p, const S *g, S *v,
                                       S *u, int64_t len, const int decay) {
  V theta = LOAD(p, len);
  V d = s->sign * LOAD(g, len);
  if (decay) d = DESCENT_FMA(V, s->weight_decay, theta, d);
  V sq = DESCENT_FMA(V, s->one_minus_rho * d, d, LOAD(v, len) * s->rho);
  STORE(v, sq, len);
  V std = __builtin_elementwise_sqrt(sq + s->eps);
  V acc = LOAD(u, len);
  V delta = __builtin_elementwise_sqrt(acc + s->eps) / std * d;
  STORE(u, DESCENT_FMA(V, s->one_minus_rho * delta, delta, acc * s->rho), len);
  STORE(p, DESCENT_FMA(V, s->neg_lr, delta, theta), len);
}

DESCENT_DISPATCH
void FN(descent_adadelta)(const void *config, const void *entries, int64_t tensor_count,
                          int64_t begin, int64_t end) {
  const descent_adadelta_config *c = (const descent_adadelta_config *)config;
  FN(adadelta_scalars) s;
  s.sign = (T)c->sign;
  s.weight_decay = (T)c->weight_decay;
  s.rho = (T)c->rho;
  s.one_minus_rho = (T)c->one_minus_rho;
  s.eps = (T)c->eps;
  s.neg_lr = (T)c->neg_lr;
  const int decay = c->has_decay != 0;
  DESCENT_FOR_EACH_PART(descent_adadelta_tensor, entries, tensor_count, begin, end, t, lo, n) {
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *v = (S *)t->square_avg + lo;
    S *u = (S *)t->acc_delta + lo;
    // Literal flags, so that each loop is compiled without branches.
    if (decay) {
      DESCENT_SPAN(W, n, i, len, FN(adadelta_lanes)(&s, p + i, g + i, v + i, u + i, len, 1));
    } else {
      DESCENT_SPAN(W, n, i, len, FN(adadelta_lanes)(&s, p + i, g + i, v + i, u + i, len, 0));
    }
  }
}
