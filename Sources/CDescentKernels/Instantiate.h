// Compiles the kernel template named by DESCENT_TEMPLATE once for float and once for
// double. Each kernel file defines DESCENT_TEMPLATE and includes this header.
#include "Common.h"

#define T float
#define V f32v
#define W 16
#define LOAD(p, len) DESCENT_LOAD(f32v, p, len)
#define STORE DESCENT_STORE
#define FN(name) name##_f32
#include DESCENT_TEMPLATE
#undef T
#undef V
#undef W
#undef LOAD
#undef FN

#define T double
#define V f64v
#define W 8
#define LOAD(p, len) DESCENT_LOAD(f64v, p, len)
#define FN(name) name##_f64
#include DESCENT_TEMPLATE
