//===- Lower.cpp - --roller-lower (CPU) ----------------------------------===//
//
// Materialises an rTile on the CPU, on tensors:
//   1. one scf.for nest per rTile level (outermost level first), with
//      scf::tileUsingSCF;
//   2. the register-level loops are peeled, so that full register tiles have
//      static shapes and the remainder (sizes the tile does not divide) stays
//      a small scalar op: nothing is dropped, nothing is padded;
//   3. full register tiles are vectorised (contractions straight to
//      vector.contract, which the LLVM stage lowers to outer products / FMAs);
//   4. loop-invariant tensor subsets (the accumulator tile of a contraction)
//      are hoisted out of the reduction loops, so they live in registers.
//
//===----------------------------------------------------------------------===//

#include "Roller/Passes.h"
#include "Roller/Targets.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::fourfold::roller {
#define GEN_PASS_DEF_ROLLERLOWER
#include "Roller/Passes.h.inc"
} // namespace mlir::fourfold::roller

using namespace mlir;
using namespace mlir::fourfold::roller;

namespace {

constexpr llvm::StringLiteral kVectorizeMarker = "roller.register_tile";

/// Peels `loop` when its step may not divide its range, then the loops
/// nested directly in the full-tile part, recursively. Partial parts are
/// left alone (they stay scalar).
void peelNest(RewriterBase &rewriter, scf::ForOp loop) {
  scf::ForOp partial;
  (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial);
  SmallVector<scf::ForOp> inner;
  for (Operation &op : *loop.getBody())
    if (auto nested = dyn_cast<scf::ForOp>(op))
      inner.push_back(nested);
  for (scf::ForOp nested : inner)
    peelNest(rewriter, nested);
}

/// Records the linalg ops a rewrite creates.
struct InsertedOps : public RewriterBase::Listener {
  SmallVector<Operation *> ops;
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    if (isa<linalg::LinalgOp>(op))
      ops.push_back(op);
  }
  void notifyOperationErased(Operation *op) override { llvm::erase(ops, op); }
};

/// Runs every canonicalization pattern of the loaded dialects and ops on
/// `root` (what the canonicalize pass does), to fold the affine.min bounds
/// peeling leaves into static slice sizes.
LogicalResult canonicalize(Operation *root) {
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  return applyPatternsGreedily(root, std::move(patterns));
}

/// Tiles `current` by `sizes` on the loops `which` selects, with loops of
/// `loopType`; `current` becomes the tiled op and `loops` the new loops.
/// With `skipWhole`, a tile covering a loop's whole (static) range makes no
/// loop for it.
LogicalResult tileLoops(RewriterBase &rewriter, Operation *&current,
                        ArrayRef<int64_t> sizes,
                        function_ref<bool(unsigned)> which,
                        scf::SCFTilingOptions::LoopType loopType, bool skipWhole,
                        SmallVector<LoopLikeOpInterface> &loops) {
  auto tileable = cast<TilingInterface>(current);
  SmallVector<OpFoldResult> tileSizes;
  SmallVector<Range> domain = tileable.getIterationDomain(rewriter);
  bool any = false;
  for (auto [d, size, range] : llvm::enumerate(sizes, domain)) {
    std::optional<int64_t> extent = getConstantIntValue(range.size);
    bool tiled = which(d) && !(skipWhole && extent && size >= *extent);
    tileSizes.push_back(rewriter.getIndexAttr(tiled ? size : 0));
    any |= tiled;
  }
  if (!any)
    return success();
  scf::SCFTilingOptions options;
  options.setTileSizes(tileSizes);
  options.setLoopType(loopType);
  rewriter.setInsertionPoint(current);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, tileable, options);
  if (failed(tiled))
    return current->emitError("roller-lower: could not tile with ") << sizes;
  rewriter.replaceOp(current, tiled->replacements);
  current = tiled->tiledOps.front();
  loops = tiled->loops;
  return success();
}

