//===- LoopCount.h - loops of an operator, for attributes that tile it ---===//

#ifndef FOURFOLD_COMMON_LOOPCOUNT_H
#define FOURFOLD_COMMON_LOOPCOUNT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/TilingInterface.h"

#include <optional>

namespace mlir::fourfold {

/// Number of loops of `op`'s iteration space (a linalg op, or anything with
/// TilingInterface), if it has one: what roller.tile and welder.tile must
/// have one entry per.
inline std::optional<int64_t> getLoopCount(Operation *op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalgOp.getNumLoops();
  if (auto tileable = dyn_cast<TilingInterface>(op))
    return tileable.getLoopIteratorTypes().size();
  return std::nullopt;
}

} // namespace mlir::fourfold

#endif // FOURFOLD_COMMON_LOOPCOUNT_H
