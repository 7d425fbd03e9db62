//===- Construct.cpp - --roller-construct --------------------------------===//

#include "Roller/ConvsAsMatmuls.h"
#include "Roller/Policy.h"
#include "Roller/Passes.h"
#include "Roller/Targets.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::fourfold::roller {
#define GEN_PASS_DEF_ROLLERCONSTRUCT
#include "Roller/Passes.h.inc"
} // namespace mlir::fourfold::roller

using namespace mlir;
using namespace mlir::fourfold::roller;

namespace {

RTileAttr toAttr(MLIRContext *ctx, const Candidate &c) {
  SmallVector<StringAttr> levels;
  SmallVector<DenseI64ArrayAttr> tiles;
  for (auto [level, tile] : llvm::zip(c.levels, c.tiles)) {
    levels.push_back(StringAttr::get(ctx, level));
    tiles.push_back(DenseI64ArrayAttr::get(ctx, tile));
  }
  return RTileAttr::get(ctx, levels, tiles);
}

/// CPU: a static tensor.pad with a padding value from outside its body (a
/// convolution's zero or pooling's -inf border) becomes a linalg.fill of
/// the padded tensor and a linalg.copy of the input into its interior,
/// which get rTiles (and vector code) like any operator. Left as it was,
/// bufferization made the pad one memref.copy into a strided view, which
/// the runtime's generic memrefCopy moves element by element: 200 us for
/// 1x96x28x28 floats, most of a small MobileNetV2 block's time.
void decomposePads(ModuleOp module, TargetAttr forced) {
  SmallVector<tensor::PadOp> pads;
  module.walk([&](tensor::PadOp pad) {
    TargetAttr target = forced ? forced : getAttachedTarget(pad);
    if (target && target.getKind() == TargetKind::cpu &&
        !pad->hasAttr(RollerDialect::kTileAttrName) &&
        pad.getSourceType().hasStaticShape() && pad.getResultType().hasStaticShape() &&
        pad.getSourceType().getNumElements() > 0 && pad.getConstantPaddingValue())
      pads.push_back(pad);
  });
  IRRewriter rewriter(module.getContext());
  for (tensor::PadOp pad : pads) {
    Location loc = pad.getLoc();
    rewriter.setInsertionPoint(pad);
    RankedTensorType type = pad.getResultType();
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    Value filled = linalg::FillOp::create(rewriter, loc, pad.getConstantPaddingValue(),
                                          empty)
                       .getResult(0);
    SmallVector<OpFoldResult> offsets = pad.getMixedLowPad();
    SmallVector<OpFoldResult> sizes, strides;
    for (int64_t size : pad.getSourceType().getShape()) {
      sizes.push_back(rewriter.getIndexAttr(size));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    Value interior = tensor::ExtractSliceOp::create(rewriter, loc, filled, offsets,
                                                    sizes, strides);
    Value copied = linalg::CopyOp::create(rewriter, loc, pad.getSource(), interior)
                       .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(pad, copied, filled, offsets,
                                                       sizes, strides);
  }
}

/// Whether dimensions [first, first + count) of `value` are one contiguous
/// run once bufferized: through every slice up to the buffer (a function
/// argument, a fresh tensor; slices are a welder group's tiles), unit
/// strides, no rank reduction, and those after `first` taken whole.
/// Otherwise a collapse_shape of them bufferizes to a copy.
bool dimsContiguous(Value value, unsigned first, unsigned count) {
  for (auto slice = value.getDefiningOp<tensor::ExtractSliceOp>(); slice;
       slice = slice.getSource().getDefiningOp<tensor::ExtractSliceOp>()) {
    if (!slice.hasUnitStride() ||
        slice.getSourceType().getRank() != slice.getResultType().getRank())
      return false;
    for (unsigned i = first + 1; i < first + count; ++i)
      if (slice.getStaticSizes()[i] != slice.getSourceType().getDimSize(i) ||
          slice.getStaticOffsets()[i] != 0)
        return false;
  }
  return true;
}

/// Whether every operand that `run` indexes holds those dimensions
/// contiguously in memory once bufferized (dimsContiguous).
bool runIsContiguous(linalg::GenericOp op, ArrayRef<int64_t> run) {
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    std::optional<unsigned> first = map.getResultPosition(
        getAffineDimExpr(run.front(), op.getContext()));
    if (first && !dimsContiguous(operand.get(), *first, run.size()))
      return false;
  }
  return true;
}

/// CPU: consecutive reduction loops that every operand indexes as one run
/// of consecutive dimensions (global average pooling's 7 x 7, a sum over
/// h and w) become one loop, so that a contiguous reduction is one row the
/// policy vectorises along (constructCPU's row reductions take exactly one
/// reduced loop). Left as two loops, ResNet-50's 1x2048x7x7 average pool
/// was vectorised across channels 49 floats apart: 15 us, for 400 KB that
/// L2 streams in about 2 us.
void collapseReductionRuns(ModuleOp module, TargetAttr forced) {
  SmallVector<std::pair<linalg::GenericOp, SmallVector<ReassociationIndices>>> work;
  module.walk([&](linalg::GenericOp op) {
    TargetAttr target = forced ? forced : getAttachedTarget(op);
    if (!target || target.getKind() != TargetKind::cpu ||
        op->hasAttr(RollerDialect::kTileAttrName) || !op.hasPureTensorSemantics() ||
        op.hasDynamicShape())
      return;
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<ReassociationIndices> runs;
    int64_t n = iterators.size();
    for (int64_t d = 0; d < n;) {
      if (iterators[d] != utils::IteratorType::reduction) {
        ++d;
        continue;
      }
      ReassociationIndices run = {d};
      while (run.back() + 1 < n &&
             iterators[run.back() + 1] == utils::IteratorType::reduction) {
        ReassociationIndices longer = run;
        longer.push_back(run.back() + 1);
        if (!linalg::areDimSequencesPreserved(maps, {longer}))
          break;
        run = longer;
      }
      if (run.size() > 1 && runIsContiguous(op, run))
        runs.push_back(run);
      d = run.back() + 1;
    }
    if (!runs.empty())
      work.push_back({op, runs});
  });
  IRRewriter rewriter(module.getContext());
  for (auto &[op, runs] : work) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::CollapseResult> collapsed =
        linalg::collapseOpIterationDims(cast<linalg::LinalgOp>(op.getOperation()), runs, rewriter);
    if (succeeded(collapsed))
      rewriter.replaceOp(op, collapsed->results);
  }
}

