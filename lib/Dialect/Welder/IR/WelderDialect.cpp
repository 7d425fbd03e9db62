//===- WelderDialect.cpp - the tile-graph's ops and verifiers ------------===//

#include "Welder/Welder.h"

#include "Common/IsolatedBody.h"
#include "Common/LoopCount.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::fourfold::welder;

#include "Welder/WelderDialect.cpp.inc"
#include "Welder/WelderEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "Welder/WelderAttrs.cpp.inc"
#define GET_OP_CLASSES
#include "Welder/WelderOps.cpp.inc"

void WelderDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Welder/WelderAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Welder/WelderOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// GroupOp
//===----------------------------------------------------------------------===//

void GroupOp::build(OpBuilder &builder, OperationState &state, StringRef name,
                    TypeRange resultTypes, ValueRange inputs) {
  state.addAttribute(getSymNameAttrName(state.name),
                     builder.getStringAttr(name));
  state.addOperands(inputs);
  state.addTypes(resultTypes);
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value input : inputs)
    block->addArgument(input.getType(), input.getLoc());
}

LogicalResult GroupOp::verify() {
  if (getSymName().empty())
    return emitOpError("needs a non-empty name");
  if (std::optional<ArrayRef<int64_t>> tile = getTile()) {
    // An empty tile covers no loop; a group without one leaves `tile` out.
    if (tile->empty())
      return emitOpError("tile needs at least one entry (leave `tile` out "
                         "for a group not yet tiled)");
    for (auto [d, size] : llvm::enumerate(*tile))
      if (size <= 0)
        return emitOpError() << "tile entry " << d
                             << " must be positive, got " << size;
  }
  return success();
}

LogicalResult GroupOp::verifyRegions() {
  Block &body = getBody().front();
  if (failed(verifyIsolatedBody<YieldOp>(*this, body, getInputs(),
                                         getResultTypes(), "the group")))
    return failure();
  auto yield = cast<YieldOp>(body.getTerminator());
  // An edge that leaves the group is read by another kernel: it can only live
  // in global memory.
  for (auto [i, value] : llvm::enumerate(yield.getValues())) {
    auto result = dyn_cast<OpResult>(value);
    if (!result)
      continue;
    auto levels = result.getOwner()->getAttrOfType<ArrayAttr>(
        WelderDialect::kLevelsAttrName);
    if (!levels || levels.size() <= result.getResultNumber())
      continue;
    auto level = dyn_cast<MemoryLevelAttr>(levels[result.getResultNumber()]);
    if (level && level.getValue() != MemoryLevel::Global)
      return result.getOwner()->emitOpError()
             << "result #" << result.getResultNumber()
             << " leaves group '" << getSymName()
             << "' (yielded as #" << i << ") but its level is "
             << stringifyMemoryLevel(level.getValue())
             << "; values leaving a group live in global memory";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Verification of welder attributes attached to operations
//===----------------------------------------------------------------------===//

LogicalResult WelderDialect::verifyOperationAttribute(Operation *op,
                                                      NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kTileAttrName) {
    auto tile = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!tile)
      return op->emitOpError() << "'" << name
                               << "' must be an array<i64: ...>, got "
                               << attr.getValue();
    if (!op->getParentOfType<GroupOp>())
      return op->emitOpError() << "carries '" << name
                               << "' but is not inside a welder.group";
    for (auto [d, size] : llvm::enumerate(tile.asArrayRef()))
      if (size <= 0)
        return op->emitOpError() << "'" << name << "' entry " << d
                                 << " must be positive, got " << size;
    std::optional<int64_t> loops = fourfold::getLoopCount(op);
    if (!loops)
      return op->emitOpError() << "carries '" << name
                               << "' but has no loop nest to tile";
    if (static_cast<int64_t>(tile.size()) != *loops)
      return op->emitOpError() << "has " << *loops << " loops but its '"
                               << name << "' has " << tile.size()
                               << " entries";
    return success();
  }
  if (name == kLevelsAttrName) {
    auto levels = dyn_cast<ArrayAttr>(attr.getValue());
    if (!levels)
      return op->emitOpError() << "'" << name
                               << "' must be an array of #welder.level";
    if (!op->getParentOfType<GroupOp>())
      return op->emitOpError() << "carries '" << name
                               << "' but is not inside a welder.group";
    if (levels.size() != op->getNumResults())
      return op->emitOpError() << "has " << op->getNumResults()
                               << " results but '" << name << "' has "
                               << levels.size() << " entries";
    for (auto [i, level] : llvm::enumerate(levels))
      if (!isa<MemoryLevelAttr>(level))
        return op->emitOpError() << "'" << name << "' entry " << i
                                 << " must be a #welder.level, got " << level;
    return success();
  }
  if (name == kBytesAttrName || name == kUnfusedBytesAttrName ||
      name == kPredictedAttrName || name == kKernelsAttrName) {
    if (!isa<GroupOp>(op))
      return op->emitOpError() << "carries '" << name
                               << "', which belongs on a welder.group";
    bool isFloat = name == kPredictedAttrName;
    if (isFloat ? !isa<FloatAttr>(attr.getValue())
                : !isa<IntegerAttr>(attr.getValue()))
      return op->emitOpError() << "'" << name << "' must be "
                               << (isFloat ? "a float" : "an integer")
                               << ", got " << attr.getValue();
    return success();
  }
  return op->emitOpError() << "unknown welder attribute '" << name << "'";
}
