//===- WelderAttrs.td - welder attributes --------------------------------===//

#ifndef FOURFOLD_WELDER_ATTRS_TD
#define FOURFOLD_WELDER_ATTRS_TD

include "Welder/WelderDialect.td"

def Welder_MemoryLevel : I32EnumAttr<"MemoryLevel", "where an edge's tiles live", [
    // `register` is a C++ keyword: the C++ names are capitalised.
    I32EnumAttrCase<"Global", 0, "global">,
    I32EnumAttrCase<"Shared", 1, "shared">,
    I32EnumAttrCase<"Register", 2, "register">
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::fourfold::welder";
}

def Welder_MemoryLevelAttr : EnumAttr<Welder_Dialect, Welder_MemoryLevel, "level"> {
  let summary = "memory level of a tile-graph edge";
  let description = [{
    `#welder.level<register>`, `#welder.level<shared>` (shared memory on a GPU,
    a cache-resident buffer on a CPU) or `#welder.level<global>`.
  }];
  let assemblyFormat = "`<` $value `>`";
}

#endif // FOURFOLD_WELDER_ATTRS_TD
