//===- Copies.cpp - --roller-lower-copies ----------------------------------===//

#include "Roller/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir::fourfold::roller {
#define GEN_PASS_DEF_ROLLERLOWERCOPIES
#include "Roller/Passes.h.inc"
} // namespace mlir::fourfold::roller

using namespace mlir;

namespace {

/// What finalize-memref-to-llvm lowers to a memcpy (the rest goes to the
/// runtime's element-by-element memrefCopy).
bool contiguous(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getLayout().isIdentity() ||
                    memref::isStaticShapeAndContiguousRowMajor(memref));
}

struct RollerLowerCopiesPass
    : public mlir::fourfold::roller::impl::RollerLowerCopiesBase<RollerLowerCopiesPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      Type source = copy.getSource().getType(), target = copy.getTarget().getType();
      if (isa<MemRefType>(source) && isa<MemRefType>(target) &&
          !(contiguous(source) && contiguous(target)))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
