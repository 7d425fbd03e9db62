//===- GPULower.cpp - device placement as one persistent GPU kernel -------===//
//
// A device-placed construct becomes one gpu.launch whose every thread runs
// the construct's control. Tile loops become grid- and block-stride loops,
// kernels are separated by a grid-wide barrier (a counter in global memory
// that block leaders bump and spin on, fenced at GPU scope; see
// Roller/GPUKernel.h), so a loop's iterations, its condition and its
// branches never go back to the host.
//
//===----------------------------------------------------------------------===//

#include "GPULower.h"

#include "Grinder/Constructs.h"
#include "Grinder/Passes.h"

#include "Rammer/Cost.h"
#include "Roller/GPUKernel.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::grinder;

namespace {
/// A device region as one persistent kernel: grid-stride tile loops, writes
/// by block 0's thread 0, grid barriers (the pieces shared with rammer's GPU
/// lowering are in Roller/GPUKernel.h).
struct GPULowering : DeviceLowerer {
  gpukernel::Kernel k;
  Value leader; // thread 0 of block 0
  LogicalResult status = success();

  void lowerTileLoop(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto forall = dyn_cast<scf::ForallOp>(op);
    if (!forall) // scf.parallel: as a forall would be
      forall = gpukernel::Kernel::toForall(cast<scf::ParallelOp>(op));
    if (!gpukernel::getThreadLoops(forall).empty()) {
      // Block iterations strided over the blocks, each run by all the
      // block's threads (thread-level loops strided over them).
      SmallVector<Value> lbs, steps, trips;
      for (auto [l, u, s] : llvm::zip(forall.getMixedLowerBound(),
                                      forall.getMixedUpperBound(),
                                      forall.getMixedStep())) {
        Value lb = getValueOrCreateConstantIndexOp(b, loc, l);
        Value st = getValueOrCreateConstantIndexOp(b, loc, s);
        lbs.push_back(lb);
        steps.push_back(st);
        trips.push_back(arith::CeilDivUIOp::create(
            b, loc,
            arith::SubIOp::create(b, loc,
                                  getValueOrCreateConstantIndexOp(b, loc, u), lb),
            st));
      }
      gpukernel::Kernel::strided(
          b, loc, trips, k.bx, k.grid, [&](OpBuilder &b, ValueRange multi) {
            SmallVector<Value> ivs;
            for (auto [m, lb, st] : llvm::zip(multi, lbs, steps))
              ivs.push_back(arith::AddIOp::create(
                  b, loc, lb, arith::MulIOp::create(b, loc, m, st)));
            IRMapping map;
            if (failed(k.emitBlockIteration(b, forall, ivs, map)))
              status = failure();
          });
      forall.erase();
      return;
    }
    // One level of tiles: every thread of every block takes some.
    Value first = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, k.bx, k.threads), k.tx);
    k.replaceTileLoop(forall, first,
                      arith::MulIOp::create(b, loc, k.grid, k.threads));
  }

  /// A copy spreads its elements over every thread.
  void lowerCopy(memref::CopyOp copy) {
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    Value first = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, k.bx, k.threads), k.tx);
    k.spreadCopy(copy, first, arith::MulIOp::create(b, loc, k.grid, k.threads));
  }

  /// Lowers `op` (a tile loop or a write made once), then every block
  /// waits for every other.
  void lowerThenSync(Operation *op) {
    Location loc = op->getLoc();
    Operation *next = op->getNextNode(); // stays: the terminator at worst
    if (isTileLoop(op)) {
      lowerTileLoop(op);
    } else if (auto copy = dyn_cast<memref::CopyOp>(op);
               copy && cast<MemRefType>(copy.getSource().getType()).hasStaticShape()) {
      lowerCopy(copy);
    } else {
      OpBuilder b(op);
      auto when = scf::IfOp::create(b, loc, leader, false);
      op->moveBefore(when.thenBlock()->getTerminator());
    }
    OpBuilder after(next);
    k.gridBarrier(after, loc);
  }

  void barrier(Operation *before) override {
    OpBuilder b(before);
    k.gridBarrier(b, before->getLoc());
  }
  void tileLoop(Operation *op) override { lowerThenSync(op); }
  void once(ArrayRef<Operation *> ops) override {
    for (Operation *op : ops)
      lowerThenSync(op);
  }
};
} // namespace

LogicalResult grinder::lowerOnGPU(Operation *construct, int64_t gridSize,
                                  int64_t threadCount) {
  std::string why;
  Operation *culprit = nullptr;
  if (failed(checkDeviceRegion(construct, why, culprit, /*gpu=*/true))) {
    InFlightDiagnostic diag = construct->emitOpError()
                              << "cannot run as one GPU kernel: " << why;
    noteCulprit(diag, construct, culprit);
    return diag;
  }
  if (threadCount <= 0)
    // As many threads as the widest thread-level tile loop has iterations.
    threadCount = gpukernel::chooseThreads({construct});
  Location loc = construct->getLoc();
  OpBuilder b(construct);
  auto index = [&](int64_t v) { return gpukernel::Kernel::index(b, loc, v); };
  Value one = index(1);
  auto launch = gpu::LaunchOp::create(b, loc, index(gridSize), one, one,
                                      index(threadCount), one, one);
  Block &body = launch.getBody().front();
  b.setInsertionPointToStart(&body);
  auto terminator = gpu::TerminatorOp::create(b, loc);
  b.setInsertionPoint(terminator);
  GPULowering g;
  // The barrier's counter is a module global that every barrier leaves as
  // it found it: no per-launch buffer to allocate, zero and free.
  int64_t shared = 0;
  construct->walk([&](scf::ForallOp forall) {
    shared = std::max(shared, gpukernel::getBlockSharedBytes(forall));
  });
  if (shared > gpukernel::kStaticSharedBytes)
    return construct->emitOpError()
           << "needs " << shared << " B of shared memory per block, more than "
           << gpukernel::kStaticSharedBytes << " B of static shared memory";
  g.k = gpukernel::Kernel::begin(b, launch, /*gridBarriers=*/gridSize != 1,
                                 shared);
  g.leader = arith::AndIOp::create(
      b, loc, g.k.threadZero,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, g.k.bx, index(0)));
  construct->moveBefore(terminator);
  for (Region &region : construct->getRegions())
    for (Block &inner : region)
      g.lowerBlock(inner, /*synced=*/false);
  if (failed(g.status))
    return failure();
  // Copies and kernels without tile loops left to the leader become loops
  // here: device code has no memcpy runtime call, and the GPU pipeline's own
  // linalg lowering would try to launch them.
  return gpukernel::lowerLeftoversToLoops(launch);
}
