// NAdam for one element type; included by NAdam.c through Instantiate.h with T, V, W, LOAD,
// STORE and FN defined.

typedef struct {
  T sign, shrink, weight_decay, one_minus_beta1, beta2, one_minus_beta2, eps;
  T bias_correction2, grad_coefficient, exp_avg_coefficient;  // per tensor
} FN(nadam_scalars);

// NAdamRule.reference's order (`_single_tensor_nadam`): θ = θ·(1 - lr·wd) (decoupled),
// d = ±g (+ wd·θ) (coupled), m = lerp(m, d, 1-β₁), v = v·β₂ + ((1-β₂)·d)·d,
// denom = sqrt(v / bc2) + eps, θ = θ + (c₁·d)/denom, θ = θ + (c₂·m)/denom (two addcdiv_,
// each operation rounded).
DESCENT_INLINE void FN(nadam_lanes)(const FN(nadam_scalars) *s, S *p, const S *g, S *m, S *v,
                                    int64_t len, const int coupled, const int lerp_from_start,
                                    const int tail) {
  // ROUND marks where PyTorch's for-loop rounds to a half parameter's type (identity for
  // float and double): PyTorch has no fused NAdam, and its for-loop rounds every op.
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
  V denom = ROUND(ROUND(__builtin_elementwise_sqrt(ROUND(sq / s->bias_correction2))) + s->eps);
  theta = ROUND(theta + s->grad_coefficient * d / denom);
  STORE(p, theta + s->exp_avg_coefficient * mean / denom, len);
}

DESCENT_DISPATCH
void FN(descent_nadam)(const void *config, const void *entries, int64_t tensor_count,
                       int64_t begin, int64_t end) {
  const descent_nadam_config *c = (const descent_nadam_config *)config;
  FN(nadam_scalars) s;
  s.sign = (T)c->sign;
  s.shrink = c->decoupled ? (T)c->shrink : (T)1;
  s.weight_decay = ROUND_SCALAR((T)c->weight_decay);  // `add(param, alpha=wd)` casts it
  s.one_minus_beta1 = (T)c->one_minus_beta1;
  s.beta2 = (T)c->beta2;
  s.one_minus_beta2 = (T)c->one_minus_beta2;
  s.eps = ROUND_SCALAR((T)c->eps);  // `add_(eps)` casts it to the tensor's type
  const int coupled = c->coupled != 0;
  const int lerp_from_start =
      (s.one_minus_beta1 < 0 ? -s.one_minus_beta1 : s.one_minus_beta1) < (T)0.5;
  DESCENT_FOR_EACH_PART(descent_nadam_tensor, entries, tensor_count, begin, end, t, lo, n) {
    s.bias_correction2 = (T)t->bias_correction2;
    s.grad_coefficient = (T)t->grad_coefficient;
    s.exp_avg_coefficient = (T)t->exp_avg_coefficient;
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *m = (S *)t->exp_avg + lo;
    S *v = (S *)t->exp_avg_sq + lo;
#define NADAM_SPAN(C, L)                                                      \
  TORCH_SPAN(t->count, lo, n, i, len,                                         \
             FN(nadam_lanes)(&s, p + i, g + i, m + i, v + i, len, C, L, 0),   \
             FN(nadam_lanes)(&s, p + i, g + i, m + i, v + i, len, C, L, 1))
    // Literal flags, so that each loop is compiled without branches.
    switch ((coupled << 1) | lerp_from_start) {
      case 0: NADAM_SPAN(0, 0); break;
      case 1: NADAM_SPAN(0, 1); break;
      case 2: NADAM_SPAN(1, 0); break;
      default: NADAM_SPAN(1, 1); break;
    }
#undef NADAM_SPAN
  }
}
