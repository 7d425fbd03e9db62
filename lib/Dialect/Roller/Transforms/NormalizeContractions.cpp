//===- NormalizeContractions.cpp - einsums as (batch) matmuls --------------===//

#include "Roller/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::fourfold::roller {
#define GEN_PASS_DEF_ROLLERNORMALIZECONTRACTIONS
#include "Roller/Passes.h.inc"
} // namespace mlir::fourfold::roller

using namespace mlir;

namespace {

/// Where loop `dim` is in `map`'s results.
unsigned positionOf(AffineMap map, unsigned dim) {
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(e); d && d.getPosition() == dim)
      return i;
  llvm_unreachable("dimension not in map");
}

/// The body is exactly out + in0 * in1 (either order), f32.
bool isMulAdd(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 3)
    return false;
  auto mul = dyn_cast<arith::MulFOp>(&body.front());
  auto add = dyn_cast<arith::AddFOp>(mul ? mul->getNextNode() : nullptr);
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!mul || !add || !yield || yield.getOperand(0) != add.getResult() ||
      !mul.getType().isF32())
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1), out = body.getArgument(2);
  bool mulOk = (mul.getLhs() == a && mul.getRhs() == b) ||
               (mul.getLhs() == b && mul.getRhs() == a);
  bool addOk = (add.getLhs() == out && add.getRhs() == mul.getResult()) ||
               (add.getRhs() == out && add.getLhs() == mul.getResult());
  return mulOk && addOk;
}

