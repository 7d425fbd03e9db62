//===- FoldTransposes.cpp - --roller-fold-transposes ---------------------===//
//
// x @ w.T with few rows of x: a dot product of x's rows with w's rows,
// both contiguous along k. Materialising w.T first costs a read and a write
// of w on top of the product's one read; at a few rows that is most of the
// time (F.linear 1x1000x2048: 0.55 ms with the transpose, 0.08 ms folded).
//
// Measured on the host (AMD EPYC, AVX-512, 1 thread) for x[M, 4096] @
// w[4096, 4096].T, folded vs transpose + matmul: M = 16: 7.8 vs 57 ms;
// M = 64: 27 vs 69 ms. With many rows the outer-product kernel (B along n)
// wins: 128x768x768 0.83 ms with the transpose vs 1.36 ms folded. At ~40
// GB/s and ~80 vs ~170 GFLOP/s for the two kernels the break-even is near
// M = 22, hence max-rows = 16.
//
// The same decision the other way: a contraction that reads B with k
// contiguous (a generic or mapped matmul / batch matmul: attention's
// q @ k^T per head) and has more rows, or a reduction too short for roller's
// dot products (< min-depth), gets B transposed once (roller's vectorised
// transposeTile) for the outer-product kernel. Left in place, such a
// 256x256x32 product ran at 7.8 GFLOP/s (vectors along n gather B a row
// apart per lane) against ~190 GFLOP/s for transpose + matmul.
//
//===----------------------------------------------------------------------===//

#include "Roller/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::fourfold::roller {
#define GEN_PASS_DEF_ROLLERFOLDTRANSPOSES
#include "Roller/Passes.h.inc"
} // namespace mlir::fourfold::roller

using namespace mlir;

namespace {

struct FoldTransposedB : OpRewritePattern<linalg::MatmulOp> {
  FoldTransposedB(MLIRContext *ctx, int64_t maxRows, int64_t minDepth)
      : OpRewritePattern(ctx), maxRows(maxRows), minDepth(minDepth) {}

  LogicalResult matchAndRewrite(linalg::MatmulOp mm,
                                PatternRewriter &rewriter) const override {
    if (mm.hasUserDefinedMaps() || !mm.hasPureTensorSemantics())
      return failure();
    Value a = mm.getDpsInputs()[0], b = mm.getDpsInputs()[1];
    auto transpose = b.getDefiningOp<linalg::TransposeOp>();
    if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0} ||
        !transpose.hasPureTensorSemantics())
      return failure();
    auto aType = dyn_cast<RankedTensorType>(a.getType());
    if (!aType || aType.isDynamicDim(0) || aType.getDimSize(0) > maxRows ||
        aType.isDynamicDim(1) || aType.getDimSize(1) < minDepth)
      return failure();
    MLIRContext *ctx = mm.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    SmallVector<Attribute> maps = {
        AffineMapAttr::get(AffineMap::get(3, 0, {m, k}, ctx)),
        AffineMapAttr::get(AffineMap::get(3, 0, {n, k}, ctx)),
        AffineMapAttr::get(AffineMap::get(3, 0, {m, n}, ctx))};
    // The same cast (the body's extensions of mixed integer operands).
    SmallVector<NamedAttribute> cast;
    if (linalg::TypeFnAttr attr = mm.getCastAttr())
      cast.push_back(rewriter.getNamedAttr(mm.getCastAttrName(), attr));
    auto folded = linalg::MatmulOp::create(rewriter, mm.getLoc(), mm.getResultTypes(),
                                           ValueRange{a, transpose.getInput()},
                                           mm.getDpsInits(), cast);
    folded.setIndexingMapsAttr(rewriter.getArrayAttr(maps));
    // Keep what else the op carried (a hand-written roller.tile, ...).
    for (NamedAttribute attr : mm->getDiscardableAttrs())
      folded->setAttr(attr.getName(), attr.getValue());
    rewriter.replaceOp(mm, folded->getResults());
    if (transpose->use_empty())
      rewriter.eraseOp(transpose);
    return success();
  }

  int64_t maxRows, minDepth;
};

