// RMSprop for one element type; included by RMSprop.c with T, V, W, LOAD, STORE and FN defined.

typedef struct {
  T sign, wd, alpha, one_minus_alpha, one_minus_weight, eps, mu, neg_lr;
} FN(rmsprop_scalars);

// `_single_tensor_rmsprop`'s order: d = ±g (+ wd·θ), v = v·α + ((1-α)·d)·d,
// ḡ = lerp(ḡ, d, 1-α) when centered, a = sqrt(v + (-ḡ)·ḡ) or sqrt(v), a = a + eps,
// b = b·μ + d/a, θ = θ + (-lr)·b with momentum, else θ = θ + ((-lr)·d)/a. Where PyTorch
// rounds a·b + c once (add_ with alpha, addcmul_, lerp_) so does this, through an fma.
DESCENT_INLINE void FN(rmsprop_lanes)(const FN(rmsprop_scalars) *s, T *p, const T *g, T *v,
                                      T *ga, T *b, int64_t len, const int decay,
                                      const int centered, const int small, const int momentum) {
  V theta = LOAD(p, len);
  V d = s->sign * LOAD(g, len);
  if (decay) d = DESCENT_FMA(V, s->wd, theta, d);
  V sq = DESCENT_FMA(V, s->one_minus_alpha * d, d, LOAD(v, len) * s->alpha);
  STORE(v, sq, len);
  V avg;
  if (centered) {
    V start = LOAD(ga, len);
    V mean = small ? DESCENT_FMA(V, s->one_minus_alpha, d - start, start)
                   : DESCENT_FMA(V, s->one_minus_alpha - (T)1, d - start, d);
    STORE(ga, mean, len);
    avg = __builtin_elementwise_sqrt(DESCENT_FMA(V, (T)-1 * mean, mean, sq));
  } else {
    avg = __builtin_elementwise_sqrt(sq);
  }
  avg = avg + s->eps;
  if (momentum) {
    V buf = LOAD(b, len) * s->mu + (T)1 * d / avg;
    STORE(b, buf, len);
    STORE(p, DESCENT_FMA(V, s->neg_lr, buf, theta), len);
  } else {
    STORE(p, theta + s->neg_lr * d / avg, len);
  }
}

DESCENT_INLINE void FN(rmsprop_span)(const FN(rmsprop_scalars) *s, T *p, const T *g, T *v, T *ga,
                                     T *b, int64_t n, const int decay, const int centered,
                                     const int small, const int momentum) {
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    FN(rmsprop_lanes)(s, p + i, g + i, v + i, centered ? ga + i : ga, momentum ? b + i : b, W,
                      decay, centered, small, momentum);
  }
  if (i < n) {
    FN(rmsprop_lanes)(s, p + i, g + i, v + i, centered ? ga + i : ga, momentum ? b + i : b, n - i,
                      decay, centered, small, momentum);
  }
}

DESCENT_DISPATCH
void FN(descent_rmsprop)(const void *config, const void *entries, int64_t tensor_count,
                      int64_t begin, int64_t end) {
  const descent_rmsprop_config *c = (const descent_rmsprop_config *)config;
  const descent_rmsprop_tensor *tensors = (const descent_rmsprop_tensor *)entries;
  if (tensor_count <= 0 || begin >= end) return;
  FN(rmsprop_scalars) s;
  s.sign = (T)c->sign;
  s.wd = (T)c->weight_decay;
  s.alpha = (T)c->alpha;
  s.one_minus_alpha = (T)c->one_minus_alpha;
  s.one_minus_weight = (T)1 - s.one_minus_alpha;
  s.eps = (T)c->eps;
  s.mu = (T)c->momentum;
  s.neg_lr = (T)c->neg_lr;
  const int decay = c->has_decay != 0;
  const int centered = c->centered != 0;
  const int small = centered && (s.one_minus_alpha < 0 ? -s.one_minus_alpha : s.one_minus_alpha) < (T)0.5;
  const int momentum = c->has_momentum != 0;
  int64_t first;
  DESCENT_FIND_FIRST(tensors, tensor_count, begin, first);
  for (int64_t k = first; k < tensor_count && tensors[k].start < end; k++) {
    const descent_rmsprop_tensor *t = &tensors[k];
    int64_t lo = (begin > t->start ? begin : t->start) - t->start;
    int64_t hi = (end < t->start + t->count ? end : t->start + t->count) - t->start;
    if (hi <= lo) continue;
    T *p = (T *)t->param + lo;
    const T *g = (const T *)t->grad + lo;
    T *v = (T *)t->square_avg + lo;
    T *ga = centered ? (T *)t->grad_avg + lo : (T *)0;
    T *b = momentum ? (T *)t->momentum_buffer + lo : (T *)0;
    int64_t n = hi - lo;
    // Literal flags, so that each loop is compiled without branches.
    switch ((decay << 3) | (centered << 2) | (small << 1) | momentum) {
      case 0: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 0, 0, 0, 0); break;
      case 1: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 0, 0, 0, 1); break;
      case 4: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 0, 1, 0, 0); break;
      case 5: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 0, 1, 0, 1); break;
      case 6: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 0, 1, 1, 0); break;
      case 7: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 0, 1, 1, 1); break;
      case 8: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 1, 0, 0, 0); break;
      case 9: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 1, 0, 0, 1); break;
      case 12: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 1, 1, 0, 0); break;
      case 13: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 1, 1, 0, 1); break;
      case 14: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 1, 1, 1, 0); break;
      default: FN(rmsprop_span)(&s, p, g, v, ga, b, n, 1, 1, 1, 1); break;
    }
  }
}
