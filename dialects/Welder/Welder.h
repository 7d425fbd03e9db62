//===- Welder.h - the welder dialect -------------------------------------===//

#ifndef FOURFOLD_WELDER_WELDER_H
#define FOURFOLD_WELDER_WELDER_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Welder/WelderDialect.h.inc"
#include "Welder/WelderEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "Welder/WelderAttrs.h.inc"
#define GET_OP_CLASSES
#include "Welder/WelderOps.h.inc"

#endif // FOURFOLD_WELDER_WELDER_H
