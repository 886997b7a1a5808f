#define DESCENT_TEMPLATE "RMSpropTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
