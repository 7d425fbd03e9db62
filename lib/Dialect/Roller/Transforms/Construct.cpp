//===- Construct.cpp - --roller-construct --------------------------------===//

#include "Roller/Policy.h"
#include "Roller/Passes.h"
#include "Roller/Targets.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
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

    decomposePads(module, this->target.hasValue() ? moduleTarget : TargetAttr());

    llvm::DenseMap<TargetAttr, TargetAttr> perUnit; // built once per target
    module.walk([&](Operation *op) {
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
    });
  }
};

} // namespace
