#define DESCENT_TEMPLATE "RAdamTemplate.h"
#include "Instantiate.h"
