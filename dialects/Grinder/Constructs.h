//===- Constructs.h - what grinder places and what placement needs -*- C++ -*-===//
//
// One description of the IR grinder works on (after bufferization), shared by
// --grinder-schedule (which placements are legal) and --grinder-lower (how
// each op runs inside a device-placed construct).
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_GRINDER_CONSTRUCTS_H
#define FOURFOLD_GRINDER_CONSTRUCTS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace mlir::fourfold::grinder {

/// scf.for, scf.while, scf.if, scf.index_switch: what a placement goes on.
bool isConstruct(Operation *op);

/// A kernel's tile loop: an scf.forall without results or an scf.parallel
/// without reductions. Its iterations are the kernel's uTasks.
bool isTileLoop(Operation *op);

/// Whether `op` (or anything nested in it) writes, allocates or frees
/// memory, or has effects that cannot be told.
bool writesMemory(Operation *op);
/// Whether `op` (or anything nested in it) reads memory.
bool readsMemory(Operation *op);

/// Whether `op` holds a tile loop (not inside another tile loop).
bool holdsTileLoop(Operation *op);

/// How an op runs when every thread of a parallel region executes the code
/// around it (the body of a device-placed construct).
enum class DeviceRole {
  Redundant, // pure or read-only: every thread runs it
  TileLoop,  // split over the threads (a worksharing loop)
  Control,   // a construct with tile loops or results inside: every thread
             // runs the control, its regions are lowered in turn
  Once,      // writes memory, no results: one thread runs it
  Hoist,     // an allocation of the region's top level: made before the region
};

/// The role of `op` inside a device region, or a reason it cannot run there
/// (and the op the reason is about) in `why`/`culprit`. `top` is whether
/// `op` sits directly in the region's top-level block.
FailureOr<DeviceRole> getDeviceRole(Operation *op, bool top, std::string &why,
                                    Operation *&culprit);

/// What one parallel region around `construct` holds on the CPU: the
/// construct alone, or, when its results are used after it, everything up
/// to its block's terminator (a region returns no values).
llvm::SmallVector<Operation *> getDeviceRegionOps(Operation *construct);

/// Points `diag` at the op a failed check named, unless that is the
/// construct itself.
void noteCulprit(InFlightDiagnostic &diag, Operation *construct,
                 Operation *culprit);

/// Checks that `construct` and the ops after it in its block (up to the
/// terminator) can run as one parallel region; on failure sets `why` and
/// `culprit`. With `gpu`, the region is the construct alone, as one
/// persistent kernel: it may not free memory nor produce values used after
/// it.
LogicalResult checkDeviceRegion(Operation *construct, std::string &why,
                                Operation *&culprit, bool gpu = false);

/// Turns the ops of a checked device region into parallel code. The walk
/// (shared by the CPU and GPU lowerings) decides what each op becomes and
/// where barriers go; a subclass says how.
class DeviceLowerer {
public:
  virtual ~DeviceLowerer() = default;

  /// Lowers `block`. `synced`: no thread has read memory since the last
  /// barrier all threads passed. A write that may race with such reads gets
  /// a barrier in front of it; tile loops and runs of writes made once end
  /// with every thread synchronised; constructs holding kernels are entered
  /// (their blocks start unsynced: a loop body follows the previous
  /// iteration's reads).
  void lowerBlock(Block &block, bool synced);

protected:
  /// A barrier of every thread in front of `op`.
  virtual void barrier(Operation *before) = 0;
  /// Shares tile loop `op` over the threads; every thread is synchronised
  /// after it.
  virtual void tileLoop(Operation *op) = 0;
  /// Runs consecutive writes `ops` once; every thread is synchronised after.
  virtual void once(ArrayRef<Operation *> ops) = 0;
};

} // namespace mlir::fourfold::grinder

#endif // FOURFOLD_GRINDER_CONSTRUCTS_H
