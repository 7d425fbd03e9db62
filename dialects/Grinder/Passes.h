//===- Passes.h - grinder passes ------------------------------------------===//

#ifndef FOURFOLD_GRINDER_PASSES_H
#define FOURFOLD_GRINDER_PASSES_H

#include "Grinder/Grinder.h"
#include "Roller/Roller.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::fourfold::grinder {
#define GEN_PASS_DECL
#include "Grinder/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "Grinder/Passes.h.inc"
} // namespace mlir::fourfold::grinder

#endif // FOURFOLD_GRINDER_PASSES_H
