//===- GPULower.cpp - device placement as one persistent GPU kernel -------===//
//
// A device-placed construct becomes one gpu.launch whose every thread runs
// the construct's control. Tile loops become grid- and block-stride loops,
// kernels are separated by a grid-wide barrier: a counter in global memory
// that block leaders bump and spin on (fenced at GPU scope), so a loop's
// iterations, its condition and its branches never go back to the host.
//
//===----------------------------------------------------------------------===//

#include "GPULower.h"

#include "Grinder/Constructs.h"
#include "Grinder/Passes.h"

#include "Rammer/Cost.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::grinder;

namespace {
/// A device region as one persistent kernel: grid-stride tile loops, writes
/// by block 0's thread 0, grid barriers.
struct GPULowering : DeviceLowerer {
  Value bx, tx, grid, threads; // block id, thread id, grid and block sizes
  Value counter, epoch;        // the grid barrier's global counter, a leader's count
  Value leader, threadZero;    // thread 0 of block 0; thread 0 of each block
  bool singleBlock;

  Value index(OpBuilder &b, Location loc, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }

  /// Every block waits until every block has arrived: threads meet at a
  /// block barrier, block leaders count their arrival in global memory and
  /// spin until all have (the n-th barrier completes at n x grid arrivals:
  /// the counter is never reset inside the launch).
  void gridBarrier(OpBuilder &b, Location loc) {
    gpu::BarrierOp::create(b, loc);
    if (singleBlock)
      return;
    auto when = scf::IfOp::create(b, loc, threadZero, /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(when.thenBlock());
      Value c0 = index(b, loc, 0);
      Value one = arith::ConstantIntOp::create(b, loc, 1, 32);
      Value zero = arith::ConstantIntOp::create(b, loc, 0, 32);
      NVVM::MembarOp::create(b, loc, NVVM::MemScopeKind::GPU);
      Value next = arith::AddIOp::create(
          b, loc, memref::LoadOp::create(b, loc, epoch, c0), one);
      memref::StoreOp::create(b, loc, next, epoch, c0);
      memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addi, one,
                                  counter, ValueRange{c0});
      Value target = arith::MulIOp::create(
          b, loc, next,
          arith::IndexCastOp::create(b, loc, b.getI32Type(), grid));
      auto spin = scf::WhileOp::create(b, loc, TypeRange{}, ValueRange{});
      b.createBlock(&spin.getBefore());
      Value seen = memref::AtomicRMWOp::create(
          b, loc, arith::AtomicRMWKind::addi, zero, counter, ValueRange{c0});
      Value waiting =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, seen, target);
      scf::ConditionOp::create(b, loc, waiting, ValueRange{});
      b.createBlock(&spin.getAfter());
      scf::YieldOp::create(b, loc);
      b.setInsertionPointAfter(spin);
      NVVM::MembarOp::create(b, loc, NVVM::MemScopeKind::GPU);
    }
    gpu::BarrierOp::create(b, loc);
  }

  /// A loop over the product of `trips` from `start` by `stride`, with the
  /// multi-index (row-major) handed to `body`.
  void strided(OpBuilder &b, Location loc, ArrayRef<Value> trips, Value start,
               Value stride, function_ref<void(OpBuilder &, ValueRange)> body) {
    Value total = index(b, loc, 1);
    for (Value t : trips)
      total = arith::MulIOp::create(b, loc, total, t);
    auto loop = scf::ForOp::create(b, loc, start, total, stride);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    SmallVector<Value> multi(trips.size());
    Value rest = loop.getInductionVar();
    for (int i = trips.size() - 1; i >= 0; --i) {
      multi[i] = i == 0 ? rest : arith::RemUIOp::create(b, loc, rest, trips[i]);
      if (i > 0)
        rest = arith::DivUIOp::create(b, loc, rest, trips[i]);
    }
    body(b, multi);
  }

  /// Replaces tile loop `forall` by a strided loop over its iterations.
  void replaceTileLoop(scf::ForallOp forall, Value start, Value stride) {
    OpBuilder b(forall);
    Location loc = forall.getLoc();
    SmallVector<Value> lbs, steps, trips;
    for (auto [l, u, s] : llvm::zip(forall.getMixedLowerBound(),
                                    forall.getMixedUpperBound(),
                                    forall.getMixedStep())) {
      Value lb = getValueOrCreateConstantIndexOp(b, loc, l);
      Value ub = getValueOrCreateConstantIndexOp(b, loc, u);
      Value st = getValueOrCreateConstantIndexOp(b, loc, s);
      lbs.push_back(lb);
      steps.push_back(st);
      trips.push_back(arith::CeilDivUIOp::create(
          b, loc, arith::SubIOp::create(b, loc, ub, lb), st));
    }
    Block *body = forall.getBody();
    body->getTerminator()->erase();
    strided(b, loc, trips, start, stride, [&](OpBuilder &b, ValueRange multi) {
      SmallVector<Value> ivs;
      for (auto [m, lb, st] : llvm::zip(multi, lbs, steps))
        ivs.push_back(arith::AddIOp::create(
            b, loc, lb, arith::MulIOp::create(b, loc, m, st)));
      IRRewriter rewriter(b);
      rewriter.inlineBlockBefore(body, b.getInsertionBlock(),
                                 b.getInsertionPoint(), ivs);
    });
    forall.erase();
  }

  /// The thread-level tile loop directly inside block-level `forall`, if any.
  static scf::ForallOp threadLoop(scf::ForallOp forall) {
    auto inner = forall.getBody()->getOps<scf::ForallOp>();
    return llvm::hasSingleElement(inner) ? *inner.begin() : scf::ForallOp();
  }

  void lowerTileLoop(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto forall = dyn_cast<scf::ForallOp>(op);
    if (!forall) { // scf.parallel: as a forall would be
      OpBuilder pb(op);
      auto parallel = cast<scf::ParallelOp>(op);
      auto as = scf::ForallOp::create(
          pb, loc, getAsOpFoldResult(parallel.getLowerBound()),
          getAsOpFoldResult(parallel.getUpperBound()),
          getAsOpFoldResult(parallel.getStep()), ValueRange{}, std::nullopt);
      Block *dest = as.getBody();
      parallel.getBody()->getTerminator()->erase();
      IRRewriter rewriter(pb);
      rewriter.inlineBlockBefore(parallel.getBody(), dest->getTerminator(),
                                 as.getInductionVars());
      parallel.erase();
      forall = as;
    }
    if (scf::ForallOp inner = threadLoop(forall)) {
      replaceTileLoop(forall, bx, grid);
      replaceTileLoop(inner, tx, threads);
      return;
    }
    // One level of tiles: every thread of every block takes some.
    Value first = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, bx, threads), tx);
    replaceTileLoop(forall, first, arith::MulIOp::create(b, loc, grid, threads));
  }

  /// A copy spreads its elements over every thread.
  void lowerCopy(memref::CopyOp copy) {
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    auto type = cast<MemRefType>(copy.getSource().getType());
    SmallVector<Value> trips = llvm::map_to_vector(
        type.getShape(), [&](int64_t d) { return index(b, loc, d); });
    Value first = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, bx, threads), tx);
    strided(b, loc, trips, first, arith::MulIOp::create(b, loc, grid, threads),
            [&](OpBuilder &b, ValueRange multi) {
              Value v = memref::LoadOp::create(b, loc, copy.getSource(), multi);
              memref::StoreOp::create(b, loc, v, copy.getTarget(), multi);
            });
    copy.erase();
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
    gridBarrier(after, loc);
  }

  void barrier(Operation *before) override {
    OpBuilder b(before);
    gridBarrier(b, before->getLoc());
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
  if (threadCount <= 0) {
    // As many threads as the widest thread-level tile loop has iterations.
    threadCount = 0;
    construct->walk([&](scf::ForallOp forall) {
      scf::ForallOp inner = GPULowering::threadLoop(forall);
      if (!inner)
        return;
      int64_t trips = 1;
      for (auto [l, u, s] : llvm::zip(inner.getMixedLowerBound(),
                                      inner.getMixedUpperBound(),
                                      inner.getMixedStep()))
        trips *= rammer::getConstantTrips(l, u, s).value_or(256);
      threadCount = std::max(threadCount, trips);
    });
    threadCount = threadCount > 0 ? std::min<int64_t>(threadCount, 1024) : 256;
  }
  Location loc = construct->getLoc();
  OpBuilder b(construct);
  GPULowering g;
  g.singleBlock = gridSize == 1;
  // The barrier's counter: zero at every launch.
  auto i32 = b.getI32Type();
  g.counter = memref::AllocOp::create(b, loc, MemRefType::get({1}, i32));
  linalg::FillOp::create(b, loc, ValueRange{arith::ConstantIntOp::create(b, loc, 0, 32)},
                         ValueRange{g.counter});
  Value one = g.index(b, loc, 1);
  auto launch = gpu::LaunchOp::create(
      b, loc, g.index(b, loc, gridSize), one, one,
      g.index(b, loc, threadCount), one, one);
  // Freed after the launch: the deallocation pipeline ran before this pass
  // and does not know the counter (one leaked buffer per call otherwise).
  {
    OpBuilder after(launch->getContext());
    after.setInsertionPointAfter(launch);
    memref::DeallocOp::create(after, loc, g.counter);
  }
  Block &body = launch.getBody().front();
  b.setInsertionPointToStart(&body);
  auto terminator = gpu::TerminatorOp::create(b, loc);
  b.setInsertionPoint(terminator);
  g.bx = launch.getBlockIds().x;
  g.tx = launch.getThreadIds().x;
  g.grid = launch.getGridSize().x;
  g.threads = launch.getBlockSize().x;
  Value c0 = g.index(b, loc, 0);
  g.epoch = memref::AllocaOp::create(b, loc, MemRefType::get({1}, i32));
  memref::StoreOp::create(b, loc, arith::ConstantIntOp::create(b, loc, 0, 32),
                          g.epoch, c0);
  g.threadZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, g.tx, c0);
  g.leader = arith::AndIOp::create(
      b, loc, g.threadZero,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, g.bx, c0));
  construct->moveBefore(terminator);
  for (Region &region : construct->getRegions())
    for (Block &inner : region)
      g.lowerBlock(inner, /*synced=*/false);
  // Copies and kernels without tile loops left to the leader become loops
  // here: device code has no memcpy runtime call, and the GPU pipeline's own
  // linalg lowering would try to launch them.
  SmallVector<memref::CopyOp> copies;
  launch.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
  for (memref::CopyOp copy : copies) {
    auto type = cast<MemRefType>(copy.getSource().getType());
    if (!type.hasStaticShape())
      return copy.emitOpError("of a dynamic shape cannot run inside a GPU kernel");
    OpBuilder cb(copy);
    SmallVector<Value> ivs;
    for (int64_t d : type.getShape()) {
      auto loop = scf::ForOp::create(cb, copy.getLoc(), g.index(cb, loc, 0),
                                     g.index(cb, loc, d), g.index(cb, loc, 1));
      ivs.push_back(loop.getInductionVar());
      cb.setInsertionPoint(loop.getBody()->getTerminator());
    }
    Value v = memref::LoadOp::create(cb, loc, copy.getSource(), ivs);
    memref::StoreOp::create(cb, loc, v, copy.getTarget(), ivs);
    copy.erase();
  }
  IRRewriter rewriter(construct->getContext());
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
