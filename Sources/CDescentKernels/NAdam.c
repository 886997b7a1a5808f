#define DESCENT_TEMPLATE "NAdamTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
