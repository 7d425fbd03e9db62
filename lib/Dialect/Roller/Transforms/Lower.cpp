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
//      NCHW convolution and pooling tiles (vectors along the image row) drop
//      their unit loops first and become a broadcast-FMA matmul kernel or
//      row-wise elementwise vector code, remainders included (masked rows);
//   4. loop-invariant tensor subsets (the accumulator tile of a contraction)
//      are hoisted out of the reduction loops, so they live in registers.
//
// Why NCHW is vectorised along ow rather than transposed to NHWC: upstream's
// 1-D convolution vectoriser (22.1.8) handles conv_1d_ncw_fcw by transposing
// input, filter and output to channels-last inside vectors, which on a
// tile of 4 filters x 56 columns left the accumulators spread across lanes
// (a broadcast and two shuffles per FMA, 27x slower than NHWC). Rows of f x
// vectors of ow with a filter scalar broadcast from memory per FMA are the
// same BLIS-like kernel as NHWC's: measured on the host (AMD EPYC, AVX-512,
// 1 thread, bench/results/roller-nchw-cpu.md) ResNet-50's 3x3 64->64 at
// 56x56 ran at 220 GFLOP/s NCHW vs 241 NHWC (1.10x) and 1x1 64->256 at 176
// vs 194 (1.10x), within the 1.3x that would have paid for transposing
// activations in and out of every convolution, so the importer keeps
// PyTorch's layout.
//
//===----------------------------------------------------------------------===//

#include "Roller/Passes.h"
#include "Roller/Targets.h"

#include "MathApprox.h"
#include "PackPanels.h"
#include "StageShared.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
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
constexpr llvm::StringLiteral kTransposeMarker = "roller.transpose_tile";
// CUDA's limit of threads per block, on every chip fourfold targets.
constexpr int64_t kMaxThreadsPerBlock = 1024;
// Shared memory a contraction's staged operand tiles may take per block: a
// quarter of the 48 KiB a block has statically, leaving room for a welder
// group's own tiles and for several resident blocks.
constexpr int64_t kStagedSharedBytes = 12 * 1024;

/// Peels `loop` when its step may not divide its range, then the loops
/// nested directly in the full-tile part, recursively. Partial parts are
/// left alone (they stay scalar) unless `partialsToo`: then their nested
/// loops are peeled as well, so that every piece has static sizes (NCHW
/// tiles, whose remainders are vectorised with masked rows: the 4 filters
/// that 5-row tiles leave of 64 ran scalar over whole rows, half the time).
void peelNest(RewriterBase &rewriter, scf::ForOp loop, bool partialsToo = false) {
  scf::ForOp partial;
  (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial);
  SmallVector<scf::ForOp> inner;
  for (scf::ForOp part : {loop, partial})
    if (part && (part == loop || partialsToo))
      for (Operation &op : *part.getBody())
        if (auto nested = dyn_cast<scf::ForOp>(op))
          inner.push_back(nested);
  for (scf::ForOp nested : inner)
    peelNest(rewriter, nested, partialsToo);
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
                        SmallVector<LoopLikeOpInterface> &loops,
                        ArrayRef<int64_t> interchange = {}) {
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
  if (!interchange.empty())
    options.setInterchange(interchange);
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

/// A contraction tile whose only dynamic loops are reductions, tiled by one
/// along them (scf.for): the tile inside has static sizes.
FailureOr<linalg::LinalgOp> reductionRemainderByOne(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (!linalg::isaContractionOpInterface(op))
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  bool any = false;
  for (auto [range, kind] : llvm::zip(ranges, iterators)) {
    if (!ShapedType::isDynamic(range))
      continue;
    if (kind != utils::IteratorType::reduction)
      return failure();
    any = true;
  }
  if (!any)
    return failure();
  Operation *current = op;
  SmallVector<LoopLikeOpInterface> loops;
  if (failed(tileLoops(
          rewriter, current, SmallVector<int64_t>(ranges.size(), 1),
          [&](unsigned d) { return ShapedType::isDynamic(ranges[d]); },
          scf::SCFTilingOptions::LoopType::ForOp, /*skipWhole=*/false, loops)))
    return failure();
  auto tiled = cast<linalg::LinalgOp>(current);
  if (tiled.hasDynamicShape())
    return failure();
  return tiled;
}

/// Marks the innermost tile for vectorisation and drops roller's attributes.
void markRegisterTile(RewriterBase &rewriter, Operation *tile) {
  tile->setAttr(kVectorizeMarker, rewriter.getUnitAttr());
  tile->removeAttr(RollerDialect::kTileAttrName);
  tile->removeAttr(RollerDialect::kPredictedAttrName);
  tile->removeAttr(RollerDialect::kCandidatesAttrName);
  tile->removeAttr(RollerDialect::kPackAttrName);
}

/// `expr` as a sum of coefficient x loop plus a constant, if it is one.
bool linearTerms(AffineExpr expr, int64_t scale,
                 SmallVectorImpl<std::pair<unsigned, int64_t>> &terms,
                 int64_t &constant) {
  if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
    terms.push_back({dim.getPosition(), scale});
    return true;
  }
  if (auto c = dyn_cast<AffineConstantExpr>(expr)) {
    constant += scale * c.getValue();
    return true;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!bin)
    return false;
  if (bin.getKind() == AffineExprKind::Add)
    return linearTerms(bin.getLHS(), scale, terms, constant) &&
           linearTerms(bin.getRHS(), scale, terms, constant);
  if (bin.getKind() == AffineExprKind::Mul) {
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return linearTerms(bin.getLHS(), scale * c.getValue(), terms, constant);
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
      return linearTerms(bin.getRHS(), scale * c.getValue(), terms, constant);
  }
  return false;
}

/// Whether the loop that walks the output's innermost dimension also slides
/// over an input next to another loop (an NCHW convolution's or pooling's
/// ow, beside kw): the vector then runs along the image row, not along the
/// channels, and upstream's 1-D convolution vectoriser would transpose to
/// channels-last inside the vectors.
bool vectorLoopIsSpatial(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op.hasOnlyProjectedPermutations())
    return false;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.getNumResults() == 0)
    return false;
  auto vectorDim = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!vectorDim)
    return false;
  for (OpOperand *input : op.getDpsInputOperands())
    for (AffineExpr expr : op.getMatchingIndexingMap(input).getResults()) {
      SmallVector<std::pair<unsigned, int64_t>> terms;
      int64_t constant = 0;
      if (linearTerms(expr, 1, terms, constant) && terms.size() > 1 &&
          llvm::any_of(terms, [&](auto t) { return t.first == vectorDim.getPosition(); }))
        return true;
    }
  return false;
}

/// A contraction whose inputs all read its one reduction loop along their
/// contiguous dimension (x @ w.T, matvec): the policy's dot-product tiles,
/// which rowReductionTile vectorises along k.
bool isDotProduct(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() != 1 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op))
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned r = llvm::find(iterators, utils::IteratorType::reduction) - iterators.begin();
  return llvm::all_of(op.getDpsInputOperands(), [&](OpOperand *input) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.getNumResults() == 0)
      return false;
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    return last && last.getPosition() == r;
  });
}

/// Whether `op`'s maps are linalg.matmul's or linalg.batch_matmul's own.
bool hasPlainMatmulMaps(linalg::LinalgOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  MLIRContext *ctx = op.getContext();
  return maps == linalg::MatmulOp::getDefaultIndexingMaps(ctx) ||
         maps == linalg::BatchMatmulOp::getDefaultIndexingMaps(ctx);
}

