//===- PackPanels.h - roller-lower's packed operand panels (CPU) ---------===//

#ifndef FOURFOLD_ROLLER_TRANSFORMS_PACKPANELS_H
#define FOURFOLD_ROLLER_TRANSFORMS_PACKPANELS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::fourfold::roller {

/// An input of a cache tile copied into contiguous panels: `packed` holds
/// `source` (a [1..., k, n] tensor) as [n / width, 1..., k, width], every
/// panel a contiguous k x width block (only whole panels are copied).
struct PackedPanels {
  Value source;
  Value packed;
  unsigned operand = 0; // the operand number in the tiled ops
  int64_t width = 0;
};

/// Copies operand `operand` of the cache tile `op` into panels of `width`
/// columns, in front of `op` (see PackPanels.cpp). Fails, changing nothing,
/// when the operand is not a [1..., k, n] tensor with static bounds and at
/// least one whole panel.
FailureOr<PackedPanels> packPanels(RewriterBase &rewriter, linalg::LinalgOp op,
                                   unsigned operand, int64_t width);

/// Register tiles nested in `root` (ops carrying `marker`) whose operand
/// reads a whole-panel slice of the packed source ([1..., kr, width] at a
/// column offset that is a multiple of width) read it from the panels
/// instead. Partial tiles keep reading the source. Returns how many tiles
/// were rewritten.
unsigned readPackedPanels(RewriterBase &rewriter, Operation *root,
                          StringRef marker, const PackedPanels &panels);

} // namespace mlir::fourfold::roller

#endif // FOURFOLD_ROLLER_TRANSFORMS_PACKPANELS_H
