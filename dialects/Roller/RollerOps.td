//===- RollerOps.td - roller operations ----------------------------------===//
//
// roller has no operations yet: its decisions are attributes attached to the
// operators they tile. This file is the root the ODS generators run on.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_ROLLER_OPS_TD
#define FOURFOLD_ROLLER_OPS_TD

include "Roller/RollerAttrs.td"

#endif // FOURFOLD_ROLLER_OPS_TD