/// A copy that yields its one input read through a permutation whose
/// contiguous loop is not the output's (linalg.transpose, welder's
/// transposed slices): the policy's transposing copies, which
/// transposeTile moves through vector registers.
/// Returns the input's and the output's contiguous loops.
std::optional<std::pair<unsigned, unsigned>> transposingCopy(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 0)
    return std::nullopt;
  Block *body = op.getBlock();
  if (body->getOperations().size() != 1 ||
      body->getTerminator()->getNumOperands() != 1 ||
      body->getTerminator()->getOperand(0) != body->getArgument(0))
    return std::nullopt;
  AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!in.isPermutation() || !out.isPermutation() || in.getNumResults() == 0)
    return std::nullopt;
  unsigned a = cast<AffineDimExpr>(in.getResults().back()).getPosition();
  unsigned b = cast<AffineDimExpr>(out.getResults().back()).getPosition();
  if (a == b)
    return std::nullopt;
  return std::make_pair(a, b);
}

/// A register tile of a transposing copy (every loop but the input's
/// contiguous `a` and the output's contiguous `b` of extent 1, both at
/// most 16): the input's rows along a are read as one V x V vector block
/// (V a power of two, rows and lanes past the tile padded and never
/// written), vector.transpose'd, and written as the output's rows along b.
/// The transpose is lowered right here to shuffles (upstream's 16x16
/// lowering for 16 x 16 32-bit tiles: 64 two-source shuffles; a flat
/// 1-D shuffle otherwise); the pipeline's default lowering would extract
/// and insert element by element.
FailureOr<Value> transposeTile(RewriterBase &rewriter, linalg::LinalgOp op) {
  std::optional<std::pair<unsigned, unsigned>> loops = transposingCopy(op);
  if (!loops || !op.hasPureTensorSemantics())
    return failure();
  auto [a, b] = *loops;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  // Per loop: its extent (a partial cache tile's register tiles have
  // dynamic ones, bounded by the register tile) and a constant bound.
  OpOperand *input = op.getDpsInputOperand(0);
  AffineMap inMap = op.getMatchingIndexingMap(input);
  unsigned n = op.getNumLoops();
  SmallVector<OpFoldResult> extents(n);
  SmallVector<int64_t> bounds(n);
  for (auto [pos, e] : llvm::enumerate(inMap.getResults())) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    extents[d] = tensor::getMixedSize(rewriter, loc, input->get(), pos);
    FailureOr<int64_t> ub = ValueBoundsConstraintSet::computeConstantBound(
        presburger::BoundType::UB, ValueBoundsConstraintSet::Variable(input->get(), pos),
        /*stopCondition=*/nullptr, /*closedUB=*/true);
    if (failed(ub))
      return failure();
    bounds[d] = *ub;
  }
  for (unsigned d = 0; d < n; ++d)
    if (d != a && d != b && bounds[d] != 1)
      return failure();
  int64_t side = llvm::PowerOf2Ceil(std::max(bounds[a], bounds[b]));
  Type et = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  if (side > 16 || !et.isIntOrFloat())
    return failure();
  auto staticOr = [](OpFoldResult size) {
    std::optional<int64_t> c = getConstantIntValue(size);
    return c ? *c : ShapedType::kDynamic;
  };
  // The 2-D slice of an operand whose dimension `rowLoop` is the rows and
  // whose last dimension is the columns, every other dimension of extent 1.
  auto slice2d = [&](OpOperand *operand, unsigned rowLoop,
                     SmallVector<OpFoldResult> &offsets,
                     SmallVector<OpFoldResult> &sizes,
                     SmallVector<OpFoldResult> &strides) -> Value {
    AffineMap map = op.getMatchingIndexingMap(operand);
    unsigned colLoop = cast<AffineDimExpr>(map.getResults().back()).getPosition();
    for (AffineExpr e : map.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      offsets.push_back(rewriter.getIndexAttr(0));
      sizes.push_back(d == rowLoop || d == colLoop ? extents[d] : rewriter.getIndexAttr(1));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    auto type = RankedTensorType::get({staticOr(extents[rowLoop]), staticOr(extents[colLoop])}, et);
    return tensor::ExtractSliceOp::create(rewriter, loc, type, operand->get(), offsets,
                                          sizes, strides);
  };
  SmallVector<OpFoldResult> inOffsets, inSizes, inStrides, outOffsets, outSizes, outStrides;
  Value in = slice2d(input, b, inOffsets, inSizes, inStrides);
  Value out = slice2d(op.getDpsInitOperand(0), a, outOffsets, outSizes, outStrides);
  bool wholeA = staticOr(extents[a]) == side, wholeB = staticOr(extents[b]) == side;
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  auto blockType = VectorType::get({side, side}, et);
  Value block = vector::TransferReadOp::create(
      rewriter, loc, blockType, in, ValueRange{zero, zero},
      ub::PoisonOp::create(rewriter, loc, et), ArrayRef<bool>{wholeB, wholeA});
  auto transposed = vector::TransposeOp::create(rewriter, loc, block, ArrayRef<int64_t>{1, 0});
  transposed->setAttr(kTransposeMarker, rewriter.getUnitAttr());
  Value written = vector::TransferWriteOp::create(rewriter, loc, transposed.getResult(), out,
                                                  ValueRange{zero, zero},
                                                  ArrayRef<bool>{wholeA, wholeB})
                      .getResult();
  Value result = tensor::InsertSliceOp::create(rewriter, loc, written, op.getDpsInits()[0],
                                               outOffsets, outSizes, outStrides);
  rewriter.replaceOp(op, result);
  return result;
}

