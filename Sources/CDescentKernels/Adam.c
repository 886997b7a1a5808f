#define DESCENT_TEMPLATE "AdamTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
