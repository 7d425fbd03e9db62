#ifndef FOURFOLD_PYTHON_GRINDER_OPS
#define FOURFOLD_PYTHON_GRINDER_OPS
include "Grinder/GrinderOps.td"
#endif
