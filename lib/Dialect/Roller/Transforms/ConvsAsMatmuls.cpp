//===- ConvsAsMatmuls.cpp - --roller-convs-as-matmuls ---------------------===//
//
// An NCHW convolution as W[F, C*KH*KW] x P[C*KH*KW, N*OH*OW] (P: the
// input's patches, every image's side by side), whose result is NCHW for
// one image and is transposed into it for several. Roller's convolution
// kernels vectorise along one output row (OW of each vector's lanes); this
// matmul vectorises along all N*OH*OW outputs, and reads its operands
// contiguously whatever the stride, but unless the filter is 1x1 with
// stride 1 and there is one image it first copies the patches. The choice,
// per convolution:
//
//   lanes used, direct:  OW / (OW rounded up to a vector)
//   lanes used, matmul:  N*OH*OW / (N*OH*OW rounded up to a vector) x (1 - c)
//   c = 4 x bytes x peak / (F x L2 bandwidth)   (0 without a copy)
//
// c is the copy's time over the matmul's: each patch element costs 2F
// flops and is written and read back once; the 4 is measured (the copy, a
// strided gather, runs at about a quarter of L2 bandwidth). The matmul is
// taken when it uses more lanes, and, with a copy, when one image's P fits
// in one core's L2 (beyond it the copy streams from L3).
//
// Measured on the host (AMD EPYC Zen 4, AVX-512, 1 thread, GFLOP/s of the
// convolution alone, copy included; ResNet-50 shapes at a 112 x 112 input):
// taken: 3x3 s2 512 -> 512 at 9 x 9: 39 direct vs 113 as a matmul; 1x1 s2
// 1024 -> 2048 at 7 x 7: 31 vs 111; 3x3 512 at 6 x 6: 68 vs 108; 1x1 64 ->
// 256 at 28 x 28: 92 vs 108; 1x1 64 -> 8 at 14 x 14: 55 vs 75. Left: the
// 7x7 s2 stem (P 1.8 MB) 87 vs 56; 3x3 128 at 16 x 16 (F = 128, OW = 14)
// 100 vs 92; 3x3 32 at 18 x 18 105 vs 67; 5x5 8 -> 16 at 18 x 18 82 vs 46.
// Misjudged: 1x1 s2 16 -> 32 at 32 x 32 (direct 40, matmul 48: the direct
// kernel's strided loads cost more than the lanes say); 1x1 144 -> 24 at
// 56 x 56 (94 direct, 90 as a matmul).
//
//===----------------------------------------------------------------------===//

#include "Roller/ConvsAsMatmuls.h"
#include "Roller/Passes.h"
#include "Roller/Targets.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::fourfold::roller {
#define GEN_PASS_DEF_ROLLERCONVSASMATMULS
#include "Roller/Passes.h.inc"
} // namespace mlir::fourfold::roller

using namespace mlir;
using namespace mlir::fourfold::roller;

