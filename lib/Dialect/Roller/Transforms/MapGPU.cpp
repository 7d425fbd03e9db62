//===- MapGPU.cpp - --roller-map-gpu: tile loops as gpu.launch -------------===//
//
// Upstream's convert-parallel-loops-to-gpu maps one loop per hardware id: a
// block holding several thread-level loops (a welder group: one per fused
// operator, with barriers between them) is beyond it ("cannot redefine the
// bound for processor"), and so are buffers shared by a block's threads.
// This pass maps such loop nests itself: blocks from the block id, thread
// loops strided by the block's threads, block barriers between them,
// block-level buffers in workgroup memory.
//
//===----------------------------------------------------------------------===//

#include "Roller/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

namespace mlir::fourfold::roller {
#define GEN_PASS_DEF_ROLLERMAPGPU
#include "Roller/Passes.h.inc"
} // namespace mlir::fourfold::roller

using namespace mlir;

namespace {

constexpr int64_t kMaxThreads = 1024;
// CUDA's static shared memory per block.
constexpr int64_t kStaticSharedBytes = 48 * 1024;

/// The trip count of each of `loop`'s dimensions, if all are constant.
std::optional<SmallVector<int64_t>> staticTrips(scf::ForallOp loop) {
  SmallVector<int64_t> trips;
  for (auto [l, u, s] : llvm::zip(loop.getMixedLowerBound(),
                                  loop.getMixedUpperBound(), loop.getMixedStep())) {
    std::optional<int64_t> lb = getConstantIntValue(l), ub = getConstantIntValue(u),
                           st = getConstantIntValue(s);
    if (!lb || !ub || !st || *st <= 0)
      return std::nullopt;
    trips.push_back(std::max<int64_t>(0, llvm::divideCeil(*ub - *lb, *st)));
  }
  return trips;
}

int64_t product(ArrayRef<int64_t> values) {
  int64_t p = 1;
  for (int64_t v : values)
    p *= v;
  return p;
}

/// The most iterations of each of `loop`'s dimensions: a partial tile's
/// thread loop runs to an affine.min of the tile size and what is left.
std::optional<SmallVector<int64_t>> tripBounds(scf::ForallOp loop) {
  SmallVector<int64_t> trips;
  for (auto [l, u, s] : llvm::zip(loop.getMixedLowerBound(),
                                  loop.getMixedUpperBound(), loop.getMixedStep())) {
    std::optional<int64_t> lb = getConstantIntValue(l), st = getConstantIntValue(s);
    if (!lb || !st || *st <= 0)
      return std::nullopt;
    std::optional<int64_t> ub = getConstantIntValue(u);
    if (!ub) {
      FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
          presburger::BoundType::UB, ValueBoundsConstraintSet::Variable(cast<Value>(u)),
          /*stopCondition=*/nullptr, /*closedUB=*/true);
      if (failed(bound))
        return std::nullopt;
      ub = *bound;
    }
    trips.push_back(std::max<int64_t>(0, llvm::divideCeil(*ub - *lb, *st)));
  }
  return trips;
}

/// The foralls directly below `outer` (no forall in between).
SmallVector<scf::ForallOp> threadLoops(scf::ForallOp outer) {
  SmallVector<scf::ForallOp> loops;
  outer.getBody()->walk([&](scf::ForallOp inner) {
    if (inner->getParentOfType<scf::ForallOp>() == outer)
      loops.push_back(inner);
  });
  return loops;
}

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Each of `loop`'s trip counts, as values.
SmallVector<Value> tripValues(OpBuilder &b, Location loc, scf::ForallOp loop) {
  SmallVector<Value> trips;
  for (auto [l, u, s] : llvm::zip(loop.getMixedLowerBound(),
                                  loop.getMixedUpperBound(), loop.getMixedStep())) {
    Value lb = getValueOrCreateConstantIndexOp(b, loc, l);
    Value ub = getValueOrCreateConstantIndexOp(b, loc, u);
    Value st = getValueOrCreateConstantIndexOp(b, loc, s);
    trips.push_back(arith::CeilDivUIOp::create(b, loc, arith::SubIOp::create(b, loc, ub, lb), st));
  }
  return trips;
}

