//===- Passes.h - welder passes ------------------------------------------===//

#ifndef FOURFOLD_WELDER_PASSES_H
#define FOURFOLD_WELDER_PASSES_H

#include "Roller/Roller.h"
#include "Welder/Welder.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::fourfold::welder {
#define GEN_PASS_DECL
#include "Welder/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "Welder/Passes.h.inc"
} // namespace mlir::fourfold::welder

#endif // FOURFOLD_WELDER_PASSES_H
