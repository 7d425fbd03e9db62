#ifndef FOURFOLD_PYTHON_WELDER_OPS
#define FOURFOLD_PYTHON_WELDER_OPS
include "Welder/WelderOps.td"
#endif
