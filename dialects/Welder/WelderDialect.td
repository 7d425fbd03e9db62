//===- WelderDialect.td - welder: the tile-graph --------------------------===//
//
// Welder (OSDI 2023) schedules memory access across fused operators: an
// operator-tile propagated through the graph lets a chain of operators run
// tile by tile with intermediates kept in shared memory or registers. The
// tile-graph is plain IR: `welder.group` ops (one kernel each) holding
// operators, a tile per node and a memory level per edge.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_WELDER_DIALECT_TD
#define FOURFOLD_WELDER_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Welder_Dialect : Dialect {
  let name = "welder";
  let cppNamespace = "::mlir::fourfold::welder";
  let summary = "tile-graph: fusion groups, a tile per node, a memory level per edge";
  let description = [{
    A function whose body holds `welder.group` ops is a tile-graph:

    * a **group** is one kernel (GPU) or one fused loop nest (CPU); its
      operands and results are the edges that cross global memory;
    * each operator inside a group is a **node**; its `welder.tile` (an array
      of i64, one entry per loop) is the tile it computes per step;
    * each value an operator inside a group produces is an **edge**; its
      memory level (`welder.levels` on the producer, one `#welder.level` per
      result) says where its tiles live: `register`, `shared` or `global`.
      A value leaving the group always goes through global memory.

    A group may carry the model's figures: `welder.bytes` (modelled
    global-memory bytes of the fused kernel), `welder.unfused_bytes` (the
    same operators as one kernel each) and `welder.predicted_us`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr ::llvm::StringLiteral kTileAttrName = "welder.tile";
    static constexpr ::llvm::StringLiteral kLevelsAttrName = "welder.levels";
    // The model's figures on a group (written by --welder-tile-graph).
    static constexpr ::llvm::StringLiteral kBytesAttrName = "welder.bytes";
    static constexpr ::llvm::StringLiteral kUnfusedBytesAttrName = "welder.unfused_bytes";
    static constexpr ::llvm::StringLiteral kPredictedAttrName = "welder.predicted_us";
    // A one-tile group whose operators run apart (no loop): how many kernels.
    static constexpr ::llvm::StringLiteral kKernelsAttrName = "welder.kernels";
  }];
}

#endif // FOURFOLD_WELDER_DIALECT_TD
