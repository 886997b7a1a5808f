// SGD for one element type; included by SGD.c through Instantiate.h with T, V, W, LOAD,
// STORE and FN defined.

typedef struct {
  T sign, weight_decay, momentum, one_minus_dampening, neg_lr;
} FN(sgd_scalars);

// SGDRule.reference's order (`_single_tensor_sgd`): d = ±g (+ wd·θ), b = d (first step) or
// b = b·μ + (1-τ)·d, d = d + μ·b (Nesterov) or d = b, θ = θ + (-lr)·d; each `x + α·y`
// (PyTorch's add_ with alpha) rounds once, as an fma.
DESCENT_INLINE void FN(sgd_lanes)(const FN(sgd_scalars) *s, S *p, const S *g, S *b,
                                  int64_t len, const int decay, const int momentum,
                                  const int first, const int nesterov) {
  V theta = LOAD(p, len);
  V d = s->sign * LOAD(g, len);
  if (decay) d = DESCENT_FMA(V, s->weight_decay, theta, d);
  if (momentum) {
    V buf = first ? d : DESCENT_FMA(V, s->one_minus_dampening, d, LOAD(b, len) * s->momentum);
    STORE(b, buf, len);
    d = nesterov ? DESCENT_FMA(V, s->momentum, buf, d) : buf;
  }
  STORE(p, DESCENT_FMA(V, s->neg_lr, d, theta), len);
}

DESCENT_DISPATCH
void FN(descent_sgd)(const void *config, const void *entries, int64_t tensor_count,
                      int64_t begin, int64_t end) {
  const descent_sgd_config *c = (const descent_sgd_config *)config;
  FN(sgd_scalars) s;
  s.sign = (T)c->sign;
  s.weight_decay = (T)c->weight_decay;
  s.momentum = (T)c->momentum;
  s.one_minus_dampening = (T)c->one_minus_dampening;
  s.neg_lr = (T)c->neg_lr;
  const int decay = c->has_decay != 0;
  const int nesterov = c->nesterov != 0;
  DESCENT_FOR_EACH_PART(descent_sgd_tensor, entries, tensor_count, begin, end, t, lo, n) {
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    const int momentum = t->momentum_buffer != 0;
    S *b = momentum ? (S *)t->momentum_buffer + lo : (S *)0;
    const int first = momentum && t->first_step != 0;
#define SGD_SPAN(D, M, F, N) \
  DESCENT_SPAN(W, n, i, len, FN(sgd_lanes)(&s, p + i, g + i, M ? b + i : b, len, D, M, F, N))
    // Literal flags, so that each loop is compiled without branches.
    switch ((decay << 3) | (momentum << 2) | (first << 1) | nesterov) {
      case 0: case 1: SGD_SPAN(0, 0, 0, 0); break;
      case 4: SGD_SPAN(0, 1, 0, 0); break;
      case 5: SGD_SPAN(0, 1, 0, 1); break;
      case 6: SGD_SPAN(0, 1, 1, 0); break;
      case 7: SGD_SPAN(0, 1, 1, 1); break;
      case 8: case 9: SGD_SPAN(1, 0, 0, 0); break;
      case 12: SGD_SPAN(1, 1, 0, 0); break;
      case 13: SGD_SPAN(1, 1, 0, 1); break;
      case 14: SGD_SPAN(1, 1, 1, 0); break;
      default: SGD_SPAN(1, 1, 1, 1); break;
    }
#undef SGD_SPAN
  }
}
