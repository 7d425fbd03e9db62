//===- ReshapeResults.cpp - --grinder-reshape-results ----------------------===//

#include "Grinder/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::fourfold::grinder {
#define GEN_PASS_DEF_GRINDERRESHAPERESULTS
#include "Grinder/Passes.h.inc"
} // namespace mlir::fourfold::grinder

using namespace mlir;

namespace {

bool staticIdentity(MemRefType type) {
  return type.hasStaticShape() && type.getLayout().isIdentity();
}

/// The reassociation that joins all `rank` dimensions into one.
ReassociationIndices allDims(int64_t rank) {
  return ReassociationIndices(llvm::seq<int64_t>(0, rank).begin(), llvm::seq<int64_t>(0, rank).end());
}

/// A returned reshape (or chain of reshapes) of an allocation: the
/// allocation made in the returned shape and returned itself, its other
/// users reading it through a reshape back to the old shape (by way of one
/// dimension: reshapes of identity layouts keep the row-major order).
/// Anything else is left as it is.
void reshapeResult(OpOperand &operand) {
  Value source = operand.get();
  SmallVector<Operation *> chain;
  while (isa_and_nonnull<memref::ExpandShapeOp, memref::CollapseShapeOp>(source.getDefiningOp())) {
    chain.push_back(source.getDefiningOp());
    source = chain.back()->getOperand(0);
  }
  auto alloc = source.getDefiningOp<memref::AllocOp>();
  auto resultType = cast<MemRefType>(operand.get().getType());
  if (chain.empty() || !alloc || !staticIdentity(alloc.getType()) || !staticIdentity(resultType) ||
      alloc.getType().getRank() == 0 || resultType.getRank() == 0 ||
      alloc.getType().getMemorySpace() != resultType.getMemorySpace())
    return;
  OpBuilder builder(alloc);
  Location loc = alloc.getLoc();
  auto whole = memref::AllocOp::create(builder, loc, resultType, alloc.getAlignmentAttr());
  // Its view in the old shape, by way of one dimension. Both reshapes of a
  // static identity layout give identity layouts: the view has the old
  // allocation's type.
  Value view = whole;
  if (resultType.getRank() > 1)
    view = memref::CollapseShapeOp::create(builder, loc, view,
                                           ArrayRef<ReassociationIndices>{allDims(resultType.getRank())});
  if (alloc.getType().getRank() > 1)
    view = memref::ExpandShapeOp::create(builder, loc, alloc.getType().getShape(), view,
                                         ArrayRef<ReassociationIndices>{allDims(alloc.getType().getRank())});
  assert(view.getType() == alloc.getType() && "reshapes of identity layouts");
  alloc.replaceAllUsesWith(view);
  alloc.erase();
  operand.set(whole);
  for (Operation *op : chain) // outermost first: each frees the next
    if (op->use_empty())
      op->erase();
}

struct GrinderReshapeResultsPass
    : public mlir::fourfold::grinder::impl::GrinderReshapeResultsBase<GrinderReshapeResultsPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      for (OpOperand &operand : ret->getOpOperands())
        reshapeResult(operand);
    });
  }
};

} // namespace
