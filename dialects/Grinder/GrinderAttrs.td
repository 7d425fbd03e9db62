//===- GrinderAttrs.td - grinder attributes ------------------------------===//

#ifndef FOURFOLD_GRINDER_ATTRS_TD
#define FOURFOLD_GRINDER_ATTRS_TD

include "Grinder/GrinderDialect.td"

// Ordered from the outermost level of parallelism to the innermost: a
// construct may only be nested in one placed at the same or an outer level.
def Grinder_Placement : I32EnumAttr<"Placement", "where a loop or branch runs", [
    I32EnumAttrCase<"host", 0>,
    I32EnumAttrCase<"device", 1>,
    I32EnumAttrCase<"block", 2>
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::fourfold::grinder";
}

def Grinder_PlacementAttr : EnumAttr<Grinder_Dialect, Grinder_Placement, "place"> {
  let summary = "placement of a loop or branch";
  let description = [{
    `#grinder.place<host>`, `#grinder.place<device>` or `#grinder.place<block>`.
  }];
  let assemblyFormat = "`<` $value `>`";
}

#endif // FOURFOLD_GRINDER_ATTRS_TD
