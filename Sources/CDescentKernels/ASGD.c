#define DESCENT_TEMPLATE "ASGDTemplate.h"
#include "Instantiate.h"
