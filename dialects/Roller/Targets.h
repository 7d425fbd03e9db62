//===- Targets.h - device descriptions for roller's tile policy ----------===//
//
// One place for every target roller knows: named GPUs (sm_80 = A100, sm_90 =
// H100), the machine we run on ("host", read from /proc and /sys), and any
// target a user writes as a #roller.target attribute.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_ROLLER_TARGETS_H
#define FOURFOLD_ROLLER_TARGETS_H

#include "Roller/Roller.h"

#include <string>
#include <vector>

namespace mlir::fourfold::roller {

/// The named targets: "sm_80", "sm_90", "host".
std::vector<std::string> getTargetNames();

/// Resolve a target spec: a name from getTargetNames(), or the text of a
/// #roller.target attribute, or "@path" to a file holding such text.
/// "host:N" is the host with N of its cores. On
/// failure returns failure and sets `error` to a message naming the spec.
FailureOr<TargetAttr> getTarget(MLIRContext *context, llvm::StringRef spec,
                                std::string &error);

/// The target attached to `op` or its closest ancestor as `roller.target`.
TargetAttr getAttachedTarget(Operation *op);

/// One compute unit of `target` (units = 1, its share of the bandwidths and
/// peaks): what an operator already inside a parallel tile loop runs on.
TargetAttr getPerUnitTarget(TargetAttr target);

/// `target` with `units` compute units, each with its share of the
/// bandwidths and peaks (a machine's cores as a program uses them).
TargetAttr getTargetWithUnits(TargetAttr target, int64_t units);

/// The threads compiled CPU code will run on (OMP_NUM_THREADS), 0 if unset.
int64_t getOpenMPThreads();

} // namespace mlir::fourfold::roller

#endif // FOURFOLD_ROLLER_TARGETS_H
