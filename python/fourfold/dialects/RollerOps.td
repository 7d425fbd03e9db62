#ifndef FOURFOLD_PYTHON_ROLLER_OPS
#define FOURFOLD_PYTHON_ROLLER_OPS
include "Roller/RollerOps.td"
#endif