/// CPU NCHW convolutions that the rewrite below takes: one image,
/// stride 1, static float types, output rows at most half a vector wide
/// (roller vectorises a convolution along one output row: at 7 x 7 that is
/// 7 of 16 lanes) and an input slice that takes whole image rows.
SmallVector<linalg::Conv2DNchwFchwOp> narrowRowConvs(ModuleOp module, TargetAttr forced) {
  SmallVector<linalg::Conv2DNchwFchwOp> convs;
  module.walk([&](linalg::Conv2DNchwFchwOp conv) {
    TargetAttr target = forced ? forced : getAttachedTarget(conv);
    if (!target || target.getKind() != TargetKind::cpu ||
        conv->hasAttr(RollerDialect::kTileAttrName) || !convPatchBytes(conv))
      return;
    auto x = cast<RankedTensorType>(conv.getInputs()[0].getType());
    auto out = cast<RankedTensorType>(conv.getOutputs()[0].getType());
    Type et = out.getElementType();
    if (x.getDimSize(0) != 1 ||
        !llvm::all_of(conv.getStrides().getValues<int64_t>(), [](int64_t s) { return s == 1; }))
      return;
    int64_t lanes = std::max<int64_t>(1, target.getVectorBits() / et.getIntOrFloatBitWidth());
    if (2 * out.getDimSize(3) <= lanes && imageRowsContiguous(conv.getInputs()[0]))
      convs.push_back(conv);
  });
  return convs;
}

/// Whether `conv`'s filter is 1x1.
bool isPointwise(linalg::Conv2DNchwFchwOp conv) {
  auto w = cast<RankedTensorType>(conv.getInputs()[1].getType());
  return w.getDimSize(2) == 1 && w.getDimSize(3) == 1;
}

