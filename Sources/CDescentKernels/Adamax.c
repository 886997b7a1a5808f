#define DESCENT_TEMPLATE "AdamaxTemplate.h"
#include "Instantiate.h"
