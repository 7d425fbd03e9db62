//===- StageShared.h - a GPU block's operands staged in shared memory -----===//

#ifndef FOURFOLD_ROLLER_STAGESHARED_H
#define FOURFOLD_ROLLER_STAGESHARED_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::fourfold::roller {

/// For a contraction tiled to one GPU block (`current`, on tensors, static
/// shapes): makes the block's reduction-step loop (steps `block`'s
/// reduction entries) and, in each step, copies every input slice the
/// step reads into a tile of its own (`tensor.empty` + `linalg.copy`, which
/// bufferize to a block-level buffer: shared memory once roller-map-gpu
/// maps the block). `current` becomes the step's contraction on those
/// tiles; `copies` gets the copies, for the caller to spread over the
/// block's threads. Returns false and changes nothing where staging does
/// not apply (no reuse, partial tiles, a tile over `sharedBytes`).
bool stageShared(RewriterBase &rewriter, Operation *&current,
                 llvm::ArrayRef<int64_t> block, int64_t sharedBytes,
                 llvm::SmallVectorImpl<Operation *> &copies);

/// A per-thread tile of `copy` (static shape) in whole vectors of
/// `vectorElems` along its contiguous dimension where they divide it, with
/// at most `threads` tiles.
llvm::SmallVector<int64_t> copyThreadTile(Operation *copy, int64_t threads,
                                          int64_t vectorElems);

} // namespace mlir::fourfold::roller

#endif // FOURFOLD_ROLLER_STAGESHARED_H
