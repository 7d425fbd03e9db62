//===- Rammer.h - the rammer dialect -------------------------------------===//

#ifndef FOURFOLD_RAMMER_RAMMER_H
#define FOURFOLD_RAMMER_RAMMER_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Rammer/RammerDialect.h.inc"
#define GET_ATTRDEF_CLASSES
#include "Rammer/RammerAttrs.h.inc"
#define GET_OP_CLASSES
#include "Rammer/RammerOps.h.inc"

#endif // FOURFOLD_RAMMER_RAMMER_H
