//===- RollerDialect.td - roller: rTiles and target descriptions --------===//
//
// Roller (OSDI 2022) constructs tiles aligned to the memory hierarchy instead
// of searching for them. This dialect holds what that construction needs (a
// target description) and what it decides (an rTile per operator), so each
// decision is visible, editable and checkable in the IR.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_ROLLER_DIALECT_TD
#define FOURFOLD_ROLLER_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Roller_Dialect : Dialect {
  let name = "roller";
  let cppNamespace = "::mlir::fourfold::roller";
  let summary = "rTiles: tile shapes per memory level, built from a target description";
  let description = [{
    The `roller` dialect carries two kinds of facts:

    * `#roller.target<...>` describes a device the way Roller's tile policy
      sees it: compute units, resident blocks and threads per unit, registers,
      the memory levels (capacity, bandwidth, transaction width, banks), the
      peak throughput per data type and the vector width. It is attached to a
      module or function as `roller.target`.
    * `#roller.rtile<...>` is a tile shape per memory level over an operator's
      loops (outermost level first; a reduction loop's entry is its step). It
      is attached to any operator with a loop nest (linalg ops, or anything
      implementing `TilingInterface`) as `roller.tile`.

    Both are verified where they are attached: a tile must have one entry per
    loop of the operator it annotates, and each level's tile must fit inside
    the previous level's.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Discardable attribute names this dialect verifies.
    static constexpr ::llvm::StringLiteral kTargetAttrName = "roller.target";
    static constexpr ::llvm::StringLiteral kTileAttrName = "roller.tile";
    static constexpr ::llvm::StringLiteral kPredictedAttrName = "roller.predicted_us";
    /// Ranked rTiles kept for measurement (top-k mode), best first.
    static constexpr ::llvm::StringLiteral kCandidatesAttrName = "roller.candidates";
    /// CPU: inputs (operand numbers) roller-lower copies into contiguous
    /// panels of the register tile's width per cache tile (B of a matmul).
    static constexpr ::llvm::StringLiteral kPackAttrName = "roller.pack";
  }];
}

#endif // FOURFOLD_ROLLER_DIALECT_TD