/// CPU: a narrow-row convolution (narrowRowConvs) with a filter wider than
/// 1x1 (ResNet-50's 3x3 convolutions at 7 x 7 and 4 x 4) is computed over
/// the input's row pitch: output position q = oh x IW + ow reads input q +
/// d (kh x IW + kw) of the image flattened to [C, IH x IW], one 1-D
/// convolution along q with two window loops. The IW - OW columns per row
/// that are not outputs are computed and dropped (for the outputs that
/// are, ow + d kw stays inside the row), and q stops after the last output,
/// so no read leaves the image. Vectors then run along (OH - 1) x IW + OW
/// positions instead of one row of OW: at 7 x 7 (IW 9) 49 outputs in 61
/// lanes' work instead of 7 of 16 per row. The result is a [F, OH, OW] view
/// of a [F, OH x IW] buffer. Needs the convolution's initial value to be a
/// fill (it is recreated on the new buffer).
void narrowConvsAsRowRuns(ModuleOp module, TargetAttr forced) {
  IRRewriter rewriter(module.getContext());
  MLIRContext *ctx = module.getContext();
  for (linalg::Conv2DNchwFchwOp conv : narrowRowConvs(module, forced)) {
    auto fill = conv.getOutputs()[0].getDefiningOp<linalg::FillOp>();
    if (isPointwise(conv) || !fill)
      continue;
    Location loc = conv.getLoc();
    rewriter.setInsertionPoint(conv);
    auto x = cast<RankedTensorType>(conv.getInputs()[0].getType());
    auto out = cast<RankedTensorType>(conv.getOutputs()[0].getType());
    Type et = out.getElementType();
    SmallVector<int64_t> dil(conv.getDilations().getValues<int64_t>());
    int64_t f = out.getDimSize(1), oh = out.getDimSize(2), ow = out.getDimSize(3);
    int64_t iw = x.getDimSize(3);
    int64_t q = (oh - 1) * iw + ow;
    // [1, C, IH, IW] -> [C, IH x IW].
    Value flat = tensor::CollapseShapeOp::create(
        rewriter, loc, conv.getInputs()[0], SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
    Value buffer = tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{f, oh * iw}, et);
    auto index = [&](int64_t i) { return OpFoldResult(rewriter.getIndexAttr(i)); };
    Value run = tensor::ExtractSliceOp::create(rewriter, loc, buffer,
                                               ArrayRef<OpFoldResult>{index(0), index(0)},
                                               ArrayRef<OpFoldResult>{index(f), index(q)},
                                               ArrayRef<OpFoldResult>{index(1), index(1)});
    Value init = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], run).getResult(0);
    // Loops (f, q, c, kh, kw).
    AffineExpr df, dq, dc, dkh, dkw;
    bindDims(ctx, df, dq, dc, dkh, dkw);
    SmallVector<AffineMap> maps = {
        AffineMap::get(5, 0, {dc, dq + dkh * (dil[0] * iw) + dkw * dil[1]}, ctx),
        AffineMap::get(5, 0, {df, dc, dkh, dkw}, ctx), AffineMap::get(5, 0, {df, dq}, ctx)};
    Value weights = conv.getInputs()[1];
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction, utils::IteratorType::reduction,
        utils::IteratorType::reduction};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{flat, weights}, ValueRange{init},
        maps, iterators, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value product = arith::MulFOp::create(b, loc, args[0], args[1]);
          linalg::YieldOp::create(b, loc,
                                  ValueRange{arith::AddFOp::create(b, loc, args[2], product)});
        });
    // The outputs: [F, Q] into [F, OH x IW], viewed as [1, F, OH, IW], the
    // first OW columns of each row.
    Value whole = tensor::InsertSliceOp::create(
        rewriter, loc, generic.getResult(0), buffer, ArrayRef<OpFoldResult>{index(0), index(0)},
        ArrayRef<OpFoldResult>{index(f), index(q)}, ArrayRef<OpFoldResult>{index(1), index(1)});
    auto rowsType = RankedTensorType::get({1, f, oh, iw}, et);
    Value rows = tensor::ExpandShapeOp::create(
        rewriter, loc, rowsType, whole, SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        conv, out, rows, ArrayRef<OpFoldResult>{index(0), index(0), index(0), index(0)},
        ArrayRef<OpFoldResult>{index(1), index(f), index(oh), index(ow)},
        ArrayRef<OpFoldResult>{index(1), index(1), index(1), index(1)});
  }
}

