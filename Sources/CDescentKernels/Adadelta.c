#define DESCENT_TEMPLATE "AdadeltaTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
