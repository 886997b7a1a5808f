#define DESCENT_TEMPLATE "AdamTemplate.h"
#include "Instantiate.h"
