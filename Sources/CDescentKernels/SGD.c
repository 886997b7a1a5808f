#include "Common.h"

#define T float
#define V f32v
#define W 16
#define LOAD(p, len) DESCENT_LOAD(f32v, p, len)
#define STORE DESCENT_STORE
#define FN(name) name##_f32
#include "SGDTemplate.h"
#undef T
#undef V
#undef W
#undef LOAD
#undef STORE
#undef FN

#define T double
#define V f64v
#define W 8
#define LOAD(p, len) DESCENT_LOAD(f64v, p, len)
#define STORE DESCENT_STORE
#define FN(name) name##_f64
#include "SGDTemplate.h"
