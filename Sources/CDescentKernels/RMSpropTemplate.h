// RMSprop for one element type; included by RMSprop.c through Instantiate.h with T, V, W,
// LOAD, STORE and FN defined.

typedef struct {
  T sign, weight_decay, alpha, one_minus_alpha, eps, momentum, neg_lr;
} FN(rmsprop_scalars);

// RMSpropRule.reference's order (`_single_tensor_rmsprop`): d = ±g (+ wd·θ),
// v = v·α + ((1-α)·d)·d, ḡ = lerp(ḡ, d, 1-α) when centered, a = sqrt(v + (-ḡ)·ḡ) or
// sqrt(v), a = a + eps, b = b·μ + d/a, θ = θ + (-lr)·b with momentum, else
// θ = θ + ((-lr)·d)/a. Where PyTorch rounds a·b + c once (add_ with alpha, addcmul_, lerp_)
// so does this, through an fma (ADD_ALPHA for add_: except in PyTorch's scalar tails of a half
// tensor).
DESCENT_INLINE void FN(rmsprop_lanes)(const FN(rmsprop_scalars) *s, S *p, const S *g, S *v,
                                      S *ga, S *b, int64_t len, const int decay,
                                      const int centered, const int lerp_from_start, const int momentum,
                                      const int tail) {
  // ROUND marks where PyTorch's for-loop rounds to a half parameter's type (identity for
  // float and double): PyTorch has no fused RMSprop, and its for-loop rounds every op.
  V theta = LOAD(p, len);
  V d = s->sign * LOAD(g, len);
  if (decay) d = ROUND(ADD_ALPHA(d, s->weight_decay, theta, tail));
  V sq = ROUND(DESCENT_FMA(V, s->one_minus_alpha * d, d, ROUND(LOAD(v, len) * s->alpha)));
  STORE(v, sq, len);
  V avg;
  if (centered) {
    V start = LOAD(ga, len);
    V mean = lerp_from_start ? DESCENT_FMA(V, s->one_minus_alpha, d - start, start)
                   : DESCENT_FMA(V, s->one_minus_alpha - (T)1, d - start, d);
    STORE(ga, mean, len);
    mean = ROUND(mean);
    avg = ROUND(__builtin_elementwise_sqrt(ROUND(DESCENT_FMA(V, (T)-1 * mean, mean, sq))));
  } else {
    avg = ROUND(__builtin_elementwise_sqrt(sq));
  }
  avg = ROUND(avg + s->eps);
  if (momentum) {
    V buf = ROUND(LOAD(b, len) * s->momentum) + (T)1 * d / avg;
    STORE(b, buf, len);
    buf = ROUND(buf);
    STORE(p, ADD_ALPHA(theta, s->neg_lr, buf, tail), len);
  } else {
    STORE(p, theta + s->neg_lr * d / avg, len);
  }
}

DESCENT_DISPATCH
void FN(descent_rmsprop)(const void *config, const void *entries, int64_t tensor_count,
                      int64_t begin, int64_t end) {
  const descent_rmsprop_config *c = (const descent_rmsprop_config *)config;
  FN(rmsprop_scalars) s;
  const int decay = c->has_decay != 0;
  const int centered = c->centered != 0;
  const int momentum = c->has_momentum != 0;
  s.sign = (T)c->sign;
  // `grad.add(param, alpha=wd)`, `avg.add_(eps)` and `param.add_(buf, alpha=-lr)` cast
  // their scalar to the tensor's type; `addcdiv_(value=-lr)` keeps it in float.
  s.weight_decay = ROUND_SCALAR((T)c->weight_decay);
  s.alpha = (T)c->alpha;
  s.one_minus_alpha = (T)c->one_minus_alpha;
  s.eps = ROUND_SCALAR((T)c->eps);
  s.momentum = (T)c->momentum;
  s.neg_lr = momentum ? ROUND_SCALAR((T)c->neg_lr) : (T)c->neg_lr;
  const int lerp_from_start = centered && (s.one_minus_alpha < 0 ? -s.one_minus_alpha : s.one_minus_alpha) < (T)0.5;
  DESCENT_FOR_EACH_PART(descent_rmsprop_tensor, entries, tensor_count, begin, end, t, lo, n) {
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *v = (S *)t->square_avg + lo;
    S *ga = centered ? (S *)t->grad_avg + lo : (S *)0;
    S *b = momentum ? (S *)t->momentum_buffer + lo : (S *)0;
#define RMSPROP_SPAN(D, C, L, M)                                                          \
  TORCH_SPAN(t->count, lo, n, i, len,                                                     \
             FN(rmsprop_lanes)(&s, p + i, g + i, v + i, C ? ga + i : ga, M ? b + i : b,   \
                               len, D, C, L, M, 0),                                       \
             FN(rmsprop_lanes)(&s, p + i, g + i, v + i, C ? ga + i : ga, M ? b + i : b,   \
                               len, D, C, L, M, 1))
    // Literal flags, so that each loop is compiled without branches.
    switch ((decay << 3) | (centered << 2) | (lerp_from_start << 1) | momentum) {
      case 0: RMSPROP_SPAN(0, 0, 0, 0); break;
      case 1: RMSPROP_SPAN(0, 0, 0, 1); break;
      case 4: RMSPROP_SPAN(0, 1, 0, 0); break;
      case 5: RMSPROP_SPAN(0, 1, 0, 1); break;
      case 6: RMSPROP_SPAN(0, 1, 1, 0); break;
      case 7: RMSPROP_SPAN(0, 1, 1, 1); break;
      case 8: RMSPROP_SPAN(1, 0, 0, 0); break;
      case 9: RMSPROP_SPAN(1, 0, 0, 1); break;
      case 12: RMSPROP_SPAN(1, 1, 0, 0); break;
      case 13: RMSPROP_SPAN(1, 1, 0, 1); break;
      case 14: RMSPROP_SPAN(1, 1, 1, 0); break;
      default: RMSPROP_SPAN(1, 1, 1, 1); break;
    }
#undef RMSPROP_SPAN
  }
}