/// A register tile in which every loop of extent 1 is dropped: each operand
/// becomes a (rank-reducing, and where a loop steps by a stride, strided)
/// slice indexed by the loops that remain, in a linalg.generic with the same
/// body, written back into the tile's output. An NCHW convolution tile with
/// unit oh, kh, kw (the policy makes them so) becomes a matmul over (f, ow,
/// c), a depthwise convolution or a pooling tile an elementwise update along
/// ow. Fails (and changes nothing) where a dimension is still indexed by
/// two loops (a window wider than 1), a loop indexes two dimensions of one
/// operand, the body reads linalg.index, or an output dimension steps.
FailureOr<linalg::LinalgOp> dropUnitLoops(RewriterBase &rewriter,
                                          linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() ||
      op.hasDynamicShape() || !op.getBlock()->getOps<linalg::IndexOp>().empty())
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> newIndex(ranges.size(), -1);
  SmallVector<utils::IteratorType> iterators;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (ranges[d] > 1) {
      newIndex[d] = iterators.size();
      iterators.push_back(it);
    }
  if (iterators.empty())
    return failure();
  MLIRContext *ctx = op.getContext();
  struct Slice {
    SmallVector<OpFoldResult> offsets, sizes, strides;
    SmallVector<int64_t> shape;
    SmallVector<AffineExpr> results;
  };
  SmallVector<Slice, 3> slices;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type)
      return failure();
    Slice slice;
    llvm::SmallDenseSet<unsigned> seen;
    for (auto [j, expr] : llvm::enumerate(op.getMatchingIndexingMap(&operand).getResults())) {
      SmallVector<std::pair<unsigned, int64_t>> terms;
      int64_t offset = 0;
      if (!linearTerms(expr, 1, terms, offset))
        return failure();
      SmallVector<std::pair<unsigned, int64_t>> live;
      for (auto term : terms)
        if (term.second != 0 && ranges[term.first] > 1)
          live.push_back(term);
      int64_t size = 1, stride = 1;
      if (live.size() > 1)
        return failure();
      if (live.size() == 1) {
        auto [loop, coeff] = live.front();
        if (coeff <= 0 || (op.isDpsInit(&operand) && coeff != 1) ||
            !seen.insert(loop).second)
          return failure();
        size = ranges[loop];
        stride = coeff;
        slice.results.push_back(getAffineDimExpr(newIndex[loop], ctx));
        slice.shape.push_back(size);
      }
      if (offset < 0 || offset + (size - 1) * stride >= type.getDimSize(j))
        return failure();
      slice.offsets.push_back(rewriter.getIndexAttr(offset));
      slice.sizes.push_back(rewriter.getIndexAttr(size));
      slice.strides.push_back(rewriter.getIndexAttr(stride));
    }
    slices.push_back(std::move(slice));
  }
  Location loc = op.getLoc();
  Block *body = op.getBlock();
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  llvm::BitVector unused(body->getNumArguments());
  auto sliceOf = [&](OpOperand &operand) -> Value {
    const Slice &slice = slices[operand.getOperandNumber()];
    auto type = cast<RankedTensorType>(operand.get().getType());
    auto sliceType = RankedTensorType::get(slice.shape, type.getElementType());
    return tensor::ExtractSliceOp::create(rewriter, loc, sliceType, operand.get(),
                                          slice.offsets, slice.sizes, slice.strides);
  };
  rewriter.setInsertionPoint(op);
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (body->getArgument(input->getOperandNumber()).use_empty()) {
      unused.set(input->getOperandNumber()); // a pooling window's shape
      continue;
    }
    inputs.push_back(sliceOf(*input));
    maps.push_back(AffineMap::get(iterators.size(), 0,
                                  slices[input->getOperandNumber()].results, ctx));
  }
  OpOperand *init = op.getDpsInitOperand(0);
  Value out = sliceOf(*init);
  maps.push_back(AffineMap::get(iterators.size(), 0,
                                slices[init->getOperandNumber()].results, ctx));
  auto generic = linalg::GenericOp::create(rewriter, loc, TypeRange{out.getType()},
                                           inputs, ValueRange{out}, maps, iterators);
  rewriter.cloneRegionBefore(op->getRegion(0), generic.getRegion(),
                             generic.getRegion().end());
  generic.getRegion().front().eraseArguments(unused);
  const Slice &outSlice = slices[init->getOperandNumber()];
  Value result = tensor::InsertSliceOp::create(
      rewriter, loc, generic.getResult(0), init->get(), outSlice.offsets,
      outSlice.sizes, outSlice.strides);
  rewriter.replaceOp(op, result);
  // A matmul-shaped generic becomes linalg.matmul, which vectorises
  // straight to vector.contract (outer products of broadcast weights and
  // input rows). A convolution reads (input, filter), a matmul wants the
  // filter (f x c) first: the product commutes, so try both orders.
  rewriter.setInsertionPoint(generic);
  FailureOr<linalg::LinalgOp> named = linalg::specializeGenericOp(rewriter, generic);
  if (succeeded(named))
    return *named;
  if (inputs.size() == 2 && getElementTypeOrSelf(inputs[0].getType()) ==
                                getElementTypeOrSelf(inputs[1].getType())) {
    SmallVector<AffineMap> swappedMaps = {maps[1], maps[0], maps[2]};
    auto swapped = linalg::GenericOp::create(
        rewriter, loc, TypeRange{out.getType()}, ValueRange{inputs[1], inputs[0]},
        ValueRange{out}, swappedMaps, iterators);
    rewriter.inlineRegionBefore(generic.getRegion(), swapped.getRegion(),
                                swapped.getRegion().end());
    Block &block = swapped.getRegion().front();
    // Swap the payload's two input arguments.
    BlockArgument a = block.getArgument(0), b = block.getArgument(1);
    BlockArgument tmp = block.insertArgument(0u, a.getType(), loc);
    a.replaceAllUsesWith(tmp);
    b.replaceAllUsesWith(a);
    tmp.replaceAllUsesWith(b);
    block.eraseArgument(0);
    rewriter.replaceOp(generic, swapped.getResults());
    generic = swapped;
    named = linalg::specializeGenericOp(rewriter, generic);
    if (succeeded(named))
      return *named;
  }
  return cast<linalg::LinalgOp>(generic.getOperation());
}

/// A small static matmul tile (C[m, n] += A[m, k] * B[k, n], one of
/// dropUnitLoops's NCHW convolution tiles: A the filter, B input rows) as
/// the register kernel itself: per k one vector row of B, per (m, k) one
/// scalar of A broadcast, and an FMA into row m of the accumulator tile.
/// vector.contract's outer-product lowering reads A as a vector block and
/// transposes it instead, which on an FCHW filter (channels 9 floats apart)
/// became a gather and two shuffles per FMA; a broadcast scalar load is one
/// vbroadcastss from memory.
/// The vector width for `n` elements on `lanes`-wide registers: a power of
/// two number of registers (or a power of two below one), the lanes past
/// `n` masked off. A row of 24 or 56 floats as such became partial loads,
/// inserts and spills in LLVM's legalisation, and one of 48 (three
/// registers) ran at a sixth of the speed of 64.
int64_t paddedWidth(int64_t n, int64_t lanes) {
  if (n <= lanes)
    return llvm::PowerOf2Ceil(n);
  return llvm::PowerOf2Ceil(llvm::divideCeil(n, lanes)) * lanes;
}

FailureOr<Value> fmaMatmulTile(RewriterBase &rewriter, linalg::MatmulOp mm,
                               int64_t vectorBits) {
  if (mm.hasUserDefinedMaps() || !mm.hasPureTensorSemantics())
    return failure();
  Value a = mm.getDpsInputs()[0], b = mm.getDpsInputs()[1], c = mm.getDpsInits()[0];
  auto at = cast<RankedTensorType>(a.getType());
  auto bt = cast<RankedTensorType>(b.getType());
  auto ct = cast<RankedTensorType>(c.getType());
  Type et = ct.getElementType();
  if (!at.hasStaticShape() || !bt.hasStaticShape() || !ct.hasStaticShape() ||
      at.getElementType() != et || bt.getElementType() != et || !isa<FloatType>(et))
    return failure();
  int64_t m = ct.getDimSize(0), k = at.getDimSize(1);
  int64_t lanes = std::max<int64_t>(1, vectorBits / et.getIntOrFloatBitWidth());
  int64_t n = paddedWidth(ct.getDimSize(1), lanes);
  bool whole = n == ct.getDimSize(1);
  Location loc = mm.getLoc();
  rewriter.setInsertionPoint(mm);
  auto index = [&](int64_t i) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, i);
  };
  Value zero = index(0);
  Value pad = ub::PoisonOp::create(rewriter, loc, et);
  auto rowType = VectorType::get({n}, et);
  auto tileType = VectorType::get({m, n}, et);
  Value acc = vector::TransferReadOp::create(rewriter, loc, tileType, c,
                                             ValueRange{zero, zero}, pad,
                                             ArrayRef<bool>{true, whole});
  SmallVector<Value> rows;
  for (int64_t i = 0; i < m; ++i)
    rows.push_back(vector::ExtractOp::create(rewriter, loc, acc, ArrayRef<int64_t>{i}));
  for (int64_t kk = 0; kk < k; ++kk) {
    Value row = vector::TransferReadOp::create(rewriter, loc, rowType, b,
                                               ValueRange{index(kk), zero}, pad,
                                               ArrayRef<bool>{whole});
    for (int64_t i = 0; i < m; ++i) {
      Value w = tensor::ExtractOp::create(rewriter, loc, a, ValueRange{index(i), index(kk)});
      Value wb = vector::BroadcastOp::create(rewriter, loc, rowType, w);
      rows[i] = vector::FMAOp::create(rewriter, loc, wb, row, rows[i]);
    }
  }
  for (int64_t i = 0; i < m; ++i)
    acc = vector::InsertOp::create(rewriter, loc, rows[i], acc, ArrayRef<int64_t>{i});
  Value written = vector::TransferWriteOp::create(rewriter, loc, acc, c,
                                                  ValueRange{zero, zero},
                                                  ArrayRef<bool>{true, whole})
                      .getResult();
  rewriter.replaceOp(mm, written);
  return written;
}

