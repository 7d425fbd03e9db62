//===- HoistBuffers.cpp - --grinder-hoist-buffers --------------------------===//

#include "Grinder/Passes.h"

#include "mlir/Interfaces/CallInterfaces.h"
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
  Operation *terminator = body->getTerminator();
  // Where the buffer goes: through views, branch results and selects; it
  // may reach the next iteration only as the body's yield operand itself.
  llvm::SetVector<Value> carriers;
  SmallVector<Value> aliases = {alloc.getResult()};
  llvm::SmallPtrSet<Value, 8> seen;
  while (!aliases.empty()) {
    Value v = aliases.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (user == terminator) {
        if (v != alloc.getResult())
          return false; // a view of it carried: keep it where it is
        if (auto loopFor = dyn_cast<scf::ForOp>(loop))
          collectCarriers(loopFor.getRegionIterArgs()[use.getOperandNumber()],
                          loop, carriers);
        else
          collectCarriers(cast<scf::WhileOp>(loop)
                              .getBeforeArguments()[use.getOperandNumber()],
                          loop, carriers);
        continue;
      }
      if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
        if (view.getViewSource() == v)
          llvm::append_range(aliases, user->getResults());
        continue;
      }
      if (isa<arith::SelectOp>(user)) {
        aliases.push_back(user->getResult(0));
        continue;
      }
      if (isa<scf::YieldOp>(user) && user->getParentOp() != loop) {
        Operation *parent = user->getParentOp();
        if (!isa<scf::IfOp, scf::IndexSwitchOp>(parent))
          return false; // carried by an inner loop: not followed
        aliases.push_back(parent->getResult(use.getOperandNumber()));
        continue;
      }
      if (user->hasTrait<OpTrait::IsTerminator>() || isa<CallOpInterface>(user))
        return false; // escapes where it is not followed
    }
  }
  // Every use of what it carries in the next iteration must come before
  // the allocation (uses in a while's before-region always do).
  for (Value carrier : carriers)
    for (Operation *user : carrier.getUsers()) {
      Operation *inBody = body->findAncestorOpInBlock(*user);
      if (!inBody)
        continue;
      if (!inBody->isBeforeInBlock(alloc))
        return false;
    }
  return true;
}

/// Whether `alloc`, in the before-region of `loop`, can move in front of
/// it: it only receives a copy of something and is handed to the
/// after-region by the condition, which reads it before the next
/// evaluation of the condition overwrites it (unless the after-region hands
/// it straight back).
static bool canHoistConditionBuffer(memref::AllocOp alloc, scf::WhileOp loop) {
  if (alloc->getNumOperands() != 0 ||
      !cast<MemRefType>(alloc.getType()).hasStaticShape())
    return false;
  scf::ConditionOp condition = loop.getConditionOp();
  for (OpOperand &use : alloc->getUses()) {
    Operation *user = use.getOwner();
    if (auto copy = dyn_cast<memref::CopyOp>(user)) {
      if (copy.getTarget() != alloc.getResult())
        return false;
      continue;
    }
    if (user != condition.getOperation())
      return false;
    Value after = loop.getAfterArguments()[use.getOperandNumber() - 1];
    Operation *yield = loop.getAfterBody()->getTerminator();
    if (llvm::is_contained(yield->getOperands(), after))
      return false;
  }
  return true;
}

/// `buffer`, made in front of `loop`, takes the place of the value `carried`
/// (and of `forwarded`: the while's after-region argument and the loop's
/// result that hand it on): it starts as a copy of `init`, and the loop
/// updates it in place. What stays carried is a dead argument the
/// canonicalizer removes (and with it the deallocation pipeline's runtime
/// ownership checks per iteration).
static void standFor(Value buffer, Operation *loop, Value init, Value carried,
                     ArrayRef<Value> forwarded) {
  OpBuilder b(loop);
  memref::CopyOp::create(b, loop->getLoc(), init, buffer);
  carried.replaceAllUsesWith(buffer);
  for (Value v : forwarded)
    v.replaceAllUsesWith(buffer);
}

/// `alloc` now sits in front of `loop` and is what the body yields for
/// some loop-carried values: every iteration reads the previous contents of
/// that one buffer, so the value need not be carried at all.
static void uncarry(memref::AllocOp alloc, Operation *loop) {
  Value buffer = alloc.getResult();
  for (OpOperand &use : llvm::make_early_inc_range(alloc->getUses())) {
    Operation *yield = use.getOwner();
    if (yield->getParentOp() != loop || !yield->hasTrait<OpTrait::IsTerminator>())
      continue;
    unsigned i = use.getOperandNumber();
    Value carried, init;
    SmallVector<Value> forwarded;
    if (auto loopFor = dyn_cast<scf::ForOp>(loop)) {
      carried = loopFor.getRegionIterArgs()[i];
      init = loopFor.getInitArgs()[i];
      forwarded.push_back(loopFor.getResult(i));
    } else {
      auto loopWhile = cast<scf::WhileOp>(loop);
      carried = loopWhile.getBeforeArguments()[i];
      init = loopWhile.getInits()[i];
      // The condition must hand the carried buffer on unchanged (or not at
      // all) for the buffer to stand for what it hands on.
      bool viewHandedOn = llvm::any_of(carried.getUsers(), [](Operation *user) {
        return isa<ViewLikeOpInterface>(user) &&
               llvm::any_of(user->getUsers(), llvm::IsaPred<scf::ConditionOp>);
      });
      if (viewHandedOn)
        continue;
      for (auto [k, arg] : llvm::enumerate(loopWhile.getConditionOp().getArgs()))
        if (arg == carried) {
          forwarded.push_back(loopWhile.getAfterArguments()[k]);
          forwarded.push_back(loopWhile.getResult(k));
        }
    }
    if (carried.getType() != buffer.getType() ||
        llvm::any_of(forwarded, [&](Value v) { return v.getType() != buffer.getType(); }))
      continue;
    standFor(buffer, loop, init, carried, forwarded);
    // What stays carried is dead; a for hands its own argument on, a while
    // (whose after-region cannot see it) the initial value.
    use.set(isa<scf::ForOp>(loop) ? carried : init);
  }
}

