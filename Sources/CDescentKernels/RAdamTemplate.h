// RAdam for one element type; included by RAdam.c through Instantiate.h with T, V, W, LOAD,
// STORE and FN defined.

typedef struct {
  T sign, shrink, weight_decay, one_minus_beta1, beta2, one_minus_beta2, eps, lr;
  T bias_correction1, bias_correction2_sqrt, rect;  // per tensor
} FN(radam_scalars);

// RAdamRule.reference's order (`_single_tensor_radam`): θ = θ·(1 - lr·wd) (decoupled),
// d = ±g (+ wd·θ) (coupled), m = lerp(m, d, 1-β₁), v = v·β₂ + ((1-β₂)·d)·d,
// m̂ = m / bc1; rectified (ρₜ > 5): θ = θ - ((m̂·lr)·((1 / (sqrt(v) + eps))·bc2_sqrt))·rect
// (a Python float over a tensor is `reciprocal() * float`), else θ = θ - m̂·lr.
DESCENT_INLINE void FN(radam_lanes)(const FN(radam_scalars) *s, S *p, const S *g, S *m, S *v,
                                    int64_t len, const int coupled, const int lerp_from_start,
                                    const int rectified, const int tail) {
  // ROUND marks where PyTorch's for-loop rounds to a half parameter's type (identity for
  // float and double): PyTorch has no fused RAdam, and its for-loop rounds every op
  // (`scalar / tensor` is `tensor.reciprocal() * scalar`, two ops).
  V theta = LOAD(p, len);
  // With no decoupled decay `shrink` is 1, and θ·1 is exact.
  theta = ROUND(theta * s->shrink);
  V d = s->sign * LOAD(g, len);
  if (coupled) d = ROUND(ADD_ALPHA(d, s->weight_decay, theta, tail));
  V start = LOAD(m, len);
  V mean = ROUND(DESCENT_LERP(V, start, d, s->one_minus_beta1, lerp_from_start));
  STORE(m, mean, len);
  V sq = ROUND(DESCENT_FMA(V, s->one_minus_beta2 * d, d, ROUND(LOAD(v, len) * s->beta2)));
  STORE(v, sq, len);
  V step = ROUND(ROUND(mean / s->bias_correction1) * s->lr);
  if (rectified) {
    V root = ROUND(ROUND(__builtin_elementwise_sqrt(sq)) + s->eps);
    V adaptive = ROUND(ROUND((T)1 / root) * s->bias_correction2_sqrt);
    step = ROUND(ROUND(step * adaptive) * s->rect);
  }
  STORE(p, theta - step, len);
}

DESCENT_DISPATCH
void FN(descent_radam)(const void *config, const void *entries, int64_t tensor_count,
                       int64_t begin, int64_t end) {
  const descent_radam_config *c = (const descent_radam_config *)config;
  FN(radam_scalars) s;
  s.sign = (T)c->sign;
  s.shrink = c->decoupled ? (T)c->shrink : (T)1;
  s.weight_decay = ROUND_SCALAR((T)c->weight_decay);  // `add(param, alpha=wd)` casts it
  s.one_minus_beta1 = (T)c->one_minus_beta1;
  s.beta2 = (T)c->beta2;
  s.one_minus_beta2 = (T)c->one_minus_beta2;
  s.eps = ROUND_SCALAR((T)c->eps);  // `add_(eps)` casts it to the tensor's type
  s.lr = (T)c->lr;
  const int coupled = c->coupled != 0;
  const int lerp_from_start =
      (s.one_minus_beta1 < 0 ? -s.one_minus_beta1 : s.one_minus_beta1) < (T)0.5;
  DESCENT_FOR_EACH_PART(descent_radam_tensor, entries, tensor_count, begin, end, t, lo, n) {
    s.bias_correction1 = (T)t->bias_correction1;
    s.bias_correction2_sqrt = (T)t->bias_correction2_sqrt;
    s.rect = (T)t->rect;
    const int rectified = t->rectified != 0;
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *m = (S *)t->exp_avg + lo;
    S *v = (S *)t->exp_avg_sq + lo;
#define RADAM_SPAN(C, L, R)                                                      \
  TORCH_SPAN(t->count, lo, n, i, len,                                            \
             FN(radam_lanes)(&s, p + i, g + i, m + i, v + i, len, C, L, R, 0),   \
             FN(radam_lanes)(&s, p + i, g + i, m + i, v + i, len, C, L, R, 1))
    // Literal flags, so that each loop is compiled without branches.
    switch ((coupled << 2) | (lerp_from_start << 1) | rectified) {
      case 0: RADAM_SPAN(0, 0, 0); break;
      case 1: RADAM_SPAN(0, 0, 1); break;
      case 2: RADAM_SPAN(0, 1, 0); break;
      case 3: RADAM_SPAN(0, 1, 1); break;
      case 4: RADAM_SPAN(1, 0, 0); break;
      case 5: RADAM_SPAN(1, 0, 1); break;
      case 6: RADAM_SPAN(1, 1, 0); break;
      default: RADAM_SPAN(1, 1, 1); break;
    }
#undef RADAM_SPAN
  }
}
