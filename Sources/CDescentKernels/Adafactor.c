#define DESCENT_TEMPLATE "AdafactorTemplate.h"
#include "Instantiate.h"
