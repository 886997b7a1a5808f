// Adafactor's passes for one element type; included by Adafactor.c through Instantiate.h
// with T, V, W, LOAD, STORE and FN defined. See AdafactorKernels.h.

// acc += u² lane by lane in double, for the `len` lanes in use (the others may hold NaN
// when eps₁ is 0: 1/√0 · 0).
// (Vectors travel by pointer: passing a 64-byte vector by value depends on the clone's ABI.)
DESCENT_INLINE void FN(adafactor_accumulate)(f64v *acc, const V *up, int64_t len) {
  const V u = *up;
  if (len == W) {
#if W == 16
    f64v lo = __builtin_convertvector(__builtin_shufflevector(u, u, 0, 1, 2, 3, 4, 5, 6, 7), f64v);
    f64v hi = __builtin_convertvector(__builtin_shufflevector(u, u, 8, 9, 10, 11, 12, 13, 14, 15), f64v);
    *acc += lo * lo + hi * hi;
#else
    *acc += u * u;
#endif
  } else {
    for (int64_t k = 0; k < len; k++) (*acc)[0] += (double)u[k] * (double)u[k];
  }
}

DESCENT_INLINE double FN(adafactor_total)(const f64v *acc) {
  double sum = 0;
  for (int k = 0; k < 8; k++) sum += (*acc)[k];
  return sum;
}

// *out = (1/√max(x, eps₁²))·g, NaN kept by the clamp (clamp_min_).
DESCENT_INLINE void FN(adafactor_update)(V *out, const V *xp, const V *gp, T eps1_squared) {
  const V x = *xp;
  V clamped = ((x != x) | (x >= eps1_squared)) ? x : (V)eps1_squared;
  *out = (T)1 / __builtin_elementwise_sqrt(clamped) * *gp;
}

// *start = lerp(start, end, weight), as torch.lerp (one fma).
DESCENT_INLINE void FN(adafactor_lerp)(V *start, const V *end, T weight, int from_start) {
  const V s = *start, e = *end;
  *start = from_start ? DESCENT_FMA(V, weight, e - s, s) : DESCENT_FMA(V, weight - (T)1, e - s, e);
}

DESCENT_DISPATCH
double FN(descent_adafactor_variance)(const descent_adafactor_config *c, T *v, const T *g,
                                      int64_t begin, int64_t end) {
  const T sign = (T)c->sign, weight = (T)c->weight, eps1_squared = (T)c->eps1_squared;
  const int from_start = (weight < 0 ? -weight : weight) < (T)0.5;
  f64v acc = 0;
  v += begin;
  g += begin;
  DESCENT_SPAN(W, end - begin, i, len, {
    V gi = sign * LOAD(g + i, len);
    V square = gi * gi;
    V vi = LOAD(v + i, len);
    FN(adafactor_lerp)(&vi, &square, weight, from_start);
    STORE(v + i, vi, len);
    V u;
    FN(adafactor_update)(&u, &vi, &gi, eps1_squared);
    FN(adafactor_accumulate)(&acc, &u, len);
  });
  return FN(adafactor_total)(&acc);
}

DESCENT_DISPATCH
void FN(descent_adafactor_apply_variance)(const descent_adafactor_config *c, T *p, const T *v,
                                          const T *g, int64_t begin, int64_t end) {
  const T sign = (T)c->sign, eps1_squared = (T)c->eps1_squared, step = (T)c->step;
  p += begin;
  v += begin;
  g += begin;
  DESCENT_SPAN(W, end - begin, i, len, {
    V vi = LOAD(v + i, len);
    V gi = sign * LOAD(g + i, len);
    V u;
    FN(adafactor_update)(&u, &vi, &gi, eps1_squared);
    STORE(p + i, DESCENT_FMA(V, step, u, LOAD(p + i, len)), len);
  });
}

DESCENT_DISPATCH
double FN(descent_adafactor_factored)(const descent_adafactor_config *c, const T *row_var,
                                      const T *col_var, const T *row_means, const T *g,
                                      int64_t rows_per_batch, int64_t columns,
                                      int64_t row_begin, int64_t row_end) {
  const T sign = (T)c->sign, eps1_squared = (T)c->eps1_squared;
  f64v acc = 0;
  for (int64_t q = row_begin; q < row_end; q++) {
    const int64_t b = q / rows_per_batch;
    const T r = row_var[q], mean = row_means[b];
    const T *col = col_var + b * columns;
    const T *gq = g + q * columns;
    DESCENT_SPAN(W, columns, j, len, {
      V estimate = r * LOAD(col + j, len) / mean;
      V gj = sign * LOAD(gq + j, len);
      V u;
      FN(adafactor_update)(&u, &estimate, &gj, eps1_squared);
      FN(adafactor_accumulate)(&acc, &u, len);
    });
  }
  return FN(adafactor_total)(&acc);
}

DESCENT_DISPATCH
void FN(descent_adafactor_apply_factored)(const descent_adafactor_config *c, T *p,
                                          const T *row_var, const T *col_var,
                                          const T *row_means, const T *g,
                                          int64_t rows_per_batch, int64_t columns,
                                          int64_t row_begin, int64_t row_end) {
  const T sign = (T)c->sign, eps1_squared = (T)c->eps1_squared, step = (T)c->step;
  for (int64_t q = row_begin; q < row_end; q++) {
    const int64_t b = q / rows_per_batch;
    const T r = row_var[q], mean = row_means[b];
    const T *col = col_var + b * columns;
    const T *gq = g + q * columns;
    T *pq = p + q * columns;
    DESCENT_SPAN(W, columns, j, len, {
      V estimate = r * LOAD(col + j, len) / mean;
      V gj = sign * LOAD(gq + j, len);
      V u;
      FN(adafactor_update)(&u, &estimate, &gj, eps1_squared);
      STORE(pq + j, DESCENT_FMA(V, step, u, LOAD(pq + j, len)), len);
    });
  }
}
