#define DESCENT_TEMPLATE "AdagradTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
