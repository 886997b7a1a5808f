// SGD for one element type; included by SGD.c with T, V, W, LOAD, STORE and FN defined.

typedef struct {
  T sign, wd, mu, undamped, neg_lr;
} FN(sgd_scalars);

// `_single_tensor_sgd`'s order: d = ±g (+ wd·θ), b = d (first step) or b = b·μ + (1-τ)·d,
// d = d + μ·b (Nesterov) or d = b, θ = θ + (-lr)·d; each `x + α·y` (PyTorch's add_ with
// alpha) rounds once, as an fma.
DESCENT_INLINE void FN(sgd_lanes)(const FN(sgd_scalars) *s, T *p, const T *g, T *b,
                                  int64_t len, const int decay, const int momentum,
                                  const int first, const int nesterov) {
  V theta = LOAD(p, len);
  V d = s->sign * LOAD(g, len);
  if (decay) d = DESCENT_FMA(V, s->wd, theta, d);
  if (momentum) {
    V buf = first ? d : DESCENT_FMA(V, s->undamped, d, LOAD(b, len) * s->mu);
    STORE(b, buf, len);
    d = nesterov ? DESCENT_FMA(V, s->mu, buf, d) : buf;
  }
  STORE(p, DESCENT_FMA(V, s->neg_lr, d, theta), len);
}

DESCENT_INLINE void FN(sgd_span)(const FN(sgd_scalars) *s, T *p, const T *g, T *b, int64_t n,
                                 const int decay, const int momentum, const int first,
                                 const int nesterov) {
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    FN(sgd_lanes)(s, p + i, g + i, momentum ? b + i : b, W, decay, momentum, first, nesterov);
  }
  if (i < n) {
    FN(sgd_lanes)(s, p + i, g + i, momentum ? b + i : b, n - i, decay, momentum, first, nesterov);
  }
}

DESCENT_DISPATCH
void FN(descent_sgd)(const void *config, const void *entries, int64_t tensor_count,
                      int64_t begin, int64_t end) {
  const descent_sgd_config *c = (const descent_sgd_config *)config;
  const descent_sgd_tensor *tensors = (const descent_sgd_tensor *)entries;
  if (tensor_count <= 0 || begin >= end) return;
  FN(sgd_scalars) s;
  s.sign = (T)c->sign;
  s.wd = (T)c->weight_decay;
  s.mu = (T)c->momentum;
  s.undamped = (T)c->one_minus_dampening;
  s.neg_lr = (T)c->neg_lr;
  const int decay = c->has_decay != 0;
  const int nesterov = c->nesterov != 0;
  int64_t first_tensor;
  DESCENT_FIND_FIRST(tensors, tensor_count, begin, first_tensor);
  for (int64_t k = first_tensor; k < tensor_count && tensors[k].start < end; k++) {
    const descent_sgd_tensor *t = &tensors[k];
    int64_t lo = (begin > t->start ? begin : t->start) - t->start;
    int64_t hi = (end < t->start + t->count ? end : t->start + t->count) - t->start;
    if (hi <= lo) continue;
    T *p = (T *)t->param + lo;
    const T *g = (const T *)t->grad + lo;
    const int momentum = t->momentum_buffer != 0;
    T *b = momentum ? (T *)t->momentum_buffer + lo : (T *)0;
    const int first = momentum && t->first_step != 0;
    int64_t n = hi - lo;
    // Literal flags, so that each loop is compiled without branches.
    switch ((decay << 3) | (momentum << 2) | (first << 1) | nesterov) {
      case 0: case 1: FN(sgd_span)(&s, p, g, b, n, 0, 0, 0, 0); break;
      case 4: FN(sgd_span)(&s, p, g, b, n, 0, 1, 0, 0); break;
      case 5: FN(sgd_span)(&s, p, g, b, n, 0, 1, 0, 1); break;
      case 6: FN(sgd_span)(&s, p, g, b, n, 0, 1, 1, 0); break;
      case 7: FN(sgd_span)(&s, p, g, b, n, 0, 1, 1, 1); break;
      case 8: case 9: FN(sgd_span)(&s, p, g, b, n, 1, 0, 0, 0); break;
      case 12: FN(sgd_span)(&s, p, g, b, n, 1, 1, 0, 0); break;
      case 13: FN(sgd_span)(&s, p, g, b, n, 1, 1, 0, 1); break;
      case 14: FN(sgd_span)(&s, p, g, b, n, 1, 1, 1, 0); break;
      default: FN(sgd_span)(&s, p, g, b, n, 1, 1, 1, 1); break;
    }
  }
}
