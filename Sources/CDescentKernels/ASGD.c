#define DESCENT_TEMPLATE "ASGDTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