struct NormalizeContraction : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  /// `value` (indexed by `map`) laid out as `order` (loop dims), then
  /// collapsed into one dimension per group of `sizes` entries.
  Value relayout(PatternRewriter &rewriter, Location loc, Value value, AffineMap map,
                 ArrayRef<unsigned> order, ArrayRef<unsigned> groups) const {
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<int64_t> perm;
    for (unsigned d : order)
      perm.push_back(positionOf(map, d));
    bool identity = llvm::equal(perm, llvm::seq<int64_t>(0, perm.size()));
    if (!identity) {
      SmallVector<int64_t> shape;
      for (int64_t p : perm)
        shape.push_back(type.getDimSize(p));
      Value init = tensor::EmptyOp::create(rewriter, loc, shape, type.getElementType());
      value = linalg::TransposeOp::create(rewriter, loc, value, init, perm)->getResult(0);
    }
    return collapse(rewriter, loc, value, groups);
  }

  /// Consecutive dimensions in groups of the given sizes (empty groups
  /// dropped).
  static SmallVector<ReassociationIndices> reassociation(ArrayRef<unsigned> groups) {
    SmallVector<ReassociationIndices> result;
    int64_t next = 0;
    for (unsigned g : groups) {
      if (g == 0)
        continue;
      ReassociationIndices group;
      for (unsigned i = 0; i < g; ++i)
        group.push_back(next++);
      result.push_back(group);
    }
    return result;
  }

  static Value collapse(PatternRewriter &rewriter, Location loc, Value value,
                        ArrayRef<unsigned> groups) {
    SmallVector<ReassociationIndices> reassociation = NormalizeContraction::reassociation(groups);
    if (llvm::all_of(reassociation, [](auto &g) { return g.size() == 1; }))
      return value;
    return tensor::CollapseShapeOp::create(rewriter, loc, value, reassociation);
  }

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 || op.hasDynamicShape() || !isMulAdd(op) ||
        !linalg::isaContractionOpInterface(op))
      return failure();
    FailureOr<linalg::ContractionDimensions> dims = linalg::inferContractionDims(op);
    if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
      return failure();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    AffineMap mapA = maps[0], mapB = maps[1], mapC = maps[2];
    unsigned classified = dims->batch.size() + dims->m.size() + dims->n.size() + dims->k.size();
    if (classified != op.getNumLoops() ||
        mapA.getNumResults() != dims->batch.size() + dims->m.size() + dims->k.size() ||
        mapB.getNumResults() != dims->batch.size() + dims->k.size() + dims->n.size() ||
        mapC.getNumResults() != dims->batch.size() + dims->m.size() + dims->n.size())
      return failure(); // a dimension read by an operand it does not belong to
    auto byPosition = [](AffineMap map, SmallVector<unsigned, 2> ds) {
      SmallVector<unsigned> sorted(ds.begin(), ds.end());
      llvm::sort(sorted, [&](unsigned x, unsigned y) {
        return positionOf(map, x) < positionOf(map, y);
      });
      return sorted;
    };
    SmallVector<unsigned> batch = byPosition(mapC, dims->batch);
    SmallVector<unsigned> m = byPosition(mapC, dims->m);
    SmallVector<unsigned> n = byPosition(mapC, dims->n);
    SmallVector<unsigned> k = byPosition(mapA, dims->k);
    auto concat = [](std::initializer_list<ArrayRef<unsigned>> parts) {
      SmallVector<unsigned> all;
      for (ArrayRef<unsigned> p : parts)
        all.append(p.begin(), p.end());
      return all;
    };
    SmallVector<unsigned> orderA = concat({batch, m, k}), orderB = concat({batch, k, n}),
                          orderC = concat({batch, m, n});
    auto isIdentity = [&](AffineMap map, ArrayRef<unsigned> order) {
      for (auto [i, d] : llvm::enumerate(order))
        if (positionOf(map, d) != i)
          return false;
      return true;
    };
    // Already matmul's / batch_matmul's layout: roller knows it as it is.
    if (batch.size() <= 1 && m.size() == 1 && n.size() == 1 && k.size() == 1 &&
        isIdentity(mapA, orderA) && isIdentity(mapB, orderB) && isIdentity(mapC, orderC))
      return failure();

    Location loc = op.getLoc();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    auto extent = [&](ArrayRef<unsigned> ds) {
      int64_t e = 1;
      for (unsigned d : ds)
        e *= ranges[d];
      return e;
    };
    Value a = relayout(rewriter, loc, op.getDpsInputOperand(0)->get(), mapA, orderA,
                       {unsigned(batch.size()), unsigned(m.size()), unsigned(k.size())});
    Value b = relayout(rewriter, loc, op.getDpsInputOperand(1)->get(), mapB, orderB,
                       {unsigned(batch.size()), unsigned(k.size()), unsigned(n.size())});
    Type f32 = rewriter.getF32Type();
    SmallVector<int64_t> shapeC;
    if (!batch.empty())
      shapeC.push_back(extent(batch));
    shapeC.push_back(extent(m));
    shapeC.push_back(extent(n));
    Value init = op.getDpsInitOperand(0)->get();
    Value c;
    if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
      Value empty = tensor::EmptyOp::create(rewriter, loc, shapeC, f32);
      c = linalg::FillOp::create(rewriter, loc, fill.getInputs(), ValueRange{empty})
              ->getResult(0);
    } else {
      c = relayout(rewriter, loc, init, mapC, orderC,
                   {unsigned(batch.size()), unsigned(m.size()), unsigned(n.size())});
    }
    Value product;
    if (batch.empty())
      product = linalg::MatmulOp::create(rewriter, loc, ValueRange{a, b}, ValueRange{c})
                    ->getResult(0);
    else
      product = linalg::BatchMatmulOp::create(rewriter, loc, ValueRange{a, b}, ValueRange{c})
                    ->getResult(0);
    // Back to [batch..., m..., n...], then to the output's own layout.
    SmallVector<int64_t> expanded;
    for (unsigned d : orderC)
      expanded.push_back(ranges[d]);
    auto expandedType = RankedTensorType::get(expanded, f32);
    if (expandedType != product.getType())
      product = tensor::ExpandShapeOp::create(
          rewriter, loc, expandedType, product,
          reassociation({unsigned(batch.size()), unsigned(m.size()), unsigned(n.size())}));
    // Output position p holds loop dim mapC(p), which sits at index
    // orderC.indexOf(dim) of `product`.
    SmallVector<int64_t> perm;
    for (unsigned p = 0; p < mapC.getNumResults(); ++p) {
      unsigned d = cast<AffineDimExpr>(mapC.getResult(p)).getPosition();
      perm.push_back(llvm::find(orderC, d) - orderC.begin());
    }
    if (!llvm::equal(perm, llvm::seq<int64_t>(0, perm.size()))) {
      auto outType = cast<RankedTensorType>(op.getResult(0).getType());
      Value empty = tensor::EmptyOp::create(rewriter, loc, outType.getShape(), f32);
      product = linalg::TransposeOp::create(rewriter, loc, product, empty, perm)->getResult(0);
    }
    rewriter.replaceOp(op, product);
    return success();
  }
};

struct RollerNormalizeContractionsPass
    : public mlir::fourfold::roller::impl::RollerNormalizeContractionsBase<
          RollerNormalizeContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<NormalizeContraction>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
