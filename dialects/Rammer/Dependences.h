//===- Dependences.h - what an rOperator must wait for -------------------===//
//
// An rProgram holds operators on tensors (dependences are SSA edges) or on
// buffers (dependences are memory: an operator that reads or writes a buffer
// another one writes, or writes one another reads, must follow it). The
// verifier and the scheduler both ask the same question, so it lives here.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_RAMMER_DEPENDENCES_H
#define FOURFOLD_RAMMER_DEPENDENCES_H

#include "Rammer/Rammer.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::fourfold::rammer {

/// How `later` depends on `earlier` (program order: earlier first).
enum class Dependence { None, Value, ReadAfterWrite, WriteAfterRead, WriteAfterWrite };

/// The buffers `op` (any op whose memory effects are known, including the
/// ops nested in it) reads and writes, as the values of `scope`'s block
/// arguments (or buffers allocated in `scope`) they are views of. `unknown`
/// when an effect cannot be traced: the op then conflicts with everything.
struct MemoryAccess {
  llvm::SmallDenseSet<Value, 4> reads, writes;
  bool unknown = false;
  void add(const MemoryAccess &other);
};
MemoryAccess getMemoryAccess(Operation *op, Block *scope);

/// The values in `scope` that `value` may be (a view of): block arguments of
/// `scope` or results of ops in it with no buffer operands (allocations).
llvm::SmallDenseSet<Value, 2> getMemoryRoots(Value value, Block *scope);

/// The memory access of an rOperator in terms of its program's block
/// arguments and body buffers.
MemoryAccess getOperatorAccess(OperatorOp op);

/// How `later` must wait for `earlier`; `later` follows `earlier` in the
/// program body. Value edges are found through the plain ops (casts, views)
/// between operators.
Dependence getDependence(OperatorOp earlier, const MemoryAccess &earlierAccess,
                         OperatorOp later, const MemoryAccess &laterAccess);

/// A phrase for the verifier: "reads", "overwrites memory read by", ...
llvm::StringRef describe(Dependence dependence);

/// The loop an rOperator's rTasks split: the single top-level scf.forall of
/// its body, with constant bounds and no results. Null when there is none.
scf::ForallOp getTaskLoop(OperatorOp op);
/// Iterations of a task loop (the product over its dimensions).
int64_t getTripCount(scf::ForallOp loop);

} // namespace mlir::fourfold::rammer

#endif // FOURFOLD_RAMMER_DEPENDENCES_H
