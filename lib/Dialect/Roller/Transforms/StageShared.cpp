//===- StageShared.cpp - a GPU block's operands staged in shared memory ---===//
//
// Without staging, each thread of a block reads its rows of A and columns of
// B from global memory for every k: a block of 32x32 outputs with 1x1
// thread tiles reads 2K floats per output through L1/L2. Staged, the block
// copies its A (bm x bk) and B (bk x bn) slices of each reduction step into
// shared memory once, all threads together, and every thread reads them
// there: (1/bm + 1/bn) K floats per output from global memory. The
// accumulators stay in the block's output tile between steps.
//
//===----------------------------------------------------------------------===//

#include "StageShared.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

bool mlir::fourfold::roller::stageShared(RewriterBase &rewriter,
                                         Operation *&current,
                                         ArrayRef<int64_t> block,
                                         int64_t sharedBytes,
                                         SmallVectorImpl<Operation *> &copies) {
  auto op = dyn_cast<linalg::LinalgOp>(current);
  if (!op || !op.hasPureTensorSemantics() || !linalg::isaContractionOpInterface(op))
    return false;
  auto tileable = cast<TilingInterface>(current);
  SmallVector<Range> domain = tileable.getIterationDomain(rewriter);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (block.size() != domain.size())
    return false;
  // Whole tiles only: the staged tiles are static buffers.
  SmallVector<int64_t> step(domain.size());
  for (auto [d, range] : llvm::enumerate(domain)) {
    std::optional<int64_t> extent = getConstantIntValue(range.size);
    if (!extent)
      return false;
    if (iterators[d] == utils::IteratorType::parallel) {
      step[d] = *extent; // the block's tile already
      continue;
    }
    step[d] = std::min(block[d], *extent);
    if (step[d] <= 0 || *extent % step[d] != 0)
      return false;
  }
  int64_t bytes = 0;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!type)
      return false;
    int64_t elems = 1;
    // The step's footprint of this input.
    for (int64_t s : op.getMatchingIndexingMap(input).compose(step))
      elems *= s;
    bytes += elems * llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  }
  if (bytes > sharedBytes)
    return false;

  // The reduction steps, at block level.
  Operation *stepOp = current;
  bool anyReduction = llvm::any_of(iterators, [](utils::IteratorType t) {
    return t != utils::IteratorType::parallel;
  });
  if (anyReduction) {
    SmallVector<OpFoldResult> sizes;
    for (auto [d, s] : llvm::enumerate(step))
      sizes.push_back(rewriter.getIndexAttr(
          iterators[d] == utils::IteratorType::parallel ? 0 : s));
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes);
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
    rewriter.setInsertionPoint(current);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(rewriter, tileable, options);
    if (failed(tiled))
      return false;
    rewriter.replaceOp(current, tiled->replacements);
    stepOp = tiled->tiledOps.front();
  }
  // Each input slice of the step, copied into a tile of its own.
  auto stepLinalg = cast<linalg::LinalgOp>(stepOp);
  rewriter.setInsertionPoint(stepOp);
  auto enclosing = stepOp->getParentOfType<scf::ForallOp>();
  for (OpOperand *input : stepLinalg.getDpsInputOperands()) {
    auto type = cast<RankedTensorType>(input->get().getType());
    // Only slices of tensors from outside the block: a tile the block made
    // itself (a fused producer's) is in shared memory already.
    Value source = input->get();
    while (auto slice = source.getDefiningOp<tensor::ExtractSliceOp>())
      source = slice.getSource();
    if (Operation *def = source.getDefiningOp())
      if (enclosing && enclosing->isAncestor(def))
        continue;
    if (auto arg = dyn_cast<BlockArgument>(source))
      if (enclosing && enclosing->isAncestor(arg.getOwner()->getParentOp()) &&
          !llvm::is_contained(enclosing.getRegionIterArgs(), arg) &&
          arg.getOwner()->getParentOp() != enclosing.getOperation())
        continue;
    Location loc = stepOp->getLoc();
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    auto copy = linalg::CopyOp::create(rewriter, loc, ValueRange{input->get()},
                                       ValueRange{empty});
    rewriter.modifyOpInPlace(stepOp, [&] { input->set(copy->getResult(0)); });
    copies.push_back(copy);
  }
  current = stepOp;
  return true;
}

SmallVector<int64_t> mlir::fourfold::roller::copyThreadTile(Operation *copy,
                                                            int64_t threads,
                                                            int64_t vectorElems) {
  auto type = cast<RankedTensorType>(copy->getResult(0).getType());
  ArrayRef<int64_t> shape = type.getShape();
  unsigned rank = shape.size();
  SmallVector<int64_t> tile(rank, 1);
  if (rank == 0)
    return tile;
  int64_t v = std::min(vectorElems, shape.back());
  while (v > 1 && shape.back() % v)
    v /= 2;
  tile.back() = std::max<int64_t>(1, v);
  auto trips = [&] {
    int64_t n = 1;
    for (unsigned d = 0; d < rank; ++d)
      n *= llvm::divideCeil(shape[d], tile[d]);
    return n;
  };
  // Fewer, larger tiles until every thread has at most one: the outer
  // dimensions first, so that a thread's rows stay contiguous vectors.
  for (unsigned d = 0; d < rank && trips() > threads; ++d)
    while (trips() > threads && tile[d] < shape[d])
      tile[d] = std::min(shape[d], tile[d] * 2);
  return tile;
}
