#define DESCENT_TEMPLATE "NAdamTemplate.h"
#include "Instantiate.h"
