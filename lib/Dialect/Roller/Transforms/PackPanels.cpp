//===- PackPanels.cpp - roller-lower's packed operand panels (CPU) -------===//
//
// A contraction's register tile reads B (k x n, n contiguous) as kr rows of
// nr = width columns per step. Read in place, those rows are a whole row of B
// apart: with n = 1024 or 3072 floats every row of a tile's panel falls in
// the same L1 set (4 KiB aliasing: 12 ways for 88 rows), every row is on its
// own page, and an input that numpy allocated 16 bytes past a cache line
// makes every 64-byte vector load straddle two lines. The classic cure
// (BLIS, OpenBLAS): once per cache tile and reduction step, copy the
// cache tile's B panel (kc x nc) into [nc / nr][kc][nr], so that each
// register tile's column panel is one contiguous, aligned kc x nr block
// streamed with unit stride and reused by every register tile along m.
//
// Measured before this was written (C prototype of the same loop nest, AMD
// EPYC Zen 5, 1 thread, 128x768x3072, 4 x 64 register tiles, kc = 88): B
// read in place 248 GFLOP/s from a 64-byte aligned B, 182-188 from one 16
// bytes off (what numpy hands us); packed 232-257 from either.
//
// The copy is vector loads and stores of one panel row each (nr elements);
// a partial last panel (n not a multiple of nr) is not copied: the peeled
// partial register tiles read B in place, as before.
//
//===----------------------------------------------------------------------===//

#include "PackPanels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

using namespace mlir;
using namespace mlir::fourfold::roller;

/// A static upper bound of dimension `dim` of `value` (a ranked tensor).
static FailureOr<int64_t> upperBound(Value value, int64_t dim) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.isDynamicDim(dim))
    return type.getDimSize(dim);
  return ValueBoundsConstraintSet::computeConstantBound(
      presburger::BoundType::UB, ValueBoundsConstraintSet::Variable(value, dim),
      /*stopCondition=*/nullptr, /*closedUB=*/true);
}

FailureOr<PackedPanels> mlir::fourfold::roller::packPanels(RewriterBase &rewriter,
                                                           linalg::LinalgOp op,
                                                           unsigned operand,
                                                           int64_t width) {
  if (operand >= op->getNumOperands() || width <= 0)
    return failure();
  Value source = op->getOperand(operand);
  auto type = dyn_cast<RankedTensorType>(source.getType());
  if (!type || type.getRank() < 2 || !type.getElementType().isIntOrFloat())
    return failure();
  int64_t rank = type.getRank();
  for (int64_t d = 0; d + 2 < rank; ++d)
    if (type.getDimSize(d) != 1)
      return failure();
  FailureOr<int64_t> kMax = upperBound(source, rank - 2);
  FailureOr<int64_t> nMax = upperBound(source, rank - 1);
  if (failed(kMax) || failed(nMax) || *kMax <= 0 || *nMax / width < 1)
    return failure();
  int64_t panels = *nMax / width;

  Location loc = op.getLoc();
  Type elementType = type.getElementType();
  rewriter.setInsertionPoint(op);
  // [panels, 1..., kMax, width]: static, so that bufferization's buffer is
  // one allocation hoisted out of the reduction loop (grinder-hoist-buffers).
  SmallVector<int64_t> shape = {panels};
  shape.append(rank - 2, 1);
  shape.append({*kMax, width});
  Value init = tensor::EmptyOp::create(rewriter, loc, shape, elementType);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value rows = tensor::DimOp::create(rewriter, loc, source, rank - 2);
  Value columns = tensor::DimOp::create(rewriter, loc, source, rank - 1);
  AffineExpr s0 = rewriter.getAffineSymbolExpr(0);
  AffineExpr d0 = rewriter.getAffineDimExpr(0);
  Value count = affine::AffineApplyOp::create(
      rewriter, loc, AffineMap::get(0, 1, s0.floorDiv(width)), ValueRange{columns});
  auto vectorType = VectorType::get({width}, elementType);
  Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(elementType));
  // Source reads: the last dimension as the vector (minor identity).
  AffineMap readMap = AffineMap::get(rank, 0, rewriter.getAffineDimExpr(rank - 1));
  AffineMap writeMap = AffineMap::get(rank + 1, 0, rewriter.getAffineDimExpr(rank));
  auto outer = scf::ForOp::create(
      rewriter, loc, zero, count, one, ValueRange{init},
      [&](OpBuilder &b, Location loc, Value panel, ValueRange outerArgs) {
        Value column = affine::AffineApplyOp::create(
            b, loc, AffineMap::get(1, 0, d0 * width), ValueRange{panel});
        auto inner = scf::ForOp::create(
            b, loc, zero, rows, one, ValueRange{outerArgs.front()},
            [&](OpBuilder &b, Location loc, Value row, ValueRange innerArgs) {
              SmallVector<Value> readIndices(rank - 2, zero);
              readIndices.append({row, column});
              Value vector = vector::TransferReadOp::create(
                  b, loc, vectorType, source, readIndices, AffineMapAttr::get(readMap),
                  padding, /*mask=*/Value(), b.getBoolArrayAttr({true}));
              SmallVector<Value> writeIndices = {panel};
              writeIndices.append(rank - 2, zero);
              writeIndices.append({row, zero});
              Value written = vector::TransferWriteOp::create(
                                  b, loc, vector, innerArgs.front(), writeIndices,
                                  AffineMapAttr::get(writeMap), /*mask=*/Value(),
                                  b.getBoolArrayAttr({true}))
                                  .getResult();
              scf::YieldOp::create(b, loc, written);
            });
        scf::YieldOp::create(b, loc, inner.getResult(0));
      });
  return PackedPanels{source, outer.getResult(0), operand, width};
}