/// An operand to read from a copy of its root tensor whose second
/// dimension is `extra` elements longer (see paddedRowOperands).
struct RowPadding {
  Operation *op;
  unsigned operand;
  int64_t extra;
};

/// CPU: each RowPadding's root tensor (what its chain of extract_slices,
/// a welder group's tiles, starts from) copied once, where it is defined,
/// into the interior of a tensor with longer rows, and the chain redirected
/// to the copy: the register tiles then broadcast from rows that fall into
/// different L1 sets. Only roots defined outside every loop (a weight
/// argument), so that the copy runs once per call. Returns the copies.
SmallVector<linalg::CopyOp> padRows(ArrayRef<RowPadding> requests, bool explain) {
  SmallVector<linalg::CopyOp> copies;
  llvm::DenseMap<Value, Value> copyOf;
  for (const RowPadding &request : requests) {
    OpOperand *use = &request.op->getOpOperand(request.operand);
    while (auto slice = use->get().getDefiningOp<tensor::ExtractSliceOp>())
      use = &slice.getSourceMutable();
    Value root = use->get();
    auto type = dyn_cast<RankedTensorType>(root.getType());
    Operation *parent = root.getParentRegion()->getParentOp();
    if (!type || !type.hasStaticShape() || type.getRank() < 2 ||
        !isa<FunctionOpInterface>(parent))
      continue;
    Value &copy = copyOf[root];
    if (!copy) {
      Location loc = root.getLoc();
      OpBuilder builder(root.getContext());
      if (Operation *def = root.getDefiningOp())
        builder.setInsertionPointAfter(def);
      else
        builder.setInsertionPointToStart(cast<BlockArgument>(root).getOwner());
      // As rows: [F, C x KH x KW] into [F, (C + extra) x KH x KW], so that
      // the copy is vectorised along whole rows (a 1x1 filter's last
      // dimension is 1), then viewed as [F, C, KH, KW] again.
      int64_t rows = type.getDimSize(0);
      int64_t row = type.getNumElements() / std::max<int64_t>(1, rows);
      int64_t paddedRow = row / type.getDimSize(1) * (type.getDimSize(1) + request.extra);
      SmallVector<ReassociationIndices> asRows = {{0}, {}};
      for (int64_t d = 1; d < type.getRank(); ++d)
        asRows.back().push_back(d);
      Value flat = tensor::CollapseShapeOp::create(builder, loc, root, asRows);
      Value empty = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{rows, paddedRow},
                                            type.getElementType());
      Value interior = tensor::ExtractSliceOp::create(
          builder, loc, empty, ArrayRef<OpFoldResult>{builder.getIndexAttr(0), builder.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{builder.getIndexAttr(rows), builder.getIndexAttr(row)},
          ArrayRef<OpFoldResult>{builder.getIndexAttr(1), builder.getIndexAttr(1)});
      auto copyOp = linalg::CopyOp::create(builder, loc, flat, interior);
      copies.push_back(copyOp);
      copy = tensor::ExpandShapeOp::create(builder, loc, type, copyOp.getResult(0), asRows);
      if (explain)
        copyOp->emitRemark() << "roller: the register tiles of " << request.op->getName()
                             << " broadcast from rows of operand " << request.operand
                             << " that share an L1 set; copied once per call into rows "
                             << request.extra << " longer along dimension 1";
    }
    use->set(copy);
  }
  return copies;
}