/// Marks the innermost tile for vectorisation and drops roller's attributes.
void markRegisterTile(RewriterBase &rewriter, Operation *tile) {
  tile->setAttr(kVectorizeMarker, rewriter.getUnitAttr());
  tile->removeAttr(RollerDialect::kTileAttrName);
  tile->removeAttr(RollerDialect::kPredictedAttrName);
  tile->removeAttr(RollerDialect::kCandidatesAttrName);
}

struct RollerLowerPass
    : public mlir::fourfold::roller::impl::RollerLowerBase<RollerLowerPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool keptGPU = false;
    for (auto func : module.getOps<FunctionOpInterface>()) {
      // The function's own target, else the module's.
      TargetAttr target = getAttachedTarget(func);
      bool onGPU = target && target.getKind() == TargetKind::gpu;
      if (onGPU && !gpu) {
        keptGPU = true; // left for the GPU lowering
        continue;
      }
      if (failed(lowerFunction(func, onGPU)))
        return signalPassFailure();
      func->removeAttr(RollerDialect::kTargetAttrName);
    }
    if (!keptGPU)
      module->removeAttr(RollerDialect::kTargetAttrName);
  }

  LogicalResult lowerFunction(FunctionOpInterface func, bool onGPU) {
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(RollerDialect::kTileAttrName) && op.hasPureTensorSemantics())
        ops.push_back(op);
    });
    if (ops.empty())
      return success();
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops)
      if (failed(onGPU ? tileOpGPU(rewriter, op) : tileOp(rewriter, op)))
        return failure();
    // Fold the peeled bounds, then vectorise the full register tiles.
    if (failed(canonicalize(func)))
      return func.emitError("roller-lower: canonicalization did not converge");
    SmallVector<linalg::LinalgOp> registerTiles;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kVectorizeMarker))
        registerTiles.push_back(op);
    });
    // A 2-D convolution or pooling tile with unit window rows is a 1-D one,
    // which the vectoriser knows.
    RewritePatternSet decomposePatterns(func.getContext());
    linalg::populateDecomposeConvolutionPatterns(decomposePatterns);
    FrozenRewritePatternSet decompose(std::move(decomposePatterns));
    SmallVector<linalg::LinalgOp> toVectorize;
    for (linalg::LinalgOp op : registerTiles) {
      op->removeAttr(kVectorizeMarker);
      if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
        continue; // a remainder tile: stays scalar
      InsertedOps inserted;
      bool erased = false;
      (void)applyOpPatternsGreedily({op.getOperation()}, decompose,
                                    GreedyRewriteConfig().setListener(&inserted),
                                    /*changed=*/nullptr, &erased);
      if (!erased) {
        toVectorize.push_back(op);
        continue;
      }
      for (Operation *newOp : inserted.ops)
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(newOp))
          toVectorize.push_back(linalgOp);
    }
    for (linalg::LinalgOp op : toVectorize) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
          rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          // Straight to vector.contract for contractions with an output
          // tile (a 0-d accumulator makes an invalid contract in 22.1.8).
          /*createNamedContraction=*/isa<linalg::ContractionOpInterface>(*op) &&
              op.getNumParallelLoops() > 0);
      if (failed(result))
        continue; // not vectorisable (e.g. a 2-D convolution): stays scalar
      rewriter.replaceOp(op, result->replacements);
    }
    // Keep accumulators in registers across reduction loops. The vectoriser
    // creates the transfers' index constants inside the loop, where the
    // subset hoisting does not take them for loop invariants (the
    // accumulator then went through its tensor on every reduction step);
    // moving invariant code out first lets the read/write pair be hoisted,
    // leaving a vector iter_arg.
    // Vectorised tanh / erf would become one libm call per lane: use
    // upstream's polynomial approximations instead (they stay vectors).
    {
      RewritePatternSet patterns(func.getContext());
      populatePolynomialApproximateTanhPattern(patterns);
      populatePolynomialApproximateErfPattern(patterns);
      (void)applyPatternsGreedily(func, std::move(patterns));
    }
    // Fold what vectorisation left (inside scf.forall the accumulator's
    // read/write pair is only recognised as a subset after folding).
    (void)canonicalize(func);
    SmallVector<LoopLikeOpInterface> loops;
    func.walk([&](scf::ForOp loop) { loops.push_back(loop); }); // innermost first
    for (LoopLikeOpInterface loop : loops) {
      moveLoopInvariantCode(loop);
      hoistLoopInvariantSubsets(rewriter, loop);
    }
    (void)canonicalize(func);
    return success();
  }

  /// GPU: the block tile's parallel loops as an scf.forall (blocks), the
  /// thread tile's as a nested scf.forall (threads: block / thread tile of
  /// them), then the block tile's reduction step as an scf.for; each
  /// thread's tile is what gets vectorised.
  LogicalResult tileOpGPU(RewriterBase &rewriter, linalg::LinalgOp op) {
    auto tile = op->getAttrOfType<RTileAttr>(RollerDialect::kTileAttrName);
    if (tile.getTiles().size() != 2)
      return op->emitError("roller-lower: a GPU rTile has a block and a thread level, got ")
             << tile;
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    auto isParallel = [&](unsigned d) {
      return iterators[d] == utils::IteratorType::parallel;
    };
    ArrayRef<int64_t> block = tile.getTiles()[0].asArrayRef();
    ArrayRef<int64_t> thread = tile.getTiles()[1].asArrayRef();
    Operation *current = op;
    SmallVector<LoopLikeOpInterface> loops;
    using LoopType = scf::SCFTilingOptions::LoopType;
    auto reduction = [&](unsigned d) { return !isParallel(d); };
    // Every level makes its loops, even for whole ranges: the GPU pipeline
    // maps the first forall to blocks and the nested one to threads.
    if (failed(tileLoops(rewriter, current, block, isParallel, LoopType::ForallOp,
                         /*skipWhole=*/false, loops)) ||
        failed(tileLoops(rewriter, current, thread, isParallel, LoopType::ForallOp,
                         /*skipWhole=*/false, loops)) ||
        failed(tileLoops(rewriter, current, block, reduction, LoopType::ForOp,
                         /*skipWhole=*/false, loops)))
      return failure();
    markRegisterTile(rewriter, current);
    if (!loops.empty())
      if (auto reductionLoop = dyn_cast<scf::ForOp>(loops.front().getOperation()))
        peelNest(rewriter, reductionLoop);
    return success();
  }

  LogicalResult tileOp(RewriterBase &rewriter, linalg::LinalgOp op) {
    auto tile = op->getAttrOfType<RTileAttr>(RollerDialect::kTileAttrName);
    Operation *current = op;
    SmallVector<LoopLikeOpInterface> innermostLevelLoops;
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    using LoopType = scf::SCFTilingOptions::LoopType;
    auto isParallel = [&](unsigned d) {
      return iterators[d] == utils::IteratorType::parallel;
    };
    auto isReduction = [&](unsigned d) { return !isParallel(d); };
    auto all = [](unsigned) { return true; };
    for (auto [level, sizes] : llvm::enumerate(tile.getTiles())) {
      // Inside a parallel loop already (a welder group's tile): no nested
      // parallelism.
      if (level == 0 && parallel && !op->getParentOfType<scf::ForallOp>()) {
        // The outermost level's parallel loops spread over the cores; its
        // reduction loops stay sequential inside each core's tile.
        if (failed(tileLoops(rewriter, current, sizes.asArrayRef(), isParallel,
                             LoopType::ForallOp, /*skipWhole=*/true,
                             innermostLevelLoops)) ||
            failed(tileLoops(rewriter, current, sizes.asArrayRef(), isReduction,
                             LoopType::ForOp, /*skipWhole=*/true,
                             innermostLevelLoops)))
          return failure();
        continue;
      }
      if (failed(tileLoops(rewriter, current, sizes.asArrayRef(), all,
                           LoopType::ForOp, /*skipWhole=*/true,
                           innermostLevelLoops)))
        return failure();
    }
    markRegisterTile(rewriter, current);
    if (!innermostLevelLoops.empty())
      if (auto outer = dyn_cast<scf::ForOp>(innermostLevelLoops.front().getOperation()))
        peelNest(rewriter, outer);
    return success();
  }
};

} // namespace