/// The constant `value` is, also when it is an affine.apply of a constant
/// map (what tiling and peeling leave before canonicalization).
static std::optional<int64_t> constantOf(OpFoldResult value) {
  if (std::optional<int64_t> c = getConstantIntValue(value))
    return c;
  if (auto apply = dyn_cast_or_null<affine::AffineApplyOp>(
          dyn_cast<Value>(value) ? cast<Value>(value).getDefiningOp() : nullptr))
    if (auto c = dyn_cast<AffineConstantExpr>(apply.getAffineMap().getResult(0)))
      return c.getValue();
  return std::nullopt;
}

/// Whether `offset` is a multiple of `width` by construction: a constant
/// one, or the induction variable of a loop starting at and stepping by
/// multiples of it (a register tile loop or its peeled full part).
static bool isMultipleOf(OpFoldResult offset, int64_t width) {
  if (std::optional<int64_t> c = constantOf(offset))
    return *c % width == 0;
  auto arg = dyn_cast<BlockArgument>(cast<Value>(offset));
  if (!arg)
    return false;
  auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp());
  if (!loop || loop.getInductionVar() != arg)
    return false;
  std::optional<int64_t> lb = constantOf(loop.getLowerBound());
  std::optional<int64_t> step = constantOf(loop.getStep());
  return lb && step && *lb % width == 0 && *step % width == 0;
}

unsigned mlir::fourfold::roller::readPackedPanels(RewriterBase &rewriter, Operation *root,
                                                  StringRef marker,
                                                  const PackedPanels &panels) {
  SmallVector<linalg::LinalgOp> tiles;
  root->walk([&](linalg::LinalgOp op) {
    if (op->hasAttr(marker) && panels.operand < op->getNumOperands())
      tiles.push_back(op);
  });
  unsigned rewritten = 0;
  for (linalg::LinalgOp op : tiles) {
    OpOperand &operand = op->getOpOperand(panels.operand);
    auto slice = operand.get().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || slice.getSource() != panels.source)
      continue;
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
    SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
    int64_t rank = sizes.size();
    auto is = [](OpFoldResult value, int64_t c) { return constantOf(value) == c; };
    bool whole = llvm::all_of(slice.getMixedStrides(), [&](OpFoldResult s) { return is(s, 1); });
    for (int64_t d = 0; d + 2 < rank; ++d)
      whole &= is(sizes[d], 1);
    whole &= constantOf(sizes[rank - 2]).has_value() && is(sizes[rank - 1], panels.width) &&
             isMultipleOf(offsets[rank - 1], panels.width);
    if (!whole)
      continue;
    Location loc = slice.getLoc();
    rewriter.setInsertionPoint(slice);
    // The column offset is a non-negative multiple of the width: an
    // unsigned division (a shift for powers of two), which LLVM hoists out
    // of the reduction loop; affine's floordiv became a signed sequence
    // with selects that stayed inside it.
    OpFoldResult panel;
    if (std::optional<int64_t> c = constantOf(offsets[rank - 1]))
      panel = rewriter.getIndexAttr(*c / panels.width);
    else
      panel = arith::DivUIOp::create(rewriter, loc, cast<Value>(offsets[rank - 1]),
                                     arith::ConstantIndexOp::create(rewriter, loc,
                                                                    panels.width))
                  .getResult();
    SmallVector<OpFoldResult> newOffsets, newSizes;
    newOffsets.push_back(panel);
    newSizes.push_back(rewriter.getIndexAttr(1));
    for (int64_t d = 0; d + 1 < rank; ++d) {
      newOffsets.push_back(offsets[d]);
      newSizes.push_back(sizes[d]);
    }
    newOffsets.push_back(rewriter.getIndexAttr(0));
    // The slice's own size (a constant value where its type is dynamic).
    newSizes.push_back(sizes[rank - 1]);
    SmallVector<OpFoldResult> newStrides(rank + 1, rewriter.getIndexAttr(1));
    // The same type as the slice it replaces: the panel dimension (and
    // whatever unit dimensions the slice dropped) rank-reduced away.
    Value read = tensor::ExtractSliceOp::create(rewriter, loc, slice.getType(), panels.packed,
                                                newOffsets, newSizes, newStrides);
    rewriter.modifyOpInPlace(op, [&] { operand.set(read); });
    ++rewritten;
  }
  return rewritten;
}