struct RollerConstructPass
    : public mlir::fourfold::roller::impl::RollerConstructBase<RollerConstructPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    // A target already attached to the module wins over the default; an
    // explicit option wins over both.
    TargetAttr target;
    if (!this->target.hasValue())
      target = getAttachedTarget(module);
    if (!target) {
      std::string error;
      FailureOr<TargetAttr> resolved = getTarget(ctx, this->target, error);
      if (failed(resolved)) {
        module.emitError() << "roller-construct: " << error;
        return signalPassFailure();
      }
      target = *resolved;
    }
    module->setAttr(RollerDialect::kTargetAttrName, target);
    TargetAttr moduleTarget = target;

    // The rewrites before construction: the forced target, or each op's own.
    TargetAttr forced = this->target.hasValue() ? moduleTarget : TargetAttr();
    decomposePads(module, forced);
    collapseReductionRuns(module, forced);
    // 1x1 stride-1 convolutions as matmuls over their pixels, here, inside
    // welder's group tiles, so that the groups stay; measured against
    // rewriting them before welder (which ends the groups at the reshapes):
    // NASNet cell 1.11x vs 1.00x, MobileNetV2 1.03x vs 0.99x, ResNet-50
    // alike. Convolutions that need a patch copy were taken before welder
    // (roller-convs-as-matmuls in the frontend), where the copy is made
    // once rather than per group tile.
    if (matmulConvs)
      convsAsMatmuls(
          module, [&](Operation *op) { return forced ? forced : getAttachedTarget(op); },
          /*pointwise=*/true, /*patches=*/false);
    narrowConvsAsRowRuns(module, forced);

    llvm::DenseMap<TargetAttr, TargetAttr> perUnit; // built once per target
    SmallVector<RowPadding> rowPaddings;
    auto construct = [&](Operation *op) {
      // A function may carry its own target (unless the option forces one).
      TargetAttr target = this->target.hasValue() ? moduleTarget : getAttachedTarget(op);
      bool gpu = target.getKind() == TargetKind::gpu;
      // An operator inside a parallel tile loop (a welder group's tile) is
      // one core's work.
      if (!gpu && op->getParentOfType<scf::ForallOp>()) {
        TargetAttr &unit = perUnit[target];
        if (!unit)
          unit = getPerUnitTarget(target);
        target = unit;
      }
      auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
      if (!linalgOp) {
        if (explain && isa<TilingInterface>(op))
          op->emitRemark() << "roller: no policy for " << op->getName()
                           << "; it keeps the default lowering";
        return;
      }
      if (op->hasAttr(RollerDialect::kTileAttrName))
        return; // written by hand: left as is
      std::string whyNot;
      FailureOr<OpInfo> info = analyzeOp(linalgOp, whyNot);
      if (failed(info)) {
        if (explain)
          op->emitRemark() << "roller: no rTile because " << whyNot
                           << "; the operator keeps the default lowering";
        return;
      }
      SmallVector<Candidate> candidates =
          gpu ? constructGPU(*info, target, std::max(1u, topK.getValue()))
              : constructCPU(*info, target, std::max(1u, topK.getValue()));
      if (candidates.empty()) {
        if (explain)
          op->emitRemark() << "roller: no candidate tile fits " << target.getName()
                           << "; the operator keeps the default lowering";
        return;
      }
      const Candidate &best = candidates.front();
      op->setAttr(RollerDialect::kTileAttrName, toAttr(ctx, best));
      op->setAttr(RollerDialect::kPredictedAttrName,
                  FloatAttr::get(Float64Type::get(ctx), best.predictedUs));
      if (!gpu && pack && !best.tiles.empty())
        for (auto [operand, extra] : paddedRowOperands(*info, best.tiles.back()))
          rowPaddings.push_back({op, operand, extra});
      if (!gpu && pack && best.tiles.size() == 2) {
        SmallVector<unsigned> packed =
            packedOperands(*info, target, best.tiles[0], best.tiles[1]);
        if (!packed.empty())
          op->setAttr(RollerDialect::kPackAttrName,
                      DenseI64ArrayAttr::get(ctx, llvm::to_vector(llvm::map_range(
                                                      packed, [](unsigned i) {
                                                        return int64_t(i);
                                                      }))));
      }
      if (candidates.size() > 1) {
        SmallVector<Attribute> ranked;
        for (const Candidate &c : candidates)
          ranked.push_back(toAttr(ctx, c));
        op->setAttr(RollerDialect::kCandidatesAttrName, ArrayAttr::get(ctx, ranked));
      }
      if (explain)
        op->emitRemark() << "roller: " << toAttr(ctx, best) << " on "
                         << target.getName() << ", predicted "
                         << llvm::formatv("{0:f3}", best.predictedUs)
                         << " us: " << best.explanation;
    };
    module.walk(construct);
    // The copies are operators too, at function level (all cores).
    for (linalg::CopyOp copy : padRows(rowPaddings, explain))
      construct(copy);
  }
};

} // namespace