/// An elementwise tile (dropUnitLoops's depthwise convolution or pooling
/// tile: out[r, w] = f(out[r, w], in[r, w], weight[r])) as vector code, one
/// row of the output at a time along its last dimension: inputs indexed by
/// that dimension are read as rows, the others are a scalar broadcast per
/// row; rows that are not a whole number of registers are padded and the
/// padding masked off (as in fmaMatmulTile). The output tile is read and
/// written whole, so that it stays in registers across the window loops.
/// Fails (changing nothing) on reductions, a body op that is not
/// elementwise, or more than 64 rows.
FailureOr<Value> rowsElementwiseTile(RewriterBase &rewriter, linalg::GenericOp op,
                                     int64_t vectorBits) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 0 ||
      !op.hasPureTensorSemantics() || op.hasDynamicShape())
    return failure();
  OpOperand *init = op.getDpsInitOperand(0);
  auto outType = cast<RankedTensorType>(init->get().getType());
  unsigned rank = outType.getRank();
  if (rank == 0 || !op.getMatchingIndexingMap(init).isIdentity())
    return failure();
  Block *body = op.getBlock();
  for (Operation &bodyOp : body->without_terminator())
    if (!OpTrait::hasElementwiseMappableTraits(&bodyOp) || bodyOp.getNumRegions() ||
        bodyOp.getNumResults() != 1 || !bodyOp.getResult(0).getType().isIntOrFloat())
      return failure();
  unsigned last = rank - 1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isProjectedPermutation())
      return failure();
    for (auto [j, expr] : llvm::enumerate(map.getResults()))
      if (cast<AffineDimExpr>(expr).getPosition() == last && j + 1 != map.getNumResults())
        return failure(); // the row is not the input's contiguous dimension
  }
  ArrayRef<int64_t> shape = outType.getShape();
  ArrayRef<int64_t> leading = shape.drop_back();
  int64_t rows = computeProduct(leading);
  if (rows > 64)
    return failure();
  Type et = outType.getElementType();
  if (!et.isIntOrFloat())
    return failure();
  int64_t lanes = std::max<int64_t>(1, vectorBits / et.getIntOrFloatBitWidth());
  int64_t n = paddedWidth(shape.back(), lanes);
  bool whole = n == shape.back();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto index = [&](int64_t i) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, i);
  };
  Value zero = index(0);
  SmallVector<int64_t> tileShape(leading);
  tileShape.push_back(n);
  SmallVector<bool> tileInBounds(rank, true);
  tileInBounds.back() = whole;
  SmallVector<Value> origin(rank, zero);
  Value acc = vector::TransferReadOp::create(
      rewriter, loc, VectorType::get(tileShape, et), init->get(), origin,
      ub::PoisonOp::create(rewriter, loc, et), tileInBounds);
  Value result = acc;
  SmallVector<int64_t> strides = computeStrides(leading);
  for (int64_t r = 0; r < rows; ++r) {
    SmallVector<int64_t> at = leading.empty() ? SmallVector<int64_t>{} : delinearize(r, strides);
    IRMapping mapping;
    auto rowType = [&](Type t) { return VectorType::get({n}, t); };
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      Type it = getElementTypeOrSelf(input->get().getType());
      SmallVector<Value> indices;
      bool alongRow = false;
      for (AffineExpr expr : map.getResults()) {
        unsigned d = cast<AffineDimExpr>(expr).getPosition();
        alongRow |= d == last;
        indices.push_back(d == last ? zero : index(at[d]));
      }
      Value value;
      if (alongRow)
        value = vector::TransferReadOp::create(rewriter, loc, rowType(it), input->get(),
                                               indices, ub::PoisonOp::create(rewriter, loc, it),
                                               ArrayRef<bool>{whole});
      else
        value = vector::BroadcastOp::create(
            rewriter, loc, rowType(it),
            tensor::ExtractOp::create(rewriter, loc, input->get(), indices));
      mapping.map(body->getArgument(input->getOperandNumber()), value);
    }
    Value accRow = at.empty() ? acc : vector::ExtractOp::create(rewriter, loc, acc, at).getResult();
    mapping.map(body->getArgument(init->getOperandNumber()), accRow);
    for (Operation &bodyOp : body->without_terminator()) {
      SmallVector<Value> operands;
      for (Value operand : bodyOp.getOperands()) {
        Value mapped = mapping.lookupOrNull(operand);
        if (!mapped) // a scalar from above the op
          mapped = vector::BroadcastOp::create(rewriter, loc, rowType(operand.getType()), operand);
        operands.push_back(mapped);
      }
      OperationState state(loc, bodyOp.getName(), operands,
                           TypeRange{rowType(bodyOp.getResult(0).getType())},
                           bodyOp.getAttrs());
      Operation *vectorOp = rewriter.create(state);
      mapping.map(bodyOp.getResult(0), vectorOp->getResult(0));
    }
    Value yielded = mapping.lookupOrDefault(body->getTerminator()->getOperand(0));
    if (!isa<VectorType>(yielded.getType())) // a scalar from above the op
      yielded = vector::BroadcastOp::create(rewriter, loc, rowType(yielded.getType()), yielded);
    result = at.empty() ? yielded
                        : vector::InsertOp::create(rewriter, loc, yielded, result, at).getResult();
  }
  Value written = vector::TransferWriteOp::create(rewriter, loc, result, init->get(),
                                                  origin, tileInBounds)
                      .getResult();
  rewriter.replaceOp(op, written);
  return written;
}

/// The vector.reduction kind of a reduction body's combiner, if it has one.
std::optional<vector::CombiningKind> combiningKind(Operation *op) {
  using K = vector::CombiningKind;
  return llvm::TypeSwitch<Operation *, std::optional<K>>(op)
      .Case<arith::AddFOp, arith::AddIOp>([](auto) { return K::ADD; })
      .Case<arith::MulFOp, arith::MulIOp>([](auto) { return K::MUL; })
      .Case<arith::MaximumFOp>([](auto) { return K::MAXIMUMF; })
      .Case<arith::MinimumFOp>([](auto) { return K::MINIMUMF; })
      .Case<arith::MaxNumFOp>([](auto) { return K::MAXNUMF; })
      .Case<arith::MinNumFOp>([](auto) { return K::MINNUMF; })
      .Default([](Operation *) { return std::nullopt; });
}

