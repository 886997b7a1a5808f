#define DESCENT_TEMPLATE "AdagradTemplate.h"
#include "Instantiate.h"