/// `loop`'s induction variables for linear iteration `linear` (row-major
/// over its trips).
SmallVector<Value> inductionVars(OpBuilder &b, Location loc, scf::ForallOp loop,
                                 ArrayRef<Value> trips, Value linear) {
  SmallVector<Value> multi(trips.size());
  Value rest = linear;
  for (int i = trips.size() - 1; i >= 0; --i) {
    Value t = trips[i];
    multi[i] = i == 0 ? rest : arith::RemUIOp::create(b, loc, rest, t);
    if (i > 0)
      rest = arith::DivUIOp::create(b, loc, rest, t);
  }
  SmallVector<Value> ivs;
  for (auto [m, l, s] : llvm::zip(multi, loop.getMixedLowerBound(), loop.getMixedStep())) {
    Value lb = getValueOrCreateConstantIndexOp(b, loc, l);
    Value st = getValueOrCreateConstantIndexOp(b, loc, s);
    ivs.push_back(arith::AddIOp::create(b, loc, lb, arith::MulIOp::create(b, loc, m, st)));
  }
  return ivs;
}

struct KernelMapper {
  Value tx, threads, threadZero;
  SmallVector<memref::AllocOp> shared;

  /// `loop`'s body as a loop over its iterations from this thread's id,
  /// strided by the block's threads.
  void mapThreadLoop(scf::ForallOp loop) {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    SmallVector<Value> trips = tripValues(b, loc, loop);
    Value total = index(b, loc, 1);
    for (Value t : trips)
      total = arith::MulIOp::create(b, loc, total, t);
    auto strided = scf::ForOp::create(b, loc, tx, total, threads);
    b.setInsertionPoint(strided.getBody()->getTerminator());
    SmallVector<Value> ivs = inductionVars(b, loc, loop, trips, strided.getInductionVar());
    loop.getBody()->getTerminator()->erase();
    IRRewriter rewriter(b);
    rewriter.inlineBlockBefore(loop.getBody(), strided.getBody()->getTerminator(), ivs);
    loop.erase();
  }

  static bool holdsThreadLoop(Operation *op) {
    return op->walk([](scf::ForallOp) { return WalkResult::interrupt(); })
        .wasInterrupted();
  }

  static bool writes(Operation *op) {
    if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp>(op))
      return false;
    if (auto effects = dyn_cast<MemoryEffectOpInterface>(op))
      return effects.hasEffect<MemoryEffects::Write>();
    // Unknown effects (ops with regions): look inside.
    if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>()) {
      bool any = false;
      for (Region &region : op->getRegions())
        region.walk([&](Operation *inner) { any |= writes(inner); });
      return any;
    }
    return !isMemoryEffectFree(op);
  }

  /// Maps the thread loops of a block-level block and makes its own writes
  /// thread 0's, with a barrier after each.
  LogicalResult mapBlock(Block &block) {
    SmallVector<Operation *> ops;
    for (Operation &op : block.without_terminator())
      ops.push_back(&op);
    for (Operation *op : ops) {
      Location loc = op->getLoc();
      if (auto loop = dyn_cast<scf::ForallOp>(op)) {
        if (loop->getNumResults() != 0)
          return loop.emitOpError("on tensors cannot be mapped to threads (bufferize first)");
        OpBuilder after(op->getContext());
        after.setInsertionPointAfter(loop);
        gpu::BarrierOp::create(after, loc);
        mapThreadLoop(loop);
        continue;
      }
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (!alloc.getType().hasStaticShape())
          return alloc.emitOpError("of a dynamic shape cannot be a block's shared buffer");
        shared.push_back(alloc);
        continue;
      }
      if (holdsThreadLoop(op)) {
        // Uniform control flow (a reduction step loop around staging and
        // compute): every thread runs it, its thread loops are mapped.
        for (Region &region : op->getRegions())
          for (Block &inner : region)
            if (failed(mapBlock(inner)))
              return failure();
        continue;
      }
      if (!writes(op))
        continue;
      if (op->getNumResults() != 0)
        return op->emitOpError("writes memory and has results at block level: "
                               "it cannot be left to one thread");
      OpBuilder b(op);
      auto when = scf::IfOp::create(b, loc, threadZero, /*withElseRegion=*/false);
      op->moveBefore(when.thenBlock()->getTerminator());
      b.setInsertionPointAfter(when);
      gpu::BarrierOp::create(b, loc);
    }
    return success();
  }
};

