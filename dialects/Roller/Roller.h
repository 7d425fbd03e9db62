//===- Roller.h - the roller dialect -------------------------------------===//

#ifndef FOURFOLD_ROLLER_ROLLER_H
#define FOURFOLD_ROLLER_ROLLER_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpDefinition.h"

namespace mlir::fourfold::roller {
/// Float fields of roller attributes: parsed from an integer or float literal,
/// printed in the shortest form that reads back the same value.
FailureOr<llvm::APFloat> parseDouble(AsmParser &parser);
void printDouble(AsmPrinter &printer, const llvm::APFloat &value);
} // namespace mlir::fourfold::roller

#include "Roller/RollerDialect.h.inc"
#include "Roller/RollerEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "Roller/RollerAttrs.h.inc"
#define GET_OP_CLASSES
#include "Roller/RollerOps.h.inc"

#endif // FOURFOLD_ROLLER_ROLLER_H
