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

#include "Roller/GPUKernel.h"
#include "Roller/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::fourfold::roller {
#define GEN_PASS_DEF_ROLLERMAPGPU
#include "Roller/Passes.h.inc"
} // namespace mlir::fourfold::roller

using namespace mlir;
using namespace mlir::fourfold;

namespace {

struct RollerMapGPUPass
    : public mlir::fourfold::roller::impl::RollerMapGPUBase<RollerMapGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ForallOp> kernels;
    getOperation()->walk([&](scf::ForallOp loop) {
      if (!loop->getParentOfType<scf::ForallOp>() &&
          !loop->getParentOfType<gpu::LaunchOp>() &&
          !gpukernel::getThreadLoops(loop).empty())
        kernels.push_back(loop);
    });
    for (scf::ForallOp loop : kernels)
      if (failed(mapKernel(loop)))
        return signalPassFailure();
  }

  /// One block per iteration of `outer`, each running it as
  /// gpukernel::Kernel::emitBlockIteration does (the pieces grinder's and
  /// rammer's kernels are made of).
  LogicalResult mapKernel(scf::ForallOp outer) {
    Location loc = outer.getLoc();
    if (outer->getNumResults() != 0)
      return outer.emitOpError("on tensors cannot be mapped to blocks (bufferize first)");
    SmallVector<int64_t> trips;
    for (auto [l, u, s] : llvm::zip(outer.getMixedLowerBound(),
                                    outer.getMixedUpperBound(), outer.getMixedStep())) {
      std::optional<int64_t> lb = getConstantIntValue(l), ub = getConstantIntValue(u),
                             st = getConstantIntValue(s);
      if (!lb || !ub || !st || *st <= 0)
        return outer.emitOpError("with dynamic trips cannot be mapped to blocks");
      trips.push_back(std::max<int64_t>(0, llvm::divideCeil(*ub - *lb, *st)));
    }
    int64_t blocks = 1;
    for (int64_t t : trips)
      blocks *= t;
    if (blocks > std::numeric_limits<int32_t>::max())
      return outer.emitOpError() << "needs " << blocks << " blocks, more than a grid holds";
    int64_t shared = gpukernel::getBlockSharedBytes(outer);
    if (shared > gpukernel::kStaticSharedBytes)
      return outer.emitOpError()
             << "needs " << shared << " B of shared memory per block, more than "
             << gpukernel::kStaticSharedBytes << " B of static shared memory";
    int64_t threads = gpukernel::chooseThreads({outer.getOperation()});

    OpBuilder b(outer);
    using gpukernel::Kernel;
    Value one = Kernel::index(b, loc, 1);
    auto launch = gpu::LaunchOp::create(b, loc, Kernel::index(b, loc, blocks), one, one,
                                        Kernel::index(b, loc, threads), one, one);
    Block &body = launch.getBody().front();
    b.setInsertionPointToStart(&body);
    gpu::TerminatorOp::create(b, loc);
    b.setInsertionPointToStart(&body);
    Kernel kernel = Kernel::begin(b, launch, /*gridBarriers=*/false, shared);
    // The block's iteration from its id (row-major over the trips).
    SmallVector<Value> multi(trips.size());
    Value rest = kernel.bx;
    for (int i = trips.size() - 1; i >= 0; --i) {
      Value t = Kernel::index(b, loc, trips[i]);
      multi[i] = i == 0 ? rest : arith::RemUIOp::create(b, loc, rest, t);
      if (i > 0)
        rest = arith::DivUIOp::create(b, loc, rest, t);
    }
    SmallVector<Value> ivs;
    for (auto [m, l, s] : llvm::zip(multi, outer.getMixedLowerBound(), outer.getMixedStep()))
      ivs.push_back(arith::AddIOp::create(
          b, loc, getValueOrCreateConstantIndexOp(b, loc, l),
          arith::MulIOp::create(b, loc, m, getValueOrCreateConstantIndexOp(b, loc, s))));
    IRMapping map;
    if (failed(kernel.emitBlockIteration(b, outer, ivs, map)))
      return failure();
    outer.erase();
    // A block runs one iteration: its last barrier waits for nothing.
    Operation *terminator = body.getTerminator();
    for (Operation *op = terminator->getPrevNode(); op; op = op->getPrevNode()) {
      if (isa<gpu::BarrierOp>(op)) {
        op->erase();
        break;
      }
      if (!isMemoryEffectFree(op))
        break;
    }
    return gpukernel::lowerLeftoversToLoops(launch);
  }
};

} // namespace
