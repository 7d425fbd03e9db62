#ifndef FOURFOLD_PYTHON_RAMMER_OPS
#define FOURFOLD_PYTHON_RAMMER_OPS
include "Rammer/RammerOps.td"
#endif
