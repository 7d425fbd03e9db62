//===- Passes.h - roller passes ------------------------------------------===//

#ifndef FOURFOLD_ROLLER_PASSES_H
#define FOURFOLD_ROLLER_PASSES_H

#include "Roller/Roller.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::fourfold::roller {
#define GEN_PASS_DECL
#include "Roller/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "Roller/Passes.h.inc"
} // namespace mlir::fourfold::roller

#endif // FOURFOLD_ROLLER_PASSES_H
