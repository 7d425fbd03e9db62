//===- Scheduler.h - placing rTasks on vEUs ------------------------------===//
//
// The policies of --rammer-schedule, on a plain description of the dataflow
// graph (no IR), so that they can be reasoned about and tested alone.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_RAMMER_SCHEDULER_H
#define FOURFOLD_RAMMER_SCHEDULER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace mlir::fourfold::rammer {

/// One rOperator as the scheduler sees it: `units` pieces of work (tiles) of
/// `unitUs` each; an rTask runs `chunk` consecutive units.
struct Kernel {
  int64_t units = 1;
  double unitUs = 0;
  /// Whether rTasks may be coarsened (several units per rTask).
  bool coarsen = false;
  /// The chunk the kernel starts from (units per rTask).
  int64_t chunk = 1;
  /// Whether the kernel, run alone, opens a parallel region / launch.
  bool launches = true;
  /// Kernels this one must follow (indices of earlier kernels).
  llvm::SmallVector<unsigned> preds;

  int64_t tasks() const { return (units + chunk - 1) / chunk; }
  /// Duration of rTask `t` (the last one may hold fewer units).
  double taskUs(int64_t t, double overheadUs) const;
};

/// The virtual device and the costs the model charges.
struct VDevice {
  int64_t veus = 1;
  double launchUs = 2.0;  // one parallel region (CPU) or kernel launch (GPU)
  double barrierUs = 1.0; // one step barrier inside a program
  double taskUs = 0.05;   // dispatching one rTask from the tables
};

enum class Policy { Wavefront, CriticalPath };
std::optional<Policy> parsePolicy(llvm::StringRef name);

struct Placement {
  unsigned kernel;
  int64_t task, veu, step;
  double startUs, endUs; // within the program, for the picture
};

struct Schedule {
  llvm::SmallVector<int64_t> chunk;   // per kernel, units per rTask
  llvm::SmallVector<unsigned> segment; // per kernel
  llvm::SmallVector<Placement> placements;
  llvm::SmallVector<int64_t> barriers; // steps
  unsigned segments = 0;
  double makespanUs = 0;   // launch + segments + barriers
  double unscheduledUs = 0; // one launch per kernel, each spread over the vEUs
};

/// Places every rTask of `kernels` (given in a valid sequential order) on
/// `device`.
Schedule schedule(llvm::ArrayRef<Kernel> kernels, const VDevice &device,
                  Policy policy, bool variants);

/// The predicted time of running `kernels` one after another, each on its
/// own parallel region spread over the vEUs.
double unscheduledTime(llvm::ArrayRef<Kernel> kernels, const VDevice &device);

} // namespace mlir::fourfold::rammer

#endif // FOURFOLD_RAMMER_SCHEDULER_H