/// A register tile of a reduction along its inputs' contiguous dimension
/// (the policy's row reduction: softmax's max / sum, layernorm's sums): R
/// rows x C columns, C a whole number of vectors. Emitted as one scf.for
/// along the row with R x U vector accumulators (U vectors per row per
/// step, so R * U independent chains), each input read as contiguous
/// vectors, inputs not indexed by the reduction loop broadcast once per row,
/// and one horizontal vector.reduction per row at the end (reassociating:
/// a tree, not a chain). upstream's vectoriser made a vector<R x C>
/// multi_reduction that lower-vector-multi-reduction transposed (lanes
/// across rows). Fails (changing nothing) on anything else.
FailureOr<Value> rowReductionTile(RewriterBase &rewriter, linalg::LinalgOp op,
                                  int64_t vectorBits) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1 ||
      !op.hasPureTensorSemantics() || op.hasDynamicShape() ||
      !op.getBlock()->getOps<linalg::IndexOp>().empty())
    return failure();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned r = llvm::find(iterators, utils::IteratorType::reduction) - iterators.begin();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  OpOperand *init = op.getDpsInitOperand(0);
  auto outType = dyn_cast<RankedTensorType>(init->get().getType());
  if (!outType)
    return failure();
  Type et = outType.getElementType();
  if (!isa<FloatType>(et))
    return failure();
  int64_t lanes = std::max<int64_t>(1, vectorBits / et.getIntOrFloatBitWidth());
  int64_t cols = ranges[r];
  if (cols < lanes || cols % lanes != 0)
    return failure();
  AffineMap outMap = op.getMatchingIndexingMap(init);
  if (!outMap.isProjectedPermutation() || outMap.isFunctionOfDim(r))
    return failure();
  bool anyAlong = false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isProjectedPermutation() || getElementTypeOrSelf(input->get().getType()) != et)
      return failure();
    if (map.isFunctionOfDim(r)) {
      if (map.getNumResults() == 0 ||
          cast<AffineDimExpr>(map.getResults().back()).getPosition() != r)
        return failure(); // the reduction is not this input's contiguous dimension
      anyAlong = true;
    }
  }
  if (!anyAlong)
    return failure();
  // The body: elementwise ops, the last of which combines the output's
  // running value (used once, there) with the rest.
  Block *body = op.getBlock();
  BlockArgument accArg = body->getArgument(init->getOperandNumber());
  Operation *yield = body->getTerminator();
  if (yield->getNumOperands() != 1 || !accArg.hasOneUse())
    return failure();
  Operation *combiner = *accArg.getUsers().begin();
  if (yield->getOperand(0).getDefiningOp() != combiner)
    return failure();
  std::optional<vector::CombiningKind> kind = combiningKind(combiner);
  std::optional<TypedAttr> neutral = arith::getNeutralElement(combiner);
  if (!kind || !neutral)
    return failure();
  for (Operation &bodyOp : body->without_terminator())
    if (!OpTrait::hasElementwiseMappableTraits(&bodyOp) || bodyOp.getNumRegions() ||
        bodyOp.getNumResults() != 1 || !bodyOp.getResult(0).getType().isIntOrFloat())
      return failure();
  // Rows: the parallel loops, in loop order.
  SmallVector<unsigned> rowLoops;
  SmallVector<int64_t> rowShape;
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (d != r) {
      rowLoops.push_back(d);
      rowShape.push_back(ranges[d]);
    }
  int64_t rows = computeProduct(rowShape);
  if (rows > 16)
    return failure();
  int64_t vectors = cols / lanes;
  int64_t unroll = rows >= 4 ? (vectors % 2 == 0 ? 2 : 1) : (vectors % 4 == 0 ? 4 : vectors % 2 == 0 ? 2 : 1);
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto index = [&](int64_t i) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, i);
  };
  auto vt = VectorType::get({lanes}, et);
  Value pad = ub::PoisonOp::create(rewriter, loc, et);
  Value neutralVec = arith::ConstantOp::create(
      rewriter, loc, vt, DenseElementsAttr::get(vt, cast<Attribute>(*neutral)));
  SmallVector<int64_t> rowStrides = computeStrides(rowShape);
  auto rowPosition = [&](int64_t row) {
    SmallVector<int64_t> at = rowShape.empty() ? SmallVector<int64_t>{} : delinearize(row, rowStrides);
    SmallVector<int64_t> loopPos(ranges.size(), 0);
    for (auto [i, d] : llvm::enumerate(rowLoops))
      loopPos[d] = at[i];
    return loopPos;
  };
  // Per row: the broadcast inputs (not along the row), once.
  SmallVector<IRMapping> rowMaps(rows);
  for (int64_t row = 0; row < rows; ++row) {
    SmallVector<int64_t> pos = rowPosition(row);
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      if (map.isFunctionOfDim(r))
        continue;
      BlockArgument arg = body->getArgument(input->getOperandNumber());
      if (arg.use_empty())
        continue;
      SmallVector<Value> indices;
      for (AffineExpr e : map.getResults())
        indices.push_back(index(pos[cast<AffineDimExpr>(e).getPosition()]));
      Value scalar = tensor::ExtractOp::create(rewriter, loc, input->get(), indices);
      rowMaps[row].map(arg, vector::BroadcastOp::create(rewriter, loc, vt, scalar).getResult());
    }
  }
  SmallVector<Value> inits(rows * unroll, neutralVec);
  Value lb = index(0), ub = index(cols), step = index(lanes * unroll);
  auto loop = scf::ForOp::create(rewriter, loc, lb, ub, step, inits);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(loop.getBody());
    Value iv = loop.getInductionVar();
    SmallVector<Value> next;
    for (int64_t row = 0; row < rows; ++row) {
      SmallVector<int64_t> pos = rowPosition(row);
      for (int64_t u = 0; u < unroll; ++u) {
        Value col = u == 0 ? iv
                           : arith::AddIOp::create(rewriter, loc, iv, index(u * lanes)).getResult();
        IRMapping mapping = rowMaps[row];
        for (OpOperand *input : op.getDpsInputOperands()) {
          AffineMap map = op.getMatchingIndexingMap(input);
          BlockArgument arg = body->getArgument(input->getOperandNumber());
          if (!map.isFunctionOfDim(r) || arg.use_empty())
            continue;
          SmallVector<Value> indices;
          for (AffineExpr e : map.getResults()) {
            unsigned d = cast<AffineDimExpr>(e).getPosition();
            indices.push_back(d == r ? col : index(pos[d]));
          }
          mapping.map(arg, vector::TransferReadOp::create(rewriter, loc, vt, input->get(),
                                                          indices, pad, ArrayRef<bool>{true})
                               .getResult());
        }
        mapping.map(accArg, loop.getRegionIterArgs()[row * unroll + u]);
        for (Operation &bodyOp : body->without_terminator()) {
          SmallVector<Value> operands;
          for (Value operand : bodyOp.getOperands()) {
            Value mapped = mapping.lookupOrNull(operand);
            if (!mapped) // a scalar from above the op
              mapped = vector::BroadcastOp::create(rewriter, loc,
                                                   VectorType::get({lanes}, operand.getType()),
                                                   operand);
            operands.push_back(mapped);
          }
          OperationState state(loc, bodyOp.getName(), operands,
                               TypeRange{VectorType::get({lanes}, bodyOp.getResult(0).getType())},
                               bodyOp.getAttrs());
          Operation *vectorOp = rewriter.create(state);
          mapping.map(bodyOp.getResult(0), vectorOp->getResult(0));
        }
        next.push_back(mapping.lookup(yield->getOperand(0)));
      }
    }
    scf::YieldOp::create(rewriter, loc, next);
  }
  // Per row: combine the U accumulators, reduce horizontally into the
  // output's running value.
  Value result = init->get();
  for (int64_t row = 0; row < rows; ++row) {
    SmallVector<int64_t> pos = rowPosition(row);
    Value acc = loop.getResult(row * unroll);
    for (int64_t u = 1; u < unroll; ++u) {
      OperationState state(loc, combiner->getName(),
                           ValueRange{acc, loop.getResult(row * unroll + u)}, TypeRange{vt},
                           combiner->getAttrs());
      acc = rewriter.create(state)->getResult(0);
    }
    SmallVector<Value> outIndices;
    for (AffineExpr e : outMap.getResults())
      outIndices.push_back(index(pos[cast<AffineDimExpr>(e).getPosition()]));
    Value start = tensor::ExtractOp::create(rewriter, loc, init->get(), outIndices);
    auto reduced = vector::ReductionOp::create(rewriter, loc, *kind, acc, start,
                                               arith::FastMathFlags::reassoc);
    result = tensor::InsertOp::create(rewriter, loc, reduced.getResult(), result, outIndices);
  }
  rewriter.replaceOp(op, result);
  return result;
}

