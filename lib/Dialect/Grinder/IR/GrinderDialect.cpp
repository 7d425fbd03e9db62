//===- GrinderDialect.cpp - uProgram ops and placement verifiers ---------===//

#include "Grinder/Grinder.h"

#include "Common/IsolatedBody.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::fourfold::grinder;

#include "Grinder/GrinderDialect.cpp.inc"
#include "Grinder/GrinderEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "Grinder/GrinderAttrs.cpp.inc"
#define GET_OP_CLASSES
#include "Grinder/GrinderOps.cpp.inc"

void GrinderDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Grinder/GrinderAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Grinder/GrinderOps.cpp.inc"
      >();
}

LogicalResult UProgramOp::verifyRegions() {
  return verifyIsolatedBody<YieldOp>(*this, getBody().front(), getInputs(),
                                     getResultTypes(), "the uprogram");
}

LogicalResult UTaskOp::verifyRegions() {
  return verifyIsolatedBody<YieldOp>(*this, getBody().front(), getInputs(),
                                     getResultTypes(), "the utask");
}

std::optional<Placement>
mlir::fourfold::grinder::getEnclosingPlacement(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp())
    if (auto place = parent->getAttrOfType<PlacementAttr>(
            GrinderDialect::kPlaceAttrName))
      return place.getValue();
  return std::nullopt;
}

LogicalResult GridBarrierOp::verify() {
  std::optional<Placement> place = getEnclosingPlacement(*this);
  if (!place || *place != Placement::device)
    return emitOpError("must be inside a loop or branch placed "
                       "#grinder.place<device>");
  return success();
}

LogicalResult GrinderDialect::verifyOperationAttribute(Operation *op,
                                                       NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kEstimateAttrName) {
    if (!isa<DictionaryAttr>(attr.getValue()))
      return op->emitOpError() << "'" << name << "' must be a dictionary";
    return success();
  }
  if (name != kPlaceAttrName)
    return op->emitOpError() << "unknown grinder attribute '" << name << "'";
  auto place = dyn_cast<PlacementAttr>(attr.getValue());
  if (!place)
    return op->emitOpError() << "'" << name
                             << "' must be a #grinder.place, got "
                             << attr.getValue();
  if (!isa<LoopLikeOpInterface, RegionBranchOpInterface>(op) ||
      isa<UProgramOp, UTaskOp>(op))
    return op->emitOpError() << "carries '" << name
                             << "' but is not a loop or branch";
  std::optional<Placement> outer = getEnclosingPlacement(op);
  if (outer && static_cast<int>(place.getValue()) < static_cast<int>(*outer))
    return op->emitOpError()
           << "is placed on the " << stringifyPlacement(place.getValue())
           << " but is nested in a construct placed on the "
           << (*outer == Placement::block ? "block" : "device")
           << "; a construct cannot run at a level above its parent's";
  return success();
}
