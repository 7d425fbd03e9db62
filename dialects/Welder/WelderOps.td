//===- WelderOps.td - welder operations ----------------------------------===//

#ifndef FOURFOLD_WELDER_OPS_TD
#define FOURFOLD_WELDER_OPS_TD

include "Welder/WelderAttrs.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

class Welder_Op<string mnemonic, list<Trait> traits = []>
    : Op<Welder_Dialect, mnemonic, traits>;

def Welder_GroupOp : Welder_Op<"group", [
    IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "a fusion group: operators that run as one kernel";
  let description = [{
    The operators in the body run as one kernel (GPU) or one fused loop nest
    (CPU). Operands and results cross global memory; the body's block
    arguments stand for the operands. `tile` is the group's output tile: the
    unit of work of one block (or one loop iteration on the CPU), over the
    loops of the group's output node.

    ```mlir
    %r = welder.group "matmul_gelu" tile [64, 64] (%a, %b) : (tensor<128x256xf32>, tensor<256x64xf32>) -> tensor<128x64xf32> {
    ^bb0(%x: tensor<128x256xf32>, %y: tensor<256x64xf32>):
      ...
      welder.yield %g : tensor<128x64xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$sym_name,
                       OptionalAttr<DenseI64ArrayAttr>:$tile,
                       Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name (`tile` $tile^)? `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::llvm::StringRef":$name, "::mlir::TypeRange":$resultTypes,
                   "::mlir::ValueRange":$inputs)>
  ];
}

def Welder_YieldOp : Welder_Op<"yield", [
    Pure, Terminator, ReturnLike, HasParent<"GroupOp">]> {
  let summary = "the values a fusion group hands back";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

#endif // FOURFOLD_WELDER_OPS_TD
