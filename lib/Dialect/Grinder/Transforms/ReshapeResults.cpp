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

/// `value` (of rank `rank`) as one dimension, or itself if it has one.
Value flatten(OpBuilder &builder, Location loc, Value value, int64_t rank) {
  if (rank == 1)
    return value;
  ReassociationIndices all(llvm::seq<int64_t>(0, rank).begin(), llvm::seq<int64_t>(0, rank).end());
  return memref::CollapseShapeOp::create(builder, loc, value, ArrayRef<ReassociationIndices>{all});
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
  Value view = flatten(builder, loc, whole, resultType.getRank());
  if (alloc.getType().getRank() > 1) {
    ReassociationIndices all(llvm::seq<int64_t>(0, alloc.getType().getRank()).begin(),
                             llvm::seq<int64_t>(0, alloc.getType().getRank()).end());
    view = memref::ExpandShapeOp::create(builder, loc, alloc.getType().getShape(), view,
                                         ArrayRef<ReassociationIndices>{all});
  }
  if (view.getType() != alloc.getType()) { // cannot happen for identity layouts; stay safe
    for (Operation *op = view.getDefiningOp(); op && op != whole;) {
      Operation *next = op->getOperand(0).getDefiningOp();
      op->erase();
      op = next;
    }
    whole.erase();
    return;
  }
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
