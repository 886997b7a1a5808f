#define DESCENT_TEMPLATE "RMSpropTemplate.h"
#include "Instantiate.h"