/// A value carried by `loop` that a branch either replaces (with a buffer
/// it allocates) or hands on unchanged (BlockDrop's skip): the loop keeps
/// one buffer for it, updated in place by a copy at the end of the
/// replacing side, so that no buffer is carried and the branch's own can
/// move out. Only where nothing reads the old value after the branch.
static void uncarryThroughBranch(scf::ForOp loop) {
  Block *body = loop.getBody();
  Operation *yield = body->getTerminator();
  for (unsigned i = 0; i < loop.getNumRegionIterArgs(); ++i) {
    Value carried = loop.getRegionIterArgs()[i];
    auto type = dyn_cast<MemRefType>(carried.getType());
    auto branch = yield->getOperand(i).getDefiningOp<scf::IfOp>();
    if (!type || !type.hasStaticShape() || !branch ||
        branch->getBlock() != body || !branch.elseBlock())
      continue;
    unsigned r = cast<OpResult>(yield->getOperand(i)).getResultNumber();
    // Each side yields the carried value or a buffer it allocates itself.
    bool shape = llvm::all_of(branch->getRegions(), [&](Region &side) {
      Value v = side.front().getTerminator()->getOperand(r);
      auto alloc = v.getDefiningOp<memref::AllocOp>();
      return v == carried ||
             (alloc && alloc->getBlock() == &side.front() &&
              alloc.getType() == type && alloc->getNumOperands() == 0);
    });
    // The old value is dead once the branch has run.
    bool deadAfter = llvm::all_of(carried.getUsers(), [&](Operation *user) {
      Operation *inBody = body->findAncestorOpInBlock(*user);
      return inBody && (inBody == branch || inBody->isBeforeInBlock(branch));
    });
    if (!shape || !deadAfter || loop.getInitArgs()[i].getType() != type)
      continue;
    OpBuilder b(loop);
    Value buffer = memref::AllocOp::create(b, loop.getLoc(), type);
    for (Region &side : branch->getRegions()) {
      Operation *terminator = side.front().getTerminator();
      Value v = terminator->getOperand(r);
      if (v != carried) {
        OpBuilder sb(terminator);
        memref::CopyOp::create(sb, terminator->getLoc(), v, buffer);
      }
      terminator->setOperand(r, buffer);
    }
    standFor(buffer, loop, loop.getInitArgs()[i], carried,
             {branch->getResult(r), loop.getResult(i)});
    yield->setOperand(i, carried);
  }
}

/// Static allocations a branch of `body` makes and does not hand out move
/// in front of the branch, where the loop-level hoisting can see them.
static void hoistOutOfBranches(Block *body) {
  for (auto branch : llvm::make_early_inc_range(body->getOps<scf::IfOp>()))
    for (Region &side : branch->getRegions())
      for (Block &block : side)
        for (auto alloc : llvm::make_early_inc_range(block.getOps<memref::AllocOp>()))
          if (alloc->getNumOperands() == 0 &&
              !llvm::is_contained(block.getTerminator()->getOperands(),
                                  alloc.getResult()))
            alloc->moveBefore(branch);
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
      if (auto loopFor = dyn_cast<scf::ForOp>(loop)) {
        uncarryThroughBranch(loopFor);
        hoistOutOfBranches(body);
      }
      for (auto alloc : llvm::make_early_inc_range(body->getOps<memref::AllocOp>()))
        if (canHoist(alloc, loop)) {
          alloc->moveBefore(loop);
          uncarry(alloc, loop);
        }
      if (auto loopWhile = dyn_cast<scf::WhileOp>(loop))
        for (auto alloc : llvm::make_early_inc_range(
                 loopWhile.getBeforeBody()->getOps<memref::AllocOp>())) {
          // The condition's scratch dies with the condition; the copies
          // one-shot bufferization hands to the after-region live until the
          // condition runs again.
          bool scratch =
              alloc->getNumOperands() == 0 &&
              llvm::none_of(alloc->getUsers(), [&](Operation *user) {
                return isa<scf::ConditionOp, ViewLikeOpInterface,
                           scf::YieldOp, arith::SelectOp>(user);
              });
          if (scratch || canHoistConditionBuffer(alloc, loopWhile))
            alloc->moveBefore(loop);
        }
    });
  }
};
} // namespace