namespace {

/// Whether `conv` reads its one image pixel for pixel (a 1x1 filter,
/// stride 1, an input no larger than the output): then P is the image.
/// (Several images need a copy: P's columns run over all of them.)
bool readsImageAsIs(linalg::Conv2DNchwFchwOp conv) {
  auto x = cast<RankedTensorType>(conv.getInputs()[0].getType());
  auto w = cast<RankedTensorType>(conv.getInputs()[1].getType());
  auto out = cast<RankedTensorType>(conv.getOutputs()[0].getType());
  return x.getDimSize(0) == 1 && w.getDimSize(2) == 1 && w.getDimSize(3) == 1 &&
         x.getDimSize(2) == out.getDimSize(2) && x.getDimSize(3) == out.getDimSize(3) &&
         llvm::all_of(conv.getStrides().getValues<int64_t>(), [](int64_t s) { return s == 1; });
}

/// The fraction of `n` lanes' worth of vectors that `n` elements fill.
double lanesUsed(int64_t n, int64_t lanes) {
  return double(n) / double(llvm::divideCeil(n, lanes) * lanes);
}

/// The choice of the file comment: whether `conv` (with a patch matrix of
/// `bytes`) runs faster as a matmul on `target`.
bool matmulPays(linalg::Conv2DNchwFchwOp conv, int64_t bytes, TargetAttr target) {
  auto out = cast<RankedTensorType>(conv.getOutputs()[0].getType());
  Type et = out.getElementType();
  int64_t width = llvm::divideCeil(et.getIntOrFloatBitWidth(), 8);
  int64_t lanes = std::max<int64_t>(1, target.getVectorBits() / et.getIntOrFloatBitWidth());
  int64_t f = out.getDimSize(1), oh = out.getDimSize(2), ow = out.getDimSize(3);
  int64_t images = out.getDimSize(0);
  double direct = lanesUsed(ow, lanes), matmul = lanesUsed(images * oh * ow, lanes);
  if (!readsImageAsIs(conv)) {
    MemoryLevelAttr l2 = target.getLevel("L2");
    std::optional<double> peak = target.getPeak(et);
    if (!l2 || !peak || bytes > l2.getCapacity())
      return false;
    // Both are whole-device figures: their ratio is one core's.
    double copy = 4.0 * width * *peak / (double(f) * l2.getBandwidth().convertToDouble());
    matmul *= 1.0 - copy;
  }
  return matmul > direct;
}

/// W[F, CKK] x P[CKK, N*OH*OW] as one linalg.matmul. With one image the
/// result is already NCHW; with several it is [F, N, OH*OW], transposed
/// into NCHW afterwards (3x3 s2 512 -> 512 at 9 x 9, 4 images: 40.5 ->
/// 104.5 GFLOP/s; PyTorch 70.4).
void rewrite(linalg::Conv2DNchwFchwOp conv, RewriterBase &rewriter) {
  MLIRContext *ctx = conv.getContext();
  Location loc = conv.getLoc();
  rewriter.setInsertionPoint(conv);
  Value x = conv.getInputs()[0];
  auto xt = cast<RankedTensorType>(x.getType());
  auto wt = cast<RankedTensorType>(conv.getInputs()[1].getType());
  auto out = cast<RankedTensorType>(conv.getOutputs()[0].getType());
  Type et = out.getElementType();
  int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), kh = wt.getDimSize(2), kw = wt.getDimSize(3);
  int64_t f = out.getDimSize(1), oh = out.getDimSize(2), ow = out.getDimSize(3);
  SmallVector<ReassociationIndices> image = {{0, 1}, {2, 3}}; // [1, C, H, W] as [C, H x W]
  Value patches;
  if (readsImageAsIs(conv)) {
    patches = tensor::CollapseShapeOp::create(rewriter, loc, x, image);
  } else {
    // P[c, i, j, n, y, z] = x[n, c, y * sh + i * dh, z * sw + j * dw].
    SmallVector<int64_t> s(conv.getStrides().getValues<int64_t>());
    SmallVector<int64_t> d(conv.getDilations().getValues<int64_t>());
    AffineExpr dc, di, dj, dn, dy, dz;
    bindDims(ctx, dc, di, dj, dn, dy, dz);
    Value empty = tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{c, kh, kw, n, oh, ow}, et);
    SmallVector<AffineMap> maps = {
        AffineMap::get(6, 0, {dn, dc, dy * s[0] + di * d[0], dz * s[1] + dj * d[1]}, ctx),
        AffineMap::getMultiDimIdentityMap(6, ctx)};
    auto copy = linalg::GenericOp::create(
        rewriter, loc, TypeRange{empty.getType()}, ValueRange{x}, ValueRange{empty}, maps,
        SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
        [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(b, loc, ValueRange{args[0]});
        });
    patches = tensor::CollapseShapeOp::create(
        rewriter, loc, copy.getResult(0), SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
  }
  Value w = tensor::CollapseShapeOp::create(rewriter, loc, conv.getInputs()[1],
                                            SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  // The initial value as [F, N x OH x OW]. A fill becomes a fill of the
  // matrix, which roller fuses into the matmul's tiles (a fill seen through
  // a reshape is a separate pass over the output: 1x1 1024 -> 256 at
  // 14 x 14, 87 vs 105 GFLOP/s); anything else is transposed (several
  // images) or viewed (one) as the matrix.
  Value init = conv.getOutputs()[0];
  auto fill = init.getDefiningOp<linalg::FillOp>();
  auto matrixType = RankedTensorType::get({f, n * oh * ow}, et);
  if (fill) {
    Value empty = tensor::EmptyOp::create(rewriter, loc, matrixType.getShape(), et);
    init = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], empty).getResult(0);
  } else if (n == 1) {
    init = tensor::CollapseShapeOp::create(rewriter, loc, init, image);
  } else {
    Value empty = tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{f, n, oh, ow}, et);
    Value moved = linalg::TransposeOp::create(rewriter, loc, init, empty,
                                              ArrayRef<int64_t>{1, 0, 2, 3})
                      .getResult()[0];
    init = tensor::CollapseShapeOp::create(rewriter, loc, moved,
                                           SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  }
  Value product =
      linalg::MatmulOp::create(rewriter, loc, ValueRange{w, patches}, ValueRange{init}).getResult(0);
  if (n == 1) {
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(conv, out, product, image);
    return;
  }
  auto grouped = RankedTensorType::get({f, n, oh, ow}, et);
  Value byImage = tensor::ExpandShapeOp::create(rewriter, loc, grouped, product,
                                                SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  Value empty = tensor::EmptyOp::create(rewriter, loc, out.getShape(), et);
  rewriter.replaceOp(conv, linalg::TransposeOp::create(rewriter, loc, byImage, empty,
                                                       ArrayRef<int64_t>{1, 0, 2, 3})
                               .getResult()[0]);
}

} // namespace

