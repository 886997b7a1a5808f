#define DESCENT_TEMPLATE "RpropTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
