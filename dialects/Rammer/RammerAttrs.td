//===- RammerAttrs.td - rammer attributes --------------------------------===//

#ifndef FOURFOLD_RAMMER_ATTRS_TD
#define FOURFOLD_RAMMER_ATTRS_TD

include "Rammer/RammerDialect.td"

def Rammer_VDeviceAttr : AttrDef<Rammer_Dialect, "VDevice"> {
  let mnemonic = "vdevice";
  let summary = "a virtual device: a number of virtual execution units";
  let description = [{
    `veus` is the number of vEUs: compute units x resident blocks per unit on
    a GPU (one vEU per resident block slot), worker threads on a CPU.

    ```mlir
    #rammer.vdevice<veus = 528>
    ```
  }];
  let parameters = (ins "int64_t":$veus);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // FOURFOLD_RAMMER_ATTRS_TD
