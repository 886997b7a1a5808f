#define DESCENT_TEMPLATE "RpropTemplate.h"
#include "Instantiate.h"
