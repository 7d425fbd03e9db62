//===- RollerAttrs.td - roller attributes --------------------------------===//

#ifndef FOURFOLD_ROLLER_ATTRS_TD
#define FOURFOLD_ROLLER_ATTRS_TD

include "Roller/RollerDialect.td"

class Roller_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Roller_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// A float printed compactly ("%g"-style) and parsed from an integer or float
// literal; stored as an APFloat (which, unlike double, has a hash).
class Roller_FloatParameter<string desc>
    : AttrOrTypeParameter<"::llvm::APFloat", desc> {
  let comparator = "$_lhs.bitwiseIsEqual($_rhs)";
  let parser = [{ ::mlir::fourfold::roller::parseDouble($_parser) }];
  let printer = [{ ::mlir::fourfold::roller::printDouble($_printer, $_self) }];
}

def Roller_TargetKind : I32EnumAttr<"TargetKind", "kind of device", [
    I32EnumAttrCase<"gpu", 0>,
    I32EnumAttrCase<"cpu", 1>
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::fourfold::roller";
}

def Roller_MemoryLevelAttr : Roller_Attr<"MemoryLevel", "level"> {
  let summary = "one level of a device's memory hierarchy";
  let description = [{
    A memory level as Roller's micro-performance model uses it:

    * `capacity`: bytes. For the outermost level (global memory / DRAM) the
      whole device; for the others, what one compute unit owns (shared memory
      or L1 per SM, register file per SM, L2 per core on a CPU).
    * `bandwidth`: GB/s delivered by this level to the whole device.
    * `transaction`: bytes of the smallest efficient access (a coalesced
      global transaction, a cache line).
    * `banks`: number of 4-byte banks (0 where the level is not banked).

    ```mlir
    #roller.level<"shared", capacity = 233472, bandwidth = 33000, transaction = 128, banks = 32>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"level name">:$name,
    "int64_t":$capacity,
    Roller_FloatParameter<"GB/s">:$bandwidth,
    "int64_t":$transaction,
    DefaultValuedParameter<"int64_t", "0">:$banks
  );
  let assemblyFormat = "`<` $name `,` struct($capacity, $bandwidth, $transaction, $banks) `>`";
  let genVerifyDecl = 1;
}

def Roller_TargetAttr : Roller_Attr<"Target", "target"> {
  let summary = "a device as Roller's tile policy sees it";
  let description = [{
    Everything the rTile construction and its micro-performance model need to
    know about a device. `levels` runs from the outermost memory (global /
    DRAM) to the innermost (registers), each a `#roller.level`. `peak` maps an
    element type name to GFLOP/s for the whole device.

    ```mlir
    #roller.target<"sm_90", gpu, units = 132, blocks_per_unit = 32,
      threads_per_unit = 2048, warp = 32, regs_per_unit = 65536,
      vector_bits = 128,
      levels = [#roller.level<"global", capacity = 85899345920, bandwidth = 3350, transaction = 32>,
                #roller.level<"shared", capacity = 233472, bandwidth = 33000, transaction = 128, banks = 32>,
                #roller.level<"register", capacity = 262144, bandwidth = 200000, transaction = 4>],
      peak = {f32 = 66900.0 : f64, f16 = 989000.0 : f64}>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"target name (sm_90, znver3, ...)">:$name,
    EnumParameter<Roller_TargetKind>:$kind,
    "int64_t":$units,
    "int64_t":$blocks_per_unit,
    "int64_t":$threads_per_unit,
    "int64_t":$warp,
    "int64_t":$regs_per_unit,
    "int64_t":$vector_bits,
    "::mlir::ArrayAttr":$levels,
    "::mlir::DictionaryAttr":$peak
  );
  let assemblyFormat = "`<` $name `,` $kind `,` struct($units, $blocks_per_unit, $threads_per_unit, $warp, $regs_per_unit, $vector_bits, $levels, $peak) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The memory level named `name`, or null.
    MemoryLevelAttr getLevel(::llvm::StringRef name) const;
    /// Peak GFLOP/s for element type `type`, if the target states one.
    std::optional<double> getPeak(::mlir::Type type) const;
    /// Vector EUs (resident block slots) of the whole device.
    int64_t getSlots() const { return getUnits() * getBlocksPerUnit(); }
  }];
}

def Roller_RTileAttr : Roller_Attr<"RTile", "rtile"> {
  let summary = "a tile shape per memory level over an operator's loops";
  let description = [{
    An rTile: for each memory level, outermost first, the tile of the
    operator's iteration space that lives in that level, one entry per loop in
    the operator's loop order. For a reduction loop the entry is the reduction
    step at that level. Inner tiles are no larger than outer ones.

    ```mlir
    // matmul (i, j, k): a 64x128 block tile stepping 32 along k in shared
    // memory, 4x8 per thread in registers.
    #roller.rtile<shared = [64, 128, 32], register = [4, 8, 1]>
    ```
  }];
  let parameters = (ins
    ArrayRefParameter<"::mlir::StringAttr", "memory level per tile">:$levels,
    ArrayRefParameter<"::mlir::DenseI64ArrayAttr", "tile per level">:$tiles
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of loops the tile covers.
    size_t getRank() const { return getTiles().front().size(); }
    /// The tile of level `name`, or an empty ArrayRef.
    ::llvm::ArrayRef<int64_t> getTile(::llvm::StringRef name) const;
  }];
}

#endif // FOURFOLD_ROLLER_ATTRS_TD
