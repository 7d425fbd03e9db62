//===- Cost.h - the roofline cost model of rTasks and uTasks --*- C++ -*-===//
//
// What a piece of a kernel costs on one compute unit of a roller target
// (flops / peak vs bytes / L1 bandwidth), and what the target charges for a
// launch and a barrier. Rammer prices rTasks with it; grinder prices the
// bodies of loops and branches under each placement.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_RAMMER_COST_H
#define FOURFOLD_RAMMER_COST_H

#include "Rammer/Rammer.h"
#include "Rammer/Scheduler.h"
#include "Roller/Roller.h"

#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Operation.h"

#include <optional>

namespace mlir::fourfold::rammer {

struct Work {
  double flops = 0, bytes = 0;
  Work &operator+=(const Work &o) {
    flops += o.flops;
    bytes += o.bytes;
    return *this;
  }
  Work scaled(double n) const { return {flops * n, bytes * n}; }
};

/// The iterations of one loop dimension when its bounds and step are
/// constants (and the step positive); each caller picks what an unknown
/// count stands for.
std::optional<int64_t> getConstantTrips(OpFoldResult lb, OpFoldResult ub,
                                        OpFoldResult step);

/// The work of `op` (loop nests with constant trip counts multiplied out;
/// an unknown trip count counts once).
Work estimateWork(Operation *op);
Work estimateWork(Block &block);

/// Per-unit rates of a target: what one rTask / uTask runs on.
struct Rates {
  double gflops = 1, l1GBs = 1;
  double us(const Work &w) const {
    // GFLOP/s and GB/s are 1e3 per microsecond.
    return std::max(w.flops / (gflops * 1e3), w.bytes / (l1GBs * 1e3));
  }
};
Rates getRates(roller::TargetAttr target);

/// The vdevice of `target` (`veus` = 0: its slots) with its launch, barrier
/// and dispatch costs.
VDevice getVDevice(roller::TargetAttr target, int64_t veus = 0);

/// The blocks of a program run as one GPU kernel: `threads` per block (the
/// widest thread-level tile loop of its operators, unless given) and
/// `perUnit` such blocks resident on each compute unit of `target` at once,
/// each thread keeping at least `registers` registers. The program's vEUs
/// (and the kernel's grid) are units x perUnit: a grid barrier needs every
/// block resident.
struct BlockShape {
  int64_t threads = 256, perUnit = 1;
  /// Shared memory of a block: its operators' rTasks run one at a time, so
  /// the most any one needs.
  int64_t sharedBytes = 0;
};
inline constexpr int64_t kRegistersPerThread = 64;
BlockShape getBlockShape(ProgramOp program, roller::TargetAttr target,
                         int64_t threads = 0,
                         int64_t registers = kRegistersPerThread);

} // namespace mlir::fourfold::rammer

#endif // FOURFOLD_RAMMER_COST_H
