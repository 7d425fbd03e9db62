//===- HoistBuffers.cpp - --grinder-hoist-buffers --------------------------===//

#include "Grinder/Passes.h"

#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::fourfold::grinder {
#define GEN_PASS_DEF_GRINDERHOISTBUFFERS
#include "Grinder/Passes.h.inc"
} // namespace mlir::fourfold::grinder

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::grinder;

/// `value` and every view of it, through view-like ops and region arguments
/// it is forwarded to inside `loop` (iter_args, the while's after-region).
static void collectCarriers(Value value, Operation *loop,
                            llvm::SetVector<Value> &carriers) {
  if (!carriers.insert(value))
    return;
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
      if (view.getViewSource() == value)
        for (Value result : user->getResults())
          collectCarriers(result, loop, carriers);
      continue;
    }
    // Forwarded from the while's condition to its after-region.
    if (auto condition = dyn_cast<scf::ConditionOp>(user);
        condition && condition->getParentOp() == loop &&
        use.getOperandNumber() > 0)
      collectCarriers(cast<scf::WhileOp>(loop).getAfterArguments()
                          [use.getOperandNumber() - 1],
                      loop, carriers);
  }
}

/// Whether `alloc`, in the body block of `loop`, can move in front of it:
/// the buffer from the previous iteration must be dead when the allocation
/// is made in the next.
static bool canHoist(memref::AllocOp alloc, Operation *loop) {
  if (alloc->getNumOperands() != 0 ||
      !cast<MemRefType>(alloc.getType()).hasStaticShape())
    return false;
  Block *body = alloc->getBlock();
  // Where the buffer goes at the end of an iteration.
  llvm::SetVector<Value> carriers;
  for (OpOperand &use : alloc->getUses()) {
    Operation *user = use.getOwner();
    if (user != body->getTerminator())
      continue;
    if (auto loopFor = dyn_cast<scf::ForOp>(loop))
      collectCarriers(loopFor.getRegionIterArgs()[use.getOperandNumber()], loop,
                      carriers);
    else if (auto loopWhile = dyn_cast<scf::WhileOp>(loop))
      collectCarriers(loopWhile.getBeforeArguments()[use.getOperandNumber()],
                      loop, carriers);
  }
  // Every use of what it carries in the next iteration must come before
  // the allocation (uses in a while's before-region always do).
  for (Value carrier : carriers)
    for (Operation *user : carrier.getUsers()) {
      Operation *inBody = body->findAncestorOpInBlock(*user);
      if (!inBody)
        continue;
      if (inBody == alloc || !inBody->isBeforeInBlock(alloc))
        return false;
    }
  return true;
}

/// `alloc` now sits in front of `loop` and is what the body yields for
/// some loop-carried values: every iteration reads the previous contents of
/// that one buffer, so the value need not be carried at all. The buffer
/// starts as a copy of the initial value and stands for the carried value
/// and the loop's result; what stays carried is a dead argument the
/// canonicalizer removes (and with it the deallocation pipeline's runtime
/// ownership checks per iteration).
static void uncarry(memref::AllocOp alloc, Operation *loop) {
  Value buffer = alloc.getResult();
  for (OpOperand &use : llvm::make_early_inc_range(alloc->getUses())) {
    Operation *yield = use.getOwner();
    if (yield->getParentOp() != loop || !yield->hasTrait<OpTrait::IsTerminator>())
      continue;
    unsigned i = use.getOperandNumber();
    Value carried, init, result;
    SmallVector<Value> forwarded; // after-region arguments and results
    if (auto loopFor = dyn_cast<scf::ForOp>(loop)) {
      carried = loopFor.getRegionIterArgs()[i];
      init = loopFor.getInitArgs()[i];
      forwarded.push_back(loopFor.getResult(i));
    } else {
      auto loopWhile = cast<scf::WhileOp>(loop);
      carried = loopWhile.getBeforeArguments()[i];
      init = loopWhile.getInits()[i];
      scf::ConditionOp condition = loopWhile.getConditionOp();
      // The condition must hand the carried buffer on unchanged (or not at
      // all) for the buffer to stand for what it hands on.
      bool plain = true;
      for (auto [k, arg] : llvm::enumerate(condition.getArgs())) {
        if (arg == carried) {
          forwarded.push_back(loopWhile.getAfterArguments()[k]);
          forwarded.push_back(loopWhile.getResult(k));
        }
      }
      for (Operation *user : carried.getUsers())
        if (isa<ViewLikeOpInterface>(user) &&
            llvm::any_of(user->getUsers(),
                         [](Operation *u) { return isa<scf::ConditionOp>(u); }))
          plain = false;
      if (!plain)
        continue;
    }
    if (carried.getType() != buffer.getType() ||
        llvm::any_of(forwarded, [&](Value v) { return v.getType() != buffer.getType(); }))
      continue;
    OpBuilder b(loop);
    memref::CopyOp::create(b, loop->getLoc(), init, buffer);
    carried.replaceAllUsesWith(buffer);
    for (Value v : forwarded)
      v.replaceAllUsesWith(buffer);
    use.set(carried);
  }
}

namespace {
struct GrinderHoistBuffersPass
    : grinder::impl::GrinderHoistBuffersBase<GrinderHoistBuffersPass> {
  void runOnOperation() override {
    // Innermost loops first, so that buffers climb out of nests one level
    // per loop.
    getOperation()->walk<WalkOrder::PostOrder>([&](Operation *loop) {
      Block *body = nullptr;
      if (auto loopFor = dyn_cast<scf::ForOp>(loop))
        body = loopFor.getBody();
      else if (auto loopWhile = dyn_cast<scf::WhileOp>(loop))
        body = loopWhile.getAfterBody();
      else
        return;
      for (auto alloc : llvm::make_early_inc_range(body->getOps<memref::AllocOp>()))
        if (canHoist(alloc, loop)) {
          alloc->moveBefore(loop);
          uncarry(alloc, loop);
        }
      if (auto loopWhile = dyn_cast<scf::WhileOp>(loop))
        // The before-region's buffers (the condition's scratch) are never
        // carried: they die with the condition.
        for (auto alloc : llvm::make_early_inc_range(
                 loopWhile.getBeforeBody()->getOps<memref::AllocOp>()))
          if (alloc->getNumOperands() == 0 &&
              llvm::none_of(alloc->getUsers(), [&](Operation *user) {
                return isa<scf::ConditionOp, ViewLikeOpInterface>(user);
              }))
            alloc->moveBefore(loop);
    });
  }
};
} // namespace
