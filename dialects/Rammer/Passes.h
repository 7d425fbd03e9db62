//===- Passes.h - rammer passes ------------------------------------------===//

#ifndef FOURFOLD_RAMMER_PASSES_H
#define FOURFOLD_RAMMER_PASSES_H

#include "Rammer/Rammer.h"
#include "Roller/Roller.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::fourfold::rammer {
#define GEN_PASS_DECL
#include "Rammer/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "Rammer/Passes.h.inc"
} // namespace mlir::fourfold::rammer

#endif // FOURFOLD_RAMMER_PASSES_H
