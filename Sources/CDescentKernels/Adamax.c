#define DESCENT_TEMPLATE "AdamaxTemplate.h"
#define DESCENT_HALF_VARIANTS
#include "Instantiate.h"
