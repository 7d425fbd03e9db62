//===- Constructs.cpp - what grinder places and what placement needs -----===//

#include "Grinder/Constructs.h"

#include "Roller/GPUKernel.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::grinder;

bool grinder::isConstruct(Operation *op) {
  return isa<scf::ForOp, scf::WhileOp, scf::IfOp, scf::IndexSwitchOp>(op);
}

bool grinder::isTileLoop(Operation *op) {
  if (auto forall = dyn_cast<scf::ForallOp>(op))
    return forall.getNumResults() == 0;
  if (auto parallel = dyn_cast<scf::ParallelOp>(op))
    return parallel.getNumResults() == 0 && parallel.getInitVals().empty();
  return false;
}

template <typename Effect>
static bool hasEffectRecursively(Operation *op) {
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
      getEffectsRecursively(op);
  if (!effects)
    return true; // unknown effects: assume the worst
  return llvm::any_of(*effects, [](const MemoryEffects::EffectInstance &e) {
    return isa<Effect>(e.getEffect());
  });
}

bool grinder::writesMemory(Operation *op) {
  return hasEffectRecursively<MemoryEffects::Write>(op) ||
         hasEffectRecursively<MemoryEffects::Allocate>(op) ||
         hasEffectRecursively<MemoryEffects::Free>(op);
}

bool grinder::readsMemory(Operation *op) {
  return hasEffectRecursively<MemoryEffects::Read>(op);
}

bool grinder::holdsTileLoop(Operation *op) {
  bool found = false;
  op->walk<WalkOrder::PreOrder>([&](Operation *inner) {
    if (inner != op && isTileLoop(inner)) {
      found = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

FailureOr<DeviceRole> grinder::getDeviceRole(Operation *op, bool top,
                                             std::string &why,
                                             Operation *&culprit) {
  auto fail = [&](const Twine &reason) -> FailureOr<DeviceRole> {
    why = reason.str();
    culprit = op;
    return failure();
  };
  if (isa<omp::OpenMPDialect>(op->getDialect()) ||
      op->getName().getDialectNamespace() == "rammer")
    return fail("it already runs in a parallel region of its own");
  if (isTileLoop(op))
    return DeviceRole::TileLoop;
  if (isa<memref::AllocOp, memref::AllocaOp>(op)) {
    if (top && op->getNumOperands() == 0)
      return DeviceRole::Hoist;
    return fail("it allocates memory inside the construct (a buffer every "
                "thread must share); only static allocations at the top "
                "level can move out");
  }
  if (!writesMemory(op))
    return DeviceRole::Redundant;
  if (isConstruct(op) && (holdsTileLoop(op) || op->getNumResults() != 0)) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (Operation &inner : block) {
          if (inner.hasTrait<OpTrait::IsTerminator>())
            continue;
          if (failed(getDeviceRole(&inner, /*top=*/false, why, culprit)))
            return failure();
        }
    return DeviceRole::Control;
  }
  if (!op->use_empty())
    return fail("it writes memory and produces values used after it (one "
                "thread would write, every thread needs the values)");
  return DeviceRole::Once;
}

SmallVector<Operation *> grinder::getDeviceRegionOps(Operation *construct) {
  Operation *end = construct->getNumResults() == 0
                       ? construct->getNextNode()
                       : construct->getBlock()->getTerminator();
  SmallVector<Operation *> ops;
  for (Operation *op = construct; op != end; op = op->getNextNode())
    ops.push_back(op);
  return ops;
}

void grinder::noteCulprit(InFlightDiagnostic &diag, Operation *construct,
                          Operation *culprit) {
  if (culprit && culprit != construct)
    diag.attachNote(culprit->getLoc()) << "this op";
}

LogicalResult grinder::checkDeviceRegion(Operation *construct,
                                         std::string &why,
                                         Operation *&culprit, bool gpu) {
  if (gpu) {
    if (!construct->use_empty()) {
      why = "its results are used after it (a persistent kernel returns "
            "nothing)";
      culprit = construct;
      return failure();
    }
    // Buffers of a tile loop's iterations (a block's staged tiles, a
    // thread's temporaries) become shared or private memory; others would
    // be freed by device code, which cannot.
    WalkResult freed = construct->walk([&](memref::DeallocOp op) {
      if (op->getParentOfType<scf::ForallOp>() &&
          construct->isProperAncestor(op->getParentOfType<scf::ForallOp>()))
        return WalkResult::advance();
      culprit = op;
      return WalkResult::interrupt();
    });
    if (freed.wasInterrupted()) {
      why = "it frees memory inside the construct (device code cannot)";
      return failure();
    }
    WalkResult tooBig = construct->walk([&](scf::ForallOp forall) {
      if (gpukernel::getBlockSharedBytes(forall) <= gpukernel::kStaticSharedBytes)
        return WalkResult::advance();
      culprit = forall;
      return WalkResult::interrupt();
    });
    if (tooBig.wasInterrupted()) {
      why = "a block of its tile loop needs more shared memory than a block "
            "can have";
      return failure();
    }
    return getDeviceRole(construct, /*top=*/false, why, culprit);
  }
  Block *block = construct->getBlock();
  SmallVector<Operation *> ops = getDeviceRegionOps(construct);
  for (Operation *op : ops)
    if (failed(getDeviceRole(op, /*top=*/true, why, culprit)))
      return failure();
  if (Operation *end = block->getTerminator(); ops.back()->getNextNode() == end)
    for (Value operand : end->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && def->getBlock() == block && !def->isBeforeInBlock(construct)) {
        why = "the block's terminator uses a value made inside the parallel "
              "region the construct would open";
        culprit = end;
        return failure();
      }
  return success();
}

void DeviceLowerer::lowerBlock(Block &block, bool synced) {
  SmallVector<Operation *> run; // consecutive writes made once
  auto flush = [&]() {
    if (run.empty())
      return;
    if (!synced)
      barrier(run.front());
    once(run);
    run.clear();
    synced = true;
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (op.hasTrait<OpTrait::IsTerminator>())
      break;
    std::string why;
    Operation *culprit;
    // The region was checked as a whole: every op has a role.
    DeviceRole role = *getDeviceRole(&op, /*top=*/false, why, culprit);
    if (role == DeviceRole::Once) {
      run.push_back(&op);
      continue;
    }
    flush();
    switch (role) {
    case DeviceRole::Redundant:
      if (readsMemory(&op))
        synced = false;
      break;
    case DeviceRole::TileLoop:
      if (!synced)
        barrier(&op);
      tileLoop(&op);
      synced = true;
      break;
    case DeviceRole::Control:
      for (Region &region : op.getRegions())
        for (Block &inner : region)
          lowerBlock(inner, /*synced=*/false);
      synced = false;
      break;
    case DeviceRole::Once:
    case DeviceRole::Hoist:
      break;
    }
  }
  flush();
}
