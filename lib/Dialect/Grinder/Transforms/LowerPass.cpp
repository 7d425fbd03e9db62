//===- LowerPass.cpp - --grinder-lower (CPU) -------------------------------===//
//
// device: one OpenMP parallel region around the construct (and the rest of
// its block when the construct's results are used after it); inside, every
// thread runs the control, tile loops become worksharing loops, other writes
// run once (omp.single), barriers keep reads and writes of different threads
// apart. block: tile loops become sequential loops. host: nothing to do.
//
//===----------------------------------------------------------------------===//

#include "GPULower.h"

#include "Grinder/Constructs.h"
#include "Grinder/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "Roller/Targets.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::fourfold::grinder {
#define GEN_PASS_DEF_GRINDERLOWER
#include "Grinder/Passes.h.inc"
} // namespace mlir::fourfold::grinder

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::grinder;

namespace {
/// The bounds and body of a tile loop (scf.forall or scf.parallel).
struct TileLoop {
  SmallVector<Value> lbs, ubs, steps;
  Block *body;
};
} // namespace

static TileLoop getTileLoop(OpBuilder &b, Operation *op) {
  Location loc = op->getLoc();
  TileLoop t;
  if (auto forall = dyn_cast<scf::ForallOp>(op)) {
    auto values = [&](ArrayRef<OpFoldResult> ofrs) {
      return llvm::map_to_vector(ofrs, [&](OpFoldResult ofr) {
        return getValueOrCreateConstantIndexOp(b, loc, ofr);
      });
    };
    t.lbs = values(forall.getMixedLowerBound());
    t.ubs = values(forall.getMixedUpperBound());
    t.steps = values(forall.getMixedStep());
    t.body = forall.getBody();
  } else {
    auto parallel = cast<scf::ParallelOp>(op);
    t.lbs = llvm::to_vector(parallel.getLowerBound());
    t.ubs = llvm::to_vector(parallel.getUpperBound());
    t.steps = llvm::to_vector(parallel.getStep());
    t.body = parallel.getBody();
  }
  return t;
}

/// Moves the body of tile loop `op` into `dest` (whose arguments are the new
/// induction variables), its terminator replaced by `terminate`.
static void moveBody(Operation *op, Block *body, ValueRange ivs, Block *dest,
                     function_ref<void(OpBuilder &, Location)> terminate) {
  body->getTerminator()->erase();
  IRRewriter rewriter(op->getContext());
  rewriter.inlineBlockBefore(body, dest, dest->end(), ivs);
  OpBuilder b = OpBuilder::atBlockEnd(dest);
  terminate(b, op->getLoc());
}

/// A tile loop as a worksharing loop: the threads of the enclosing parallel
/// region split its iterations and meet at its implicit barrier.
static void toWorksharing(Operation *op) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  TileLoop t = getTileLoop(b, op);
  auto ws = omp::WsloopOp::create(b, loc, omp::WsloopOperands());
  b.createBlock(&ws.getRegion());
  omp::LoopNestOperands nestOps;
  nestOps.loopLowerBounds = t.lbs;
  nestOps.loopUpperBounds = t.ubs;
  nestOps.loopSteps = t.steps;
  auto nest = omp::LoopNestOp::create(b, loc, nestOps);
  SmallVector<Type> types(t.lbs.size(), b.getIndexType());
  SmallVector<Location> locs(t.lbs.size(), loc);
  Block *dest = b.createBlock(&nest.getRegion(), {}, types, locs);
  moveBody(op, t.body, dest->getArguments(), dest,
           [](OpBuilder &b, Location loc) { omp::YieldOp::create(b, loc); });
  op->erase();
}

/// A tile loop as a nest of sequential loops (one compute unit runs it).
static void toSequential(Operation *op) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  TileLoop t = getTileLoop(b, op);
  SmallVector<Value> ivs;
  Block *dest = nullptr;
  for (auto [lb, ub, step] : llvm::zip(t.lbs, t.ubs, t.steps)) {
    auto loop = scf::ForOp::create(b, loc, lb, ub, step);
    ivs.push_back(loop.getInductionVar());
    dest = loop.getBody();
    b.setInsertionPoint(dest->getTerminator());
  }
  // The innermost body keeps its scf.yield: insert before it.
  Operation *yield = dest->getTerminator();
  yield->remove();
  moveBody(op, t.body, ivs, dest, [&](OpBuilder &b, Location) {
    b.insert(yield);
  });
  op->erase();
}

