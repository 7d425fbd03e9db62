//===- ConvsAsMatmuls.h - convolutions as matmuls over their patches -----===//

#ifndef FOURFOLD_ROLLER_CONVSASMATMULS_H
#define FOURFOLD_ROLLER_CONVSASMATMULS_H

#include "Roller/Roller.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::fourfold::roller {

/// Bytes of the patch matrix P of one image of `conv`, or nullopt when it
/// is not a convolution the matmul forms take: static shapes, one float
/// type throughout, tensors.
std::optional<int64_t> convPatchBytes(linalg::Conv2DNchwFchwOp conv);

/// Whether image `value` [N, C, H, W] (a welder tile: slices of slices,
/// possibly filled) holds H and W as one run in memory, so that collapsing
/// them is a view.
bool imageRowsContiguous(Value value);

/// Rewrites the NCHW convolutions under `root` that run faster as a
/// matmul over their patches on their target (`targetOf`; CPU targets
/// only): `pointwise` takes 1x1 stride-1 ones of one image (no copy), `patches` the
/// others (a copy into the patch matrix first). Convolutions whose output
/// (or, without a copy, input) does not hold each image's rows as one run
/// (a welder tile that splits rows) are left alone. See
/// --roller-convs-as-matmuls for the model.
void convsAsMatmuls(Operation *root, llvm::function_ref<TargetAttr(Operation *)> targetOf,
                    bool pointwise, bool patches);

} // namespace mlir::fourfold::roller

#endif // FOURFOLD_ROLLER_CONVSASMATMULS_H
