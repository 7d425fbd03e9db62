//===- IsolatedBody.h - verifier shared by kernel-like region ops --------===//
//
// welder.group, rammer.program / rammer.operator and grinder.uprogram /
// grinder.utask all hold an isolated body standing for one unit of work: its
// block arguments mirror the op's inputs and its terminator yields the op's
// results.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_COMMON_ISOLATEDBODY_H
#define FOURFOLD_COMMON_ISOLATEDBODY_H

#include "mlir/IR/Block.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"

namespace mlir::fourfold {

/// Checks `body` of `op`: one argument per input with the input's type, and a
/// `YieldOp` terminator yielding `resultTypes`. `noun` names `op` in messages
/// ("the group").
template <typename YieldOp>
LogicalResult verifyIsolatedBody(Operation *op, Block &body, ValueRange inputs,
                                 TypeRange resultTypes, llvm::StringRef noun) {
  if (body.getNumArguments() != inputs.size())
    return op->emitOpError() << "body has " << body.getNumArguments()
                             << " arguments but " << noun << " has "
                             << inputs.size() << " inputs";
  for (auto [i, arg, input] : llvm::enumerate(body.getArguments(), inputs))
    if (arg.getType() != input.getType())
      return op->emitOpError() << "body argument #" << i << " has type "
                               << arg.getType() << " but input #" << i
                               << " has type " << input.getType();
  auto yield = llvm::dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return op->emitOpError() << "body must end with "
                             << YieldOp::getOperationName();
  if (yield->getOperandTypes() != resultTypes)
    return yield.emitOpError() << "yields (" << yield->getOperandTypes()
                               << ") but " << noun << " returns ("
                               << resultTypes << ")";
  return success();
}

} // namespace mlir::fourfold

#endif // FOURFOLD_COMMON_ISOLATEDBODY_H
