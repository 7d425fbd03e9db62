//===- Grinder.h - the grinder dialect -----------------------------------===//

#ifndef FOURFOLD_GRINDER_GRINDER_H
#define FOURFOLD_GRINDER_GRINDER_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Grinder/GrinderDialect.h.inc"
#include "Grinder/GrinderEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "Grinder/GrinderAttrs.h.inc"
#define GET_OP_CLASSES
#include "Grinder/GrinderOps.h.inc"

namespace mlir::fourfold::grinder {
/// The placement of the innermost placed construct enclosing `op` (not `op`
/// itself), if any.
std::optional<Placement> getEnclosingPlacement(Operation *op);
} // namespace mlir::fourfold::grinder

#endif // FOURFOLD_GRINDER_GRINDER_H
