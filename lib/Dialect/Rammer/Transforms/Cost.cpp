//===- Cost.cpp - the roofline cost model of rTasks and uTasks -----------===//

#include "Rammer/Cost.h"
#include "Rammer/Dependences.h"
#include "Roller/GPUKernel.h"

#include "Roller/Targets.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::rammer;

//===----------------------------------------------------------------------===//
// Work of a loop nest: a roofline over one compute unit
//===----------------------------------------------------------------------===//


static double elements(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type); shaped && shaped.hasStaticShape())
    return shaped.getNumElements();
  return 1;
}
static double bytesOf(Type type) {
  Type element = getElementTypeOrSelf(type);
  unsigned bits = element.isIntOrFloat() ? element.getIntOrFloatBitWidth() : 64; // index: 64
  return elements(type) * std::max(1u, bits / 8);
}


std::optional<int64_t> mlir::fourfold::rammer::getConstantTrips(
    OpFoldResult lb, OpFoldResult ub, OpFoldResult step) {
  auto l = getConstantIntValue(lb), u = getConstantIntValue(ub),
       s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return std::nullopt;
  return std::max<int64_t>(0, llvm::divideCeil(*u - *l, *s));
}

static double constantTrips(OpFoldResult lb, OpFoldResult ub, OpFoldResult step) {
  return getConstantTrips(lb, ub, step).value_or(1); // unknown: count one iteration
}

Work mlir::fourfold::rammer::estimateWork(Operation *op) {
  Work w;
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    double trips = constantTrips(loop.getLowerBound(), loop.getUpperBound(),
                                 loop.getStep());
    return estimateWork(*loop.getBody()).scaled(trips);
  }
  if (auto loop = dyn_cast<scf::ForallOp>(op)) {
    double trips = 1;
    for (auto [l, u, s] : llvm::zip(loop.getMixedLowerBound(),
                                    loop.getMixedUpperBound(), loop.getMixedStep()))
      trips *= constantTrips(l, u, s);
    return estimateWork(*loop.getBody()).scaled(trips);
  }
  if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
    double trips = 1;
    for (auto [l, u, s] : llvm::zip(loop.getLowerBound(), loop.getUpperBound(),
                                    loop.getStep()))
      trips *= constantTrips(l, u, s);
    return estimateWork(*loop.getBody()).scaled(trips);
  }
  if (auto contract = dyn_cast<vector::ContractionOp>(op)) {
    SmallVector<int64_t> bounds;
    contract.getIterationBounds(bounds);
    double n = 1;
    for (int64_t b : bounds)
      n *= b;
    return {2 * n, 0};
  }
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    double points = 1;
    for (int64_t r : linalgOp.getStaticLoopRanges())
      points *= ShapedType::isDynamic(r) ? 1 : r;
    w.flops = points * std::max<size_t>(1, linalgOp.getBlock()->getOperations().size() - 1);
    for (Value operand : op->getOperands())
      w.bytes += bytesOf(operand.getType());
    return w;
  }
  if (isa<memref::CopyOp>(op))
    return {0, 2 * bytesOf(op->getOperand(0).getType())};
  if (isa<vector::TransferReadOp, vector::LoadOp, memref::LoadOp,
          vector::MaskedLoadOp, vector::GatherOp>(op))
    return {0, bytesOf(op->getResult(0).getType())};
  if (isa<vector::TransferWriteOp, vector::StoreOp, memref::StoreOp,
          vector::MaskedStoreOp>(op))
    return {0, bytesOf(op->getOperand(0).getType())};
  if (op->getNumResults() == 1) {
    Type type = op->getResult(0).getType();
    Dialect *dialect = op->getDialect();
    StringRef ns = dialect ? dialect->getNamespace() : "";
    if (isa<FloatType>(getElementTypeOrSelf(type)) && (ns == "arith" || ns == "math")) {
      double lanes = elements(type);
      w.flops = isa<math::FmaOp, vector::FMAOp>(op) ? 2 * lanes : lanes;
    } else if (isa<vector::FMAOp>(op)) {
      w.flops = 2 * elements(type);
    }
  }
  for (Region &region : op->getRegions())
    for (Block &block : region)
      w += estimateWork(block);
  return w;
}

Work mlir::fourfold::rammer::estimateWork(Block &block) {
  Work w;
  for (Operation &op : block)
    w += estimateWork(&op);
  return w;
}


Rates mlir::fourfold::rammer::getRates(roller::TargetAttr target) {
  roller::TargetAttr unit = roller::getPerUnitTarget(target);
  Rates rates;
  Builder b(target.getContext());
  if (std::optional<double> peak = unit.getPeak(b.getF32Type()))
    rates.gflops = *peak;
  ArrayRef<Attribute> levels = unit.getLevels().getValue();
  // The fastest memory below the registers (L1 / shared memory): rTasks are
  // tiled for it, so their loads and stores run at its speed.
  if (!levels.empty()) {
    auto level = cast<roller::MemoryLevelAttr>(
        levels[levels.size() >= 2 ? levels.size() - 2 : 0]);
    rates.l1GBs = level.getBandwidth().convertToDouble();
  }
  return rates;
}

VDevice mlir::fourfold::rammer::getVDevice(roller::TargetAttr target, int64_t veus) {
  VDevice device;
  device.veus = veus > 0 ? veus : target.getSlots();
  if (target.getKind() == roller::TargetKind::gpu) {
    device.launchUs = 4.0;  // a kernel launch
    device.barrierUs = 1.5; // a grid-wide barrier
    device.taskUs = 0.2;    // a block reading its next rTask
  } else {
    // Measured with libomp on this project's dev machine (2 cores, hot
    // threads) by bench/rammer/calibrate.py: a parallel region's fork and
    // join 1.1 us, a barrier with the vEU claim 0.17-0.19 us.
    device.launchUs = 1.1;
    device.barrierUs = 0.2;
    device.taskUs = 0.02;
  }
  return device;
}


BlockShape mlir::fourfold::rammer::getBlockShape(ProgramOp program,
                                                 roller::TargetAttr target,
                                                 int64_t threads,
                                                 int64_t registers) {
  BlockShape shape;
  SmallVector<Operation *> operators;
  for (OperatorOp rop : program.getBody().front().getOps<OperatorOp>()) {
    operators.push_back(rop);
    if (scf::ForallOp loop = getTaskLoop(rop))
      shape.sharedBytes =
          std::max(shape.sharedBytes, gpukernel::getBlockSharedBytes(loop));
  }
  shape.threads = threads > 0 ? std::min<int64_t>(threads, 1024)
                              : gpukernel::chooseThreads(operators);
  shape.perUnit = gpukernel::getResidentBlocks(target, shape.threads,
                                               shape.sharedBytes, registers);
  return shape;
}
