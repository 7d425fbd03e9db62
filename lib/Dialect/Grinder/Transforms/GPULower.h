//===- GPULower.h - device placement as one persistent GPU kernel -*- C++ -*-===//

#ifndef FOURFOLD_GRINDER_TRANSFORMS_GPULOWER_H
#define FOURFOLD_GRINDER_TRANSFORMS_GPULOWER_H

#include "mlir/IR/Operation.h"

namespace mlir::fourfold::grinder {
/// Turns `construct` into one gpu.launch of `grid` blocks of `threads`
/// threads (0: the largest thread-level tile loop, else 256); a grid of one
/// block is grinder's block placement.
LogicalResult lowerOnGPU(Operation *construct, int64_t grid, int64_t threads);
} // namespace mlir::fourfold::grinder

#endif // FOURFOLD_GRINDER_TRANSFORMS_GPULOWER_H
