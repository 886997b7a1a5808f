#define DESCENT_TEMPLATE "AdadeltaTemplate.h"
#include "Instantiate.h"
