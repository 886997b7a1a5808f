#define DESCENT_TEMPLATE "SGDTemplate.h"
#include "Instantiate.h"
