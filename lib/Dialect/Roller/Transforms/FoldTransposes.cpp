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
//===----------------------------------------------------------------------===//

#include "Roller/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
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
  FoldTransposedB(MLIRContext *ctx, int64_t maxRows)
      : OpRewritePattern(ctx), maxRows(maxRows) {}

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
    if (!aType || aType.isDynamicDim(0) || aType.getDimSize(0) > maxRows)
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

  int64_t maxRows;
};

struct RollerFoldTransposesPass
    : public mlir::fourfold::roller::impl::RollerFoldTransposesBase<
          RollerFoldTransposesPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldTransposedB>(&getContext(), maxRows);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
