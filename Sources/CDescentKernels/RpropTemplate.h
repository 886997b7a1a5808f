// Rprop for one element type; included by Rprop.c through Instantiate.h with T, V, W, LOAD,
// STORE and FN defined.

typedef struct {
  T sign, eta_minus, eta_plus, step_size_min, step_size_max;
} FN(rprop_scalars);

// torch.sign as PyTorch's CPU kernel computes it, (0 < x) - (x < 0): NaN and -0 give +0.
#define RPROP_SIGN(x, zero, one) (((x) > (zero)) ? (one) : (((x) < (zero)) ? -(one) : (zero)))

// RpropRule.reference's order (`_single_tensor_rprop`): d = ±g, s = sign(d·prev), then
// s > 0 → η₊, s < 0 → η₋, s == 0 → 1 (in that order, as PyTorch's three masked writes),
// step = clamp(step·s, min, max), d = 0 where s == η₋, θ = θ + ((-1)·sign(d))·step (addcmul_,
// one rounding), prev = d.
DESCENT_INLINE void FN(rprop_lanes)(const FN(rprop_scalars) *s, S *p, const S *g, S *prev,
                                    S *step_size, int64_t len) {
  const V zero = {0};
  const V one = zero + (T)1;
  // ROUND marks where PyTorch's for-loop rounds to a half parameter's type (identity for
  // float and double): PyTorch has no fused Rprop; its `sign` tensor has the parameter's
  // type, so η₋ and η₊ are stored (and compared) rounded to it.
  V d = s->sign * LOAD(g, len);
  V product = ROUND(d * LOAD(prev, len));
  V factor = RPROP_SIGN(product, zero, one);
  factor = factor > zero ? zero + s->eta_plus : factor;
  factor = factor < zero ? zero + s->eta_minus : factor;
  factor = factor == zero ? one : factor;
  // clamp_(min, max) is min(max(x, min), max): NaN stays NaN, min > max gives max.
  V step = ROUND(LOAD(step_size, len) * factor);
  step = step < s->step_size_min ? zero + s->step_size_min : step;
  step = s->step_size_max < step ? zero + s->step_size_max : step;
  STORE(step_size, step, len);
  d = factor == s->eta_minus ? zero : d;
  V theta = LOAD(p, len);
  STORE(p, DESCENT_FMA(V, (T)-1 * RPROP_SIGN(d, zero, one), step, theta), len);
  STORE(prev, d, len);
}

DESCENT_DISPATCH
void FN(descent_rprop)(const void *config, const void *entries, int64_t tensor_count,
                       int64_t begin, int64_t end) {
  const descent_rprop_config *c = (const descent_rprop_config *)config;
  FN(rprop_scalars) s;
  s.sign = (T)c->sign;
  s.eta_minus = ROUND_SCALAR((T)c->eta_minus);
  s.eta_plus = ROUND_SCALAR((T)c->eta_plus);
  // clamp_ casts its bounds to the tensor's type.
  s.step_size_min = ROUND_SCALAR((T)c->step_size_min);
  s.step_size_max = ROUND_SCALAR((T)c->step_size_max);
  DESCENT_FOR_EACH_PART(descent_rprop_tensor, entries, tensor_count, begin, end, t, lo, n) {
    S *p = (S *)t->param + lo;
    const S *g = (const S *)t->grad + lo;
    S *prev = (S *)t->prev + lo;
    S *step_size = (S *)t->step_size + lo;
    DESCENT_SPAN(W, n, i, len, FN(rprop_lanes)(&s, p + i, g + i, prev + i, step_size + i, len));
  }
}

#undef RPROP_SIGN