struct RollerMapGPUPass
    : public mlir::fourfold::roller::impl::RollerMapGPUBase<RollerMapGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ForallOp> kernels;
    getOperation()->walk([&](scf::ForallOp loop) {
      if (!loop->getParentOfType<scf::ForallOp>() &&
          !loop->getParentOfType<gpu::LaunchOp>() && !threadLoops(loop).empty())
        kernels.push_back(loop);
    });
    for (scf::ForallOp loop : kernels)
      if (failed(mapKernel(loop)))
        return signalPassFailure();
  }

  LogicalResult mapKernel(scf::ForallOp outer) {
    Location loc = outer.getLoc();
    if (outer->getNumResults() != 0)
      return outer.emitOpError("on tensors cannot be mapped to blocks (bufferize first)");
    std::optional<SmallVector<int64_t>> trips = staticTrips(outer);
    if (!trips)
      return outer.emitOpError("with dynamic trips cannot be mapped to blocks");
    int64_t blocks = product(*trips);
    if (blocks > std::numeric_limits<int32_t>::max())
      return outer.emitOpError() << "needs " << blocks << " blocks, more than a grid holds";
    int64_t threads = 1;
    for (scf::ForallOp inner : threadLoops(outer)) {
      std::optional<SmallVector<int64_t>> t = tripBounds(inner);
      if (!t)
        return inner.emitOpError("has no bound on its trips: it cannot be mapped to threads");
      threads = std::max(threads, product(*t));
    }
    threads = std::min(threads, kMaxThreads);

    OpBuilder b(outer);
    Value one = index(b, loc, 1);
    auto launch = gpu::LaunchOp::create(b, loc, index(b, loc, blocks), one, one,
                                        index(b, loc, threads), one, one);
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    auto terminator = gpu::TerminatorOp::create(b, loc);
    b.setInsertionPoint(terminator);
    KernelMapper mapper;
    mapper.tx = launch.getThreadIds().x;
    mapper.threads = launch.getBlockSize().x;
    mapper.threadZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                              mapper.tx, index(b, loc, 0));
    SmallVector<Value> ivs = inductionVars(
        b, loc, outer,
        llvm::map_to_vector(*trips, [&](int64_t t) { return index(b, loc, t); }),
        launch.getBlockIds().x);
    outer.getBody()->getTerminator()->erase();
    IRRewriter rewriter(b);
    rewriter.inlineBlockBefore(outer.getBody(), terminator, ivs);
    outer.erase();
    if (failed(mapper.mapBlock(body)))
      return failure();

    // Block-level buffers: the block's shared memory, read through a
    // generic pointer (the types of their views stay as they are).
    int64_t sharedBytes = 0;
    auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(),
                                                gpu::AddressSpace::Workgroup);
    for (memref::AllocOp alloc : mapper.shared) {
      MemRefType type = alloc.getType();
      sharedBytes += type.getNumElements() *
                     llvm::divideCeil(type.getElementTypeBitWidth(), 8);
      auto spaced = MemRefType::get(type.getShape(), type.getElementType(),
                                    type.getLayout(), workgroup);
      BlockArgument buffer = launch.addWorkgroupAttribution(spaced, alloc.getLoc());
      b.setInsertionPoint(alloc);
      Value cast = memref::MemorySpaceCastOp::create(b, alloc.getLoc(), type, buffer);
      SmallVector<Operation *> deallocs;
      for (Operation *user : alloc->getUsers())
        if (isa<memref::DeallocOp>(user))
          deallocs.push_back(user);
      for (Operation *d : deallocs)
        d->erase();
      alloc.replaceAllUsesWith(cast);
      alloc.erase();
    }
    if (sharedBytes > kStaticSharedBytes)
      return launch.emitOpError()
             << "needs " << sharedBytes << " B of shared memory per block, more than "
             << kStaticSharedBytes << " B of static shared memory";
    // A thread's own buffers: private memory where every free is the
    // buffer's own dealloc; one whose frees go through a loop's
    // ownership flags (a loop-carried buffer) stays a device malloc.
    SmallVector<memref::AllocOp> local;
    launch.walk([&](memref::AllocOp alloc) { local.push_back(alloc); });
    for (memref::AllocOp alloc : local) {
      if (!alloc.getType().hasStaticShape())
        return alloc.emitOpError("of a dynamic shape cannot run inside a GPU kernel");
      SmallVector<Operation *> deallocs;
      bool escapes = false;
      for (Operation *user : alloc->getUsers()) {
        if (isa<memref::DeallocOp>(user))
          deallocs.push_back(user);
        else if (isa<memref::CastOp, memref::ExtractStridedMetadataOp,
                     RegionBranchTerminatorOpInterface>(user))
          escapes = true;
      }
      if (escapes)
        continue;
      for (Operation *d : deallocs)
        d->erase();
      rewriter.setInsertionPoint(alloc);
      rewriter.replaceOpWithNewOp<memref::AllocaOp>(alloc, alloc.getType(),
                                                    alloc.getAlignmentAttr());
    }
    // The last barrier before the end of the kernel waits for nothing.
    for (Operation *op = terminator->getPrevNode(); op; op = op->getPrevNode()) {
      if (isa<gpu::BarrierOp>(op)) {
        op->erase();
        break;
      }
      if (!isMemoryEffectFree(op))
        break;
    }
    // Device code has no memcpy and no linalg: loops.
    SmallVector<memref::CopyOp> copies;
    launch.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      OpBuilder cb(copy);
      Location cloc = copy.getLoc();
      auto type = cast<MemRefType>(copy.getSource().getType());
      // A short static row (a staged operand's per-thread part) moves as
      // one vector.
      int64_t rank = type.getRank();
      bool vectorRow = rank > 0 && !type.isDynamicDim(rank - 1) &&
                       type.getDimSize(rank - 1) <= 8 && type.getElementType().isIntOrFloat();
      SmallVector<Value> ivs;
      for (int64_t d = 0; d < rank - (vectorRow ? 1 : 0); ++d) {
        Value extent = memref::DimOp::create(cb, cloc, copy.getSource(), d);
        auto loop = scf::ForOp::create(cb, cloc, index(cb, cloc, 0), extent, index(cb, cloc, 1));
        ivs.push_back(loop.getInductionVar());
        cb.setInsertionPoint(loop.getBody()->getTerminator());
      }
      if (vectorRow) {
        ivs.push_back(index(cb, cloc, 0));
        auto vt = VectorType::get({type.getDimSize(rank - 1)}, type.getElementType());
        SmallVector<bool> inBounds = {true};
        Value pad = ub::PoisonOp::create(cb, cloc, type.getElementType());
        Value v = vector::TransferReadOp::create(cb, cloc, vt, copy.getSource(), ivs, pad,
                                                 ArrayRef<bool>(inBounds));
        vector::TransferWriteOp::create(cb, cloc, v, copy.getTarget(), ivs,
                                        ArrayRef<bool>(inBounds));
      } else {
        Value v = memref::LoadOp::create(cb, cloc, copy.getSource(), ivs);
        memref::StoreOp::create(cb, cloc, v, copy.getTarget(), ivs);
      }
      copy.erase();
    }
    SmallVector<linalg::LinalgOp> linalgOps;
    launch.walk([&](linalg::LinalgOp op) { linalgOps.push_back(op); });
    for (linalg::LinalgOp op : linalgOps) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::linalgOpToLoops(rewriter, op)))
        return op->emitOpError("cannot be turned into loops inside a GPU kernel");
      rewriter.eraseOp(op);
    }
    return success();
  }
};

} // namespace
