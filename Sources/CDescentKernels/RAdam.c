#define DESCENT_TEMPLATE "RAdamTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