namespace {
/// A device region as OpenMP: worksharing loops, omp.single, omp.barrier.
struct OpenMPLowering : DeviceLowerer {
  void barrier(Operation *before) override {
    OpBuilder b(before);
    omp::BarrierOp::create(b, before->getLoc());
  }
  // The worksharing loop ends with a barrier.
  void tileLoop(Operation *op) override { toWorksharing(op); }
  // One thread runs the writes; omp.single ends with a barrier.
  void once(ArrayRef<Operation *> ops) override {
    OpBuilder b(ops.front());
    Location loc = ops.front()->getLoc();
    auto single = omp::SingleOp::create(b, loc, omp::SingleOperands());
    Block *body = b.createBlock(&single.getRegion());
    for (Operation *op : ops)
      op->moveBefore(body, body->end());
    b.setInsertionPointToEnd(body);
    omp::TerminatorOp::create(b, loc);
  }
};
} // namespace

static void dropPlacements(Operation *root) {
  root->walk([](Operation *op) {
    op->removeAttr(GrinderDialect::kPlaceAttrName);
    op->removeAttr(GrinderDialect::kEstimateAttrName);
  });
}

static LogicalResult lowerDevice(Operation *construct) {
  std::string why;
  Operation *culprit = nullptr;
  if (failed(checkDeviceRegion(construct, why, culprit))) {
    InFlightDiagnostic diag = construct->emitOpError()
                              << "cannot run on the device: " << why;
    noteCulprit(diag, construct, culprit);
    return diag;
  }
  SmallVector<Operation *> region = getDeviceRegionOps(construct);
  OpBuilder b(construct);
  // Buffers of the region's top level are made once, before the threads
  // start, so that every thread sees the same one.
  for (Operation *op : region)
    if (isa<memref::AllocOp, memref::AllocaOp>(op))
      op->moveBefore(construct);
  b.setInsertionPoint(construct);
  auto parallel = omp::ParallelOp::create(b, construct->getLoc(),
                                          omp::ParallelOperands());
  Block *body = b.createBlock(&parallel.getRegion());
  for (Operation *op : region)
    if (!isa<memref::AllocOp, memref::AllocaOp>(op))
      op->moveBefore(body, body->end());
  b.setInsertionPointToEnd(body);
  omp::TerminatorOp::create(b, construct->getLoc());
  // The threads have just started: nobody has read anything yet.
  OpenMPLowering().lowerBlock(*body, /*synced=*/true);
  return success();
}

namespace {
struct GrinderLowerPass : grinder::impl::GrinderLowerBase<GrinderLowerPass> {
  using GrinderLowerBase::GrinderLowerBase;

  void runOnOperation() override {
    int64_t gridSize = grid;
    if (gpu && gridSize <= 0) {
      std::string error;
      FailureOr<roller::TargetAttr> t =
          roller::getTarget(&getContext(), target, error);
      if (failed(t)) {
        getOperation().emitError() << "grinder-lower: " << error;
        return signalPassFailure();
      }
      // One block per compute unit: all resident at once whatever the
      // kernel's registers, so the grid barrier cannot deadlock.
      gridSize = t->getUnits();
    }
    SmallVector<Operation *> placed;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (op->hasAttr(GrinderDialect::kPlaceAttrName)) {
        placed.push_back(op);
        return WalkResult::skip(); // nested ones follow their outermost
      }
      return WalkResult::advance();
    });
    bool failedAny = false;
    for (Operation *op : placed) {
      auto place = op->getAttrOfType<PlacementAttr>(GrinderDialect::kPlaceAttrName);
      if (gpu && place.getValue() != Placement::host) {
        if (failed(lowerOnGPU(op, place.getValue() == Placement::block
                                      ? 1
                                      : gridSize,
                              threads))) {
          failedAny = true;
          continue;
        }
      } else if (place.getValue() == Placement::device &&
          !op->getParentOfType<omp::ParallelOp>()) {
        if (failed(lowerDevice(op))) {
          failedAny = true;
          continue;
        }
      } else if (place.getValue() == Placement::block) {
        SmallVector<Operation *> loops;
        op->walk([&](Operation *inner) {
          if (isTileLoop(inner))
            loops.push_back(inner);
        });
        // Outer loops first would move inner ones; walk order is post-order
        // (inner first), which keeps every pointer valid.
        for (Operation *loop : loops)
          toSequential(loop);
      }
      dropPlacements(op);
    }
    if (failedAny)
      signalPassFailure();
  }
};
} // namespace
