// Adadelta for one element type; included by Adadelta.c through Instantiate.h with T, V, W,
// LOAD, STORE and FN defined.

typedef struct {
  T sign, weight_decay, rho, one_minus_rho, eps, neg_lr;
} FN(adadelta_scalars);

// AdadeltaRule.reference's order (`_single_tensor_adadelta`): d = ±g (+ wd·θ),
// v = v·ρ + ((1-ρ)·d)·d, std = sqrt(v + eps), δ = (sqrt(u + eps) / std)·d,
// u = u·ρ + ((1-ρ)·δ)·δ, θ = θ + (-lr)·δ; the `+` after a product rounds once (addcmul_,
// add_ with alpha), as an fma (ADD_ALPHA: except in PyTorch's scalar tails of a half tensor).
DESCENT_INLINE void FN(adadelta_lanes)(const FN(adadelta_scalars) *s, S *p, const S *g, S *v,
                                       S *u, int64_t len, const int decay, const int tail) {
  // ROUND marks where PyTorch's for-loop rounds to a half parameter's type (identity for
  // float and double): PyTorch has no fused Adadelta, and its for-loop rounds every op.
  V theta = LOAD(p, len);
  V d = s->sign * LOAD(g, len);
  if (decay) d = ROUND(ADD_ALPHA(d, s->weight_decay, theta, tail));
  V sq = ROUND(DESCENT_FMA(V, s->one_minus_rho * d, d, ROUND(LOAD(v, len) * s->rho)));
  STORE(v, sq, len);
  V std = ROUND(__builtin_elementwise_sqrt(ROUND(sq + s->eps)));
  V acc = LOAD(u, len);
  V delta = ROUND(ROUND(ROUND(__builtin_elementwise_sqrt(ROUND(acc + s->eps))) / std) * d);
  STORE(u, DESCENT_FMA(V, s->one_minus_rho * delta, delta, ROUND(acc * s->rho)), len);
  STORE(p, ADD_ALPHA(theta, s->neg_lr, delta, tail), len);
}

DESCENT_DISPATCH
void FN(descent_adadelta)(const void *config, const void *entries, int64_t tensor_count,
                          int64_t begin, int64_t end) {
  const descent_adadelta_config *c = (const descent_adadelta_config *)config;
  FN(adadelta_scalars) s;
  s.sign = (T)c->sign;
  s.weight_decay = ROUND_SCALAR((T)c->weight_decay);  // `add(param, alpha=wd)` casts it
  s.rho = (T)c->rho;
  s.one_minus_rho = (T)c->one_minus_rho;
  s.eps = ROUND_SCALAR((T)c->eps);  // `add(eps)` casts it to the tensor's type
  s.neg_lr = ROUND_SCALAR((T)c->neg_lr);  // `add_(delta, alpha=-lr)` casts it
  const int decay = c->has_decay != 0;
  DESCENT_FOR_EACH_PART(descent_adadelta_tensor, entries, tensor_count, begin, end, t, lo, n) {
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *v = (S *)t->square_avg + lo;
    S *u = (S *)t->acc_delta + lo;
    // Literal flags, so that each loop is compiled without branches.
#define ADADELTA_SPAN(D)                                                    \
  TORCH_SPAN(t->count, lo, n, i, len,                                       \
             FN(adadelta_lanes)(&s, p + i, g + i, v + i, u + i, len, D, 0), \
             FN(adadelta_lanes)(&s, p + i, g + i, v + i, u + i, len, D, 1))
    if (decay) {
      ADADELTA_SPAN(1);
    } else {
      ADADELTA_SPAN(0);
    }
#undef ADADELTA_SPAN
  }
}