/// Bytes of the patch matrix P of one image of `conv`, or nullopt when it
/// is not a convolution this pass takes: static shapes, one float type
/// throughout.
std::optional<int64_t> mlir::fourfold::roller::convPatchBytes(linalg::Conv2DNchwFchwOp conv) {
  if (!conv.hasPureTensorSemantics())
    return std::nullopt;
  auto x = cast<RankedTensorType>(conv.getInputs()[0].getType());
  auto w = cast<RankedTensorType>(conv.getInputs()[1].getType());
  auto out = cast<RankedTensorType>(conv.getOutputs()[0].getType());
  Type et = out.getElementType();
  if (!x.hasStaticShape() || !w.hasStaticShape() || !out.hasStaticShape() ||
      !isa<FloatType>(et) || x.getElementType() != et || w.getElementType() != et)
    return std::nullopt;
  int64_t patch = w.getDimSize(1) * w.getDimSize(2) * w.getDimSize(3);
  return patch * out.getDimSize(2) * out.getDimSize(3) * llvm::divideCeil(et.getIntOrFloatBitWidth(), 8);
}

/// Whether image `value` [N, C, H, W] (a welder tile: slices of slices,
/// possibly filled) holds H and W as one run in memory, so that collapsing
/// them is a view.
bool mlir::fourfold::roller::imageRowsContiguous(Value value) {
  while (true) {
    if (auto fill = value.getDefiningOp<linalg::FillOp>()) {
      value = fill.getOutputs()[0];
      continue;
    }
    auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice)
      return true;
    if (!slice.hasUnitStride() ||
        slice.getSourceType().getRank() != slice.getResultType().getRank() ||
        slice.getStaticSizes()[3] != slice.getSourceType().getDimSize(3) ||
        slice.getStaticOffsets()[3] != 0)
      return false;
    value = slice.getSource();
  }
}

void mlir::fourfold::roller::convsAsMatmuls(Operation *root,
                                            function_ref<TargetAttr(Operation *)> targetOf,
                                            bool pointwise, bool patches) {
  SmallVector<linalg::Conv2DNchwFchwOp> work;
  root->walk([&](linalg::Conv2DNchwFchwOp conv) {
    std::optional<int64_t> bytes = convPatchBytes(conv);
    if (!bytes || conv->hasAttr(RollerDialect::kTileAttrName) ||
        (readsImageAsIs(conv) ? !pointwise : !patches))
      return;
    // Collapsing H and W must be a view: a welder tile takes whole rows.
    if (!imageRowsContiguous(conv.getOutputs()[0]) ||
        (readsImageAsIs(conv) && !imageRowsContiguous(conv.getInputs()[0])))
      return;
    TargetAttr target = targetOf(conv);
    if (target && target.getKind() == TargetKind::cpu && matmulPays(conv, *bytes, target))
      work.push_back(conv);
  });
  IRRewriter rewriter(root->getContext());
  for (linalg::Conv2DNchwFchwOp conv : work)
    rewrite(conv, rewriter);
}

namespace {

struct RollerConvsAsMatmulsPass
    : public mlir::fourfold::roller::impl::RollerConvsAsMatmulsBase<RollerConvsAsMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    // An explicit option wins; otherwise an attached target, else the host.
    std::string error;
    FailureOr<TargetAttr> resolved = getTarget(&getContext(), this->target, error);
    if (failed(resolved)) {
      getOperation()->emitError() << "roller-convs-as-matmuls: " << error;
      return signalPassFailure();
    }
    TargetAttr given = *resolved;
    bool forced = this->target.hasValue();
    convsAsMatmuls(
        getOperation(),
        [&](Operation *op) {
          TargetAttr attached = forced ? TargetAttr() : getAttachedTarget(op);
          return attached ? attached : given;
        },
        pointwise, patches);
  }
};

} // namespace
