#define DESCENT_TEMPLATE "SGDTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