/// A vector read of a slice that steps by s > 1 along its innermost
/// dimension (a stride-2 convolution's or pooling's input row): LLVM
/// would load it element by element. Read the contiguous run instead
/// (n * s elements, masked at the slice's end) and keep every s-th
/// element with one shuffle per row.
struct ContiguousStridedRead : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    auto slice = read.getBase().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || read.getMask() || !read.getPermutationMap().isMinorIdentity() ||
        llvm::any_of(ArrayRef<bool>(read.getInBoundsValues()).drop_back(),
                     [](bool b) { return !b; }))
      return failure();
    VectorType vt = read.getVectorType();
    ArrayRef<int64_t> strides = slice.getStaticStrides();
    int64_t rank = slice.getSourceType().getRank();
    if (vt.getRank() == 0 || vt.isScalable() || strides.empty() ||
        ShapedType::isDynamic(strides.back()) || strides.back() <= 1 ||
        slice.getDroppedDims().test(rank - 1) ||
        ShapedType::isDynamic(slice.getStaticSizes().back()))
      return failure();
    int64_t s = strides.back();
    int64_t n = vt.getShape().back();
    Location loc = read.getLoc();
    SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
    SmallVector<OpFoldResult> newStrides = slice.getMixedStrides();
    int64_t size = slice.getStaticSizes().back();
    sizes.back() = rewriter.getIndexAttr((size - 1) * s + 1);
    newStrides.back() = rewriter.getIndexAttr(1);
    SmallVector<int64_t> shape(slice.getType().getShape());
    shape.back() = (size - 1) * s + 1;
    auto contiguousType = RankedTensorType::get(shape, slice.getType().getElementType());
    Value contiguous = tensor::ExtractSliceOp::create(
        rewriter, loc, contiguousType, slice.getSource(), slice.getMixedOffsets(),
        sizes, newStrides);
    SmallVector<Value> indices(read.getIndices());
    Value scale = arith::ConstantIndexOp::create(rewriter, loc, s);
    indices.back() = arith::MulIOp::create(rewriter, loc, indices.back(), scale);
    SmallVector<int64_t> wideShape(vt.getShape());
    wideShape.back() = n * s;
    auto wideType = VectorType::get(wideShape, vt.getElementType());
    SmallVector<bool> inBounds(vt.getRank(), true);
    inBounds.back() = false; // the last s - 1 elements may lie past the end
    Value wide = vector::TransferReadOp::create(rewriter, loc, wideType, contiguous,
                                                indices, read.getPadding(), inBounds);
    SmallVector<int64_t> mask;
    for (int64_t i = 0; i < n; ++i)
      mask.push_back(i * s);
    auto narrow = [&](Value row) -> Value {
      return vector::ShuffleOp::create(rewriter, loc, row, row, mask);
    };
    if (vt.getRank() == 1) {
      rewriter.replaceOp(read, narrow(wide));
      return success();
    }
    Value result = ub::PoisonOp::create(rewriter, loc, vt);
    ArrayRef<int64_t> leading = vt.getShape().drop_back();
    SmallVector<int64_t> position(leading.size(), 0);
    for (int64_t count = computeProduct(leading), i = 0; i < count; ++i) {
      SmallVector<int64_t> at = delinearize(i, computeStrides(leading));
      Value row = vector::ExtractOp::create(rewriter, loc, wide, at);
      result = vector::InsertOp::create(rewriter, loc, narrow(row), result, at);
    }
    rewriter.replaceOp(read, result);
    return success();
  }
};

/// An elementwise vector op whose operands are all the same along the
/// innermost vector dimension (splat constants, reads that broadcast along
/// it, broadcasts of a vector<...x1>): computed once on vector<...x1> and
/// broadcast after. The vectoriser broadcasts a row's value (layernorm's
/// variance) across the whole register tile before the body runs, so
/// rsqrt(var + eps) ran once per element, not once per row: 64 times over
/// on a tile of 8 x 64, a sqrt and a divide per 16 lanes.
struct RowInvariantElementwise : RewritePattern {
  RowInvariantElementwise(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!OpTrait::hasElementwiseMappableTraits(op) || op->getNumResults() != 1 ||
        op->getNumRegions() || op->getNumOperands() == 0 ||
        !isa<arith::ArithDialect, math::MathDialect>(op->getDialect()))
      return failure();
    auto vt = dyn_cast<VectorType>(op->getResult(0).getType());
    if (!vt || vt.getRank() == 0 || vt.isScalable() || vt.getShape().back() <= 1)
      return failure();
    SmallVector<int64_t> narrowShape(vt.getShape());
    narrowShape.back() = 1;
    auto narrowOf = [&](Type t) {
      return VectorType::get(narrowShape, getElementTypeOrSelf(t));
    };
    // Per operand, how to make its narrow version (checked before rewriting).
    bool anyNonConstant = false;
    for (Value operand : op->getOperands()) {
      auto ot = dyn_cast<VectorType>(operand.getType());
      if (!ot || ot.getShape() != vt.getShape())
        return failure();
      DenseElementsAttr splat;
      if (matchPattern(operand, m_Constant(&splat)) && splat.isSplat())
        continue;
      anyNonConstant = true;
      if (auto read = operand.getDefiningOp<vector::TransferReadOp>()) {
        AffineMap map = read.getPermutationMap();
        auto last = dyn_cast<AffineConstantExpr>(map.getResults().back());
        if (!last || last.getValue() != 0 || read.getMask())
          return failure();
        continue;
      }
      if (auto bcast = operand.getDefiningOp<vector::BroadcastOp>())
        if (bcast.getSourceType() == narrowOf(ot.getElementType()))
          continue;
      return failure();
    }
    if (!anyNonConstant)
      return failure();
    SmallVector<Value> narrow;
    for (Value operand : op->getOperands()) {
      Type et = getElementTypeOrSelf(operand.getType());
      DenseElementsAttr splat;
      if (matchPattern(operand, m_Constant(&splat)) && splat.isSplat()) {
        narrow.push_back(arith::ConstantOp::create(
            rewriter, op->getLoc(), narrowOf(et),
            DenseElementsAttr::get(narrowOf(et), splat.getSplatValue<Attribute>())));
        continue;
      }
      if (auto read = operand.getDefiningOp<vector::TransferReadOp>()) {
        narrow.push_back(vector::TransferReadOp::create(
                             rewriter, read.getLoc(), narrowOf(et), read.getBase(),
                             read.getIndices(), read.getPermutationMapAttr(),
                             read.getPadding(), /*mask=*/Value(), read.getInBoundsAttr())
                             .getResult());
        continue;
      }
      narrow.push_back(operand.getDefiningOp<vector::BroadcastOp>().getSource());
    }
    OperationState state(op->getLoc(), op->getName(), narrow,
                         TypeRange{narrowOf(getElementTypeOrSelf(vt))}, op->getAttrs());
    Operation *small = rewriter.create(state);
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, vt, small->getResult(0));
    return success();
  }
};