/// A contraction reading B with k contiguous and n elsewhere, with more
/// than maxRows rows or fewer than minDepth elements of k: B goes through
/// a linalg.transpose that makes n its contiguous dimension (k before it),
/// and the contraction reads that. The exact complement of
/// FoldTransposedB's condition, so the two never undo each other.
struct MaterializeTransposedB : OpInterfaceRewritePattern<linalg::LinalgOp> {
  MaterializeTransposedB(MLIRContext *ctx, int64_t maxRows, int64_t minDepth)
      : OpInterfaceRewritePattern(ctx), maxRows(maxRows), minDepth(minDepth) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<linalg::GenericOp, linalg::MatmulOp, linalg::BatchMatmulOp>(op) ||
        !op.hasPureTensorSemantics() || op.hasDynamicShape() ||
        op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
        op.getNumReductionLoops() != 1 || !linalg::isaContractionOpInterface(op))
      return failure();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    unsigned k = llvm::find(iterators, utils::IteratorType::reduction) - iterators.begin();
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (!outMap.isProjectedPermutation() || outMap.getNumResults() == 0)
      return failure();
    unsigned n = cast<AffineDimExpr>(outMap.getResults().back()).getPosition();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    for (OpOperand *b : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(b);
      if (!map.isProjectedPermutation() || map.getNumResults() < 2 ||
          cast<AffineDimExpr>(map.getResults().back()).getPosition() != k)
        continue;
      std::optional<unsigned> pn = map.getResultPosition(getAffineDimExpr(n, op.getContext()));
      if (!pn)
        continue;
      // Rows: the parallel loops the other input has and B has not (m).
      OpOperand *a = op.getDpsInputOperand(1 - b->getOperandNumber());
      AffineMap aMap = op.getMatchingIndexingMap(a);
      int64_t rows = 1;
      for (unsigned d = 0; d < ranges.size(); ++d)
        if (d != k && aMap.isFunctionOfDim(d) && !map.isFunctionOfDim(d))
          rows *= ranges[d];
      if (rows <= maxRows && ranges[k] >= minDepth)
        return failure(); // dot products in place (FoldTransposedB's side)
      // B's dimensions in order, n moved last.
      SmallVector<int64_t> perm;
      for (unsigned i = 0; i < map.getNumResults(); ++i)
        if (i != *pn)
          perm.push_back(i);
      perm.push_back(*pn);
      auto bType = cast<RankedTensorType>(b->get().getType());
      SmallVector<int64_t> shape;
      SmallVector<AffineExpr> results;
      for (int64_t i : perm) {
        shape.push_back(bType.getDimSize(i));
        results.push_back(map.getResult(i));
      }
      Location loc = op.getLoc();
      rewriter.setInsertionPoint(op);
      Value empty = tensor::EmptyOp::create(rewriter, loc, shape, bType.getElementType());
      Value transposed =
          linalg::TransposeOp::create(rewriter, loc, b->get(), empty, perm).getResult()[0];
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      maps[b->getOperandNumber()] = AffineMap::get(map.getNumDims(), 0, results, op.getContext());
      rewriter.modifyOpInPlace(op, [&] {
        b->set(transposed);
        op->setAttr("indexing_maps", rewriter.getAffineMapArrayAttr(maps));
      });
      // A generic with matmul's maps becomes linalg.matmul / batch_matmul:
      // welder's elementwise fusion would fold the transpose back into a
      // generic consumer.
      MLIRContext *ctx = op.getContext();
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
        if (maps == linalg::MatmulOp::getDefaultIndexingMaps(ctx) ||
            maps == linalg::BatchMatmulOp::getDefaultIndexingMaps(ctx))
          (void)linalg::specializeGenericOp(rewriter, generic);
      return success();
    }
    return failure();
  }

  int64_t maxRows, minDepth;
};

struct RollerFoldTransposesPass
    : public mlir::fourfold::roller::impl::RollerFoldTransposesBase<
          RollerFoldTransposesPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldTransposedB, MaterializeTransposedB>(&getContext(), maxRows, minDepth);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