/// Vector registers of `vectorBits` that hoisting `loop`'s invariant subsets
/// would keep live across the whole loop: the vectors read at loop-invariant
/// indices from its tensor iter_args (through slices at invariant offsets
/// and the writes and inserts of earlier tiles into the same tensor).
static int64_t hoistedRegisters(scf::ForOp loop, int64_t vectorBits) {
  auto invariant = [&](ValueRange values) {
    return llvm::all_of(values, [&](Value v) {
      return loop.isDefinedOutsideOfLoop(v) || matchPattern(v, m_Constant());
    });
  };
  int64_t registers = 0;
  SmallVector<Value> work(loop.getRegionIterArgs());
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!isa<RankedTensorType>(v.getType()))
      continue;
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (user->getParentRegion() != &loop.getRegion() || !seen.insert(user).second)
        continue;
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user)) {
        if (invariant(slice.getOffsets()))
          work.push_back(slice.getResult());
      } else if (auto read = dyn_cast<vector::TransferReadOp>(user)) {
        VectorType vt = read.getVectorType();
        if (!invariant(read.getIndices()) || vt.getRank() == 0)
          continue;
        int64_t rows = vt.getNumElements() / vt.getShape().back();
        int64_t rowBits = vt.getShape().back() * vt.getElementTypeBitWidth();
        registers += rows * llvm::divideCeil(rowBits, vectorBits);
      } else if (auto write = dyn_cast<vector::TransferWriteOp>(user)) {
        if (use.get() == write.getBase() && write.getResult())
          work.push_back(write.getResult());
      } else if (auto insert = dyn_cast<tensor::InsertSliceOp>(user)) {
        if (use.get() == insert.getDest())
          work.push_back(insert.getResult());
      }
    }
  }
  return registers;
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
      // Vector registers' width (bits): the host's AVX-512 without a target.
      int64_t vectorBits = target ? target.getVectorBits() : 512;
      int64_t registers = target ? target.getRegsPerUnit() : 32;
      if (failed(lowerFunction(func, onGPU, vectorBits, registers)))
        return signalPassFailure();
      func->removeAttr(RollerDialect::kTargetAttrName);
    }
    if (!keptGPU)
      module->removeAttr(RollerDialect::kTargetAttrName);
  }

  LogicalResult lowerFunction(FunctionOpInterface func, bool onGPU,
                              int64_t vectorBits, int64_t registers) {
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
      // Transposing copies, partial tiles included (masked), see transposeTile.
      if (succeeded(transposeTile(rewriter, op)))
        continue;
      // A remainder of the reduction alone (the k a register tile's k step
      // leaves of a last cache tile, dynamic): one k per step keeps the
      // register tile vectors (an outer product per k), where it stayed
      // scalar loops (1024x256x63: 40 GFLOP/s, K = 63 leaving 7 of each
      // 32-wide cache tile's 31).
      if (op.hasPureTensorSemantics() && op.hasDynamicShape())
        if (FailureOr<linalg::LinalgOp> stepped = reductionRemainderByOne(rewriter, op);
            succeeded(stepped))
          op = *stepped;
      if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
        continue; // a remainder tile: stays scalar
      // NCHW: vectors along the image row, see dropUnitLoops.
      if (vectorLoopIsSpatial(op)) {
        FailureOr<linalg::LinalgOp> flat = dropUnitLoops(rewriter, op);
        if (succeeded(flat)) {
          bool done = false;
          if (auto mm = dyn_cast<linalg::MatmulOp>(flat->getOperation()))
            done = succeeded(fmaMatmulTile(rewriter, mm, vectorBits));
          else if (auto generic = dyn_cast<linalg::GenericOp>(flat->getOperation()))
            done = succeeded(rowsElementwiseTile(rewriter, generic, vectorBits));
          if (!done)
            toVectorize.push_back(*flat);
          continue;
        }
      }
      // Reductions along the row: vector accumulators, see rowReductionTile.
      if (succeeded(rowReductionTile(rewriter, op, vectorBits)))
        continue;
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
      // A contraction written as a generic (a matmul tile of q @ k^T after
      // roller-fold-transposes, the frontend's einsums) as its named op,
      // which vectorises to vector.contract; the generic became broadcasts,
      // mulf and a multi_reduction (256x256x32: 25x slower).
      // Only with matmul's / batch_matmul's own maps: a tile of x @ w.T
      // specialised to a mapped linalg.matmul vectorised wrongly (37x53x29
      // with 53 columns in 64 lanes).
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
        if (linalg::isaContractionOpInterface(op) && hasPlainMatmulMaps(op)) {
          rewriter.setInsertionPoint(generic);
          FailureOr<linalg::LinalgOp> named = linalg::specializeGenericOp(rewriter, generic);
          if (succeeded(named))
            op = *named;
        }
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
    {
      // transposeTile's blocks. 16 x 16 blocks of 32-bit elements: upstream's shuffle network;
      // other blocks (8 x 8 on AVX2, f64, remainders of fewer lanes): one
      // flat shuffle, which LLVM lowers to unpacks and permutes.
      using vector::VectorTransposeLowering;
      for (VectorTransposeLowering how :
           {VectorTransposeLowering::Shuffle16x16, VectorTransposeLowering::Shuffle1D}) {
        SmallVector<Operation *> left;
        func.walk([&](vector::TransposeOp t) {
          if (t->hasAttr(kTransposeMarker))
            left.push_back(t);
        });
        if (left.empty())
          break;
        RewritePatternSet patterns(func.getContext());
        vector::populateVectorTransposeLoweringPatterns(patterns, how);
        (void)applyOpPatternsGreedily(left, std::move(patterns));
      }
    }
    {
      RewritePatternSet patterns(func.getContext());
      patterns.add<ContiguousStridedRead, RowInvariantElementwise>(func.getContext());
      (void)applyPatternsGreedily(func, std::move(patterns));
    }
    // Keep accumulators in registers across reduction loops. The vectoriser
    // creates the transfers' index constants inside the loop, where the
    // subset hoisting does not take them for loop invariants (the
    // accumulator then went through its tensor on every reduction step);
    // moving invariant code out first lets the read/write pair be hoisted,
    // leaving a vector iter_arg.
    // Vectorised tanh / erf would become one libm call per lane: use
    // polynomial approximations instead (they stay vectors): upstream's for
    // tanh, one rational function for erf (MathApprox.cpp: upstream's picks
    // its coefficients per lane with ~20 selects, 1.8x slower on GELU).
    {
      RewritePatternSet patterns(func.getContext());
      populatePolynomialApproximateTanhPattern(patterns);
      populateRationalErfPattern(patterns);
      (void)applyPatternsGreedily(func, std::move(patterns));
    }
    // Likewise vector exp (softmax's exp(x - max), inside the row
    // reductions and their elementwise consumers): LLVM has no vector expf
    // without a vector library and scalarised it into one call per lane.
    // Scalar exp stays libm's.
    {
      SmallVector<Operation *> vectorExps;
      func.walk([&](math::ExpOp exp) {
        if (isa<VectorType>(exp.getType()) &&
            getElementTypeOrSelf(exp.getType()).isF32())
          vectorExps.push_back(exp);
      });
      if (!vectorExps.empty()) {
        RewritePatternSet patterns(func.getContext());
        populateMathPolynomialApproximationPatterns(
            patterns, [](StringRef name) { return name == "exp" || name == "math.exp"; });
        (void)applyOpPatternsGreedily(vectorExps, std::move(patterns));
      }
    }
    // Fold what vectorisation left (inside scf.forall the accumulator's
    // read/write pair is only recognised as a subset after folding).
    (void)canonicalize(func);
    SmallVector<LoopLikeOpInterface> loops;
    func.walk([&](scf::ForOp loop) { loops.push_back(loop); }); // innermost first
    // Loops whose accumulators stay in memory, and those around them:
    // hoisting an outer loop past such an inner loop's iter_args left an
    // scf.for yielding a value of its nested loop's body (8 x 48 tiles of a
    // 1x32x3x35 input with 48 filters; the next canonicalization crashed).
    llvm::SmallPtrSet<Operation *, 8> inMemory;
    for (LoopLikeOpInterface loop : loops) {
      moveLoopInvariantCode(loop);
      bool around = false;
      loop->walk([&](scf::ForOp inner) { around |= inMemory.contains(inner); });
      if (around) {
        inMemory.insert(loop);
        continue;
      }
      // Not when the accumulators would outgrow the register file: a cache
      // tile's reduction step over a full register tile and its peeled
      // remainder (16 x 16 and 16 x 12 of a 16 x 28 output, k in steps of
      // 8) kept both tiles live across the k loop, 32 vector registers
      // with the operands on top, and spilled. They stay in L1 between the
      // steps instead, as the policy priced them (MobileNetV2's 96 -> 16
      // projection with that tile in its welder group, 1 thread: 89 -> 85
      // us per block; roller's 8 x 32 tile there runs at 72).
      if (hoistedRegisters(cast<scf::ForOp>(loop.getOperation()), vectorBits) + 2 >
          registers) {
        inMemory.insert(loop);
        continue;
      }
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
    SmallVector<int64_t> thread(tile.getTiles()[1].asArrayRef());
    Operation *current = op;
    SmallVector<LoopLikeOpInterface> loops;
    using LoopType = scf::SCFTilingOptions::LoopType;
    auto reduction = [&](unsigned d) { return !isParallel(d); };
    // Inside a block-level loop already (a welder group's tile): the group
    // tile is the block's work and this op's tile loop is its threads'.
    // One block has at most 1024 threads: the thread tile grows along its
    // loop with the most threads until the tile fits.
    bool inBlock = op->getParentOfType<scf::ForallOp>() != nullptr;
    if (inBlock) {
      SmallVector<Range> domain =
          cast<TilingInterface>(op.getOperation()).getIterationDomain(rewriter);
      SmallVector<int64_t> extents = llvm::map_to_vector(domain, [](Range r) {
        return getConstantIntValue(r.size).value_or(ShapedType::kDynamic);
      });
      if (llvm::any_of(extents, ShapedType::isDynamic))
        return op->emitError("roller-lower: a GPU tile inside a block needs static sizes");
      auto threads = [&] {
        int64_t n = 1;
        for (unsigned d = 0; d < thread.size(); ++d)
          if (isParallel(d))
            n *= llvm::divideCeil(extents[d], std::min(thread[d], extents[d]));
        return n;
      };
      while (threads() > kMaxThreadsPerBlock) {
        unsigned widest = 0;
        int64_t most = 0;
        for (unsigned d = 0; d < thread.size(); ++d) {
          int64_t trips = isParallel(d) ? llvm::divideCeil(extents[d], thread[d]) : 0;
          if (trips > most)
            most = trips, widest = d;
        }
        thread[widest] *= 2;
      }
    }
    // Every level makes its loops, even for whole ranges: the GPU pipeline
    // maps the first forall to blocks and the nested one to threads.
    if (!inBlock &&
        failed(tileLoops(rewriter, current, block, isParallel, LoopType::ForallOp,
                         /*skipWhole=*/false, loops)))
      return failure();
    // A contraction's operands go through shared memory, one reduction step
    // at a time, copied by all the block's threads (StageShared.cpp).
    SmallVector<Operation *> copies;
    if (stageShared(rewriter, current, block, kStagedSharedBytes, copies)) {
      int64_t threads = 1;
      auto stepped = cast<TilingInterface>(current);
      for (auto [d, range] : llvm::enumerate(stepped.getIterationDomain(rewriter)))
        if (isParallel(d))
          threads *= llvm::divideCeil(*getConstantIntValue(range.size), thread[d]);
      int64_t vectorElems = 4; // 16-byte loads and stores
      for (Operation *copy : copies) {
        Operation *part = copy;
        SmallVector<LoopLikeOpInterface> copyLoops;
        if (failed(tileLoops(rewriter, part, copyThreadTile(copy, threads, vectorElems),
                             [](unsigned) { return true; }, LoopType::ForallOp,
                             /*skipWhole=*/false, copyLoops)))
          return failure();
        markRegisterTile(rewriter, part);
      }
      if (failed(tileLoops(rewriter, current, thread, isParallel, LoopType::ForallOp,
                           /*skipWhole=*/false, loops)))
        return failure();
      markRegisterTile(rewriter, current);
      return success();
    }
    if (failed(tileLoops(rewriter, current, thread, isParallel, LoopType::ForallOp,
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
    // Inputs roller-construct chose to pack (roller.pack): copied into
    // contiguous panels of the register tile's width once per cache tile
    // and reduction step, just before the register tiling (PackPanels.cpp).
    SmallVector<int64_t> packOperands;
    if (auto pack = op->getAttrOfType<DenseI64ArrayAttr>(RollerDialect::kPackAttrName))
      packOperands.assign(pack.asArrayRef().begin(), pack.asArrayRef().end());
    SmallVector<PackedPanels> packed;
    size_t levels = tile.getTiles().size();
    // The loop along the output's contiguous dimension (read before the
    // tiling below replaces `op`).
    Location loc = op.getLoc();
    unsigned numLoops = op.getNumLoops();
    std::optional<unsigned> outputVectorLoop;
    if (op.getNumDpsInits() == 1) {
      AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
      if (out.getNumResults())
        if (auto d = dyn_cast<AffineDimExpr>(out.getResults().back()))
          outputVectorLoop = d.getPosition();
    }
    for (auto [level, sizes] : llvm::enumerate(tile.getTiles())) {
      if (level + 1 == levels && level > 0 && !packOperands.empty())
        if (failed(packInputs(rewriter, cast<linalg::LinalgOp>(current), loc,
                              packOperands, sizes.asArrayRef(), packed)))
          return failure();
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
      // With packed panels, the register tiles walk the panels outermost
      // and the rows inside (BLIS's order): a kc x nr panel stays in L1
      // while every row tile of the cache tile uses it, and A's rows (mr x
      // kc) stream instead. Rows outermost streamed each panel from L2 once
      // per row tile. 1 thread, kernel: 128x3072x768 229 -> 241 GFLOP/s,
      // 128x768x3072 234 -> 242, 128x2304x768 245 -> 251; 1024^3 without
      // welder's group tile 253 -> 264.
      SmallVector<int64_t> interchange;
      if (!packed.empty() && outputVectorLoop) {
        unsigned v = *outputVectorLoop;
        interchange.push_back(v);
        for (unsigned d = 0; d < numLoops; ++d)
          if (d != v)
            interchange.push_back(d);
      }
      if (failed(tileLoops(rewriter, current, sizes.asArrayRef(), all,
                           LoopType::ForOp, /*skipWhole=*/true,
                           innermostLevelLoops, interchange)))
        return failure();
    }
    markRegisterTile(rewriter, current);
    auto tiled = cast<linalg::LinalgOp>(current);
    // Dot-product tiles peel their partials too: a row left over by mr
    // (the third of 3 rows of x @ w.T under 2 x 4 tiles) ran scalar over
    // every column (3x4097x1000: 2.25 ms, 0.38 ms with it vectorised).
    // Transposing copies too: every tile then has static sizes and moves
    // through vector registers (a 197-row remainder ran element by element).
    bool partialsToo = vectorLoopIsSpatial(tiled) || isDotProduct(tiled) ||
                       transposingCopy(tiled).has_value() ||
                       linalg::isaContractionOpInterface(tiled);
    if (!innermostLevelLoops.empty())
      if (auto outer = dyn_cast<scf::ForOp>(innermostLevelLoops.front().getOperation()))
        peelNest(rewriter, outer, partialsToo);
    // Whole register tiles read the panels; partial ones the operand itself.
    for (const PackedPanels &panels : packed)
      readPackedPanels(rewriter, panels.packed.getDefiningOp()->getParentOp(),
                       kVectorizeMarker, panels);
    return success();
  }

  /// Packs each input in `operands` of the cache tile `op` into panels as
  /// wide as the register tile `reg` along the output's contiguous loop.
  /// An input that cannot be packed (a hand-written roller.pack on an
  /// operand that is not [1..., k, n] with whole panels) is left in place,
  /// with a remark.
  LogicalResult packInputs(RewriterBase &rewriter, linalg::LinalgOp op, Location loc,
                           ArrayRef<int64_t> operands, ArrayRef<int64_t> reg,
                           SmallVector<PackedPanels> &packed) {
    if (op.getNumDpsInits() != 1)
      return success();
    AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    AffineExpr vectorDim = out.getNumResults() ? out.getResults().back() : AffineExpr();
    for (int64_t operand : operands) {
      FailureOr<PackedPanels> panels = failure();
      if (isa_and_nonnull<AffineDimExpr>(vectorDim) && operand >= 0 &&
          operand < op.getNumDpsInputs()) {
        AffineMap map = op.getMatchingIndexingMap(op.getDpsInputOperand(operand));
        if (map.getNumResults() >= 2 && map.getResults().back() == vectorDim)
          panels = packPanels(rewriter, op, operand,
                              reg[cast<AffineDimExpr>(vectorDim).getPosition()]);
      }
      if (failed(panels)) {
        emitRemark(loc) << "roller-lower: input " << operand
                        << " is not packed: not a [1..., k, n] operand with whole "
                           "panels of the register tile's width";
        continue;
      }
      packed.push_back(*panels);
    }
    return success();
  }
};

} // namespace
