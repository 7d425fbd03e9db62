//===- GrinderOps.td - grinder operations --------------------------------===//

#ifndef FOURFOLD_GRINDER_OPS_TD
#define FOURFOLD_GRINDER_OPS_TD

include "Grinder/GrinderAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

class Grinder_Op<string mnemonic, list<Trait> traits = []>
    : Op<Grinder_Dialect, mnemonic, traits>;

def Grinder_UProgramOp : Grinder_Op<"uprogram", [
    IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "a uProgram: uTasks and the control flow around them";
  let description = [{
    ```mlir
    %h = grinder.uprogram "lstm" (%x, %h0) : (tensor<100x1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32> {
    ^bb0(%xs: tensor<100x1x64xf32>, %init: tensor<1x64xf32>):
      %r = scf.for %i = %c0 to %c100 step %c1 iter_args(%h = %init) -> tensor<1x64xf32> {
        %n = grinder.utask "cell" units 4 (%h) : (tensor<1x64xf32>) -> tensor<1x64xf32> { ... }
        scf.yield %n : tensor<1x64xf32>
      } {grinder.place = #grinder.place<device>}
      grinder.yield %r : tensor<1x64xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$sym_name, Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasRegionVerifier = 1;
}

def Grinder_UTaskOp : Grinder_Op<"utask", [
    IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "an operator split into uTasks";
  let description = [{
    The body computes the whole operator; `units` is the number of uTasks
    (block-sized units of work) it is split into.
  }];
  let arguments = (ins StrAttr:$sym_name,
                       ConfinedAttr<I64Attr, [IntPositive]>:$units,
                       Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `units` $units `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasRegionVerifier = 1;
}

def Grinder_GridBarrierOp : Grinder_Op<"grid_barrier"> {
  let summary = "a device-wide barrier inside a device-placed construct";
  let description = [{
    Every block of the persistent kernel reaches it before any goes on. Only
    valid inside a loop or branch placed `#grinder.place<device>`.
  }];
  let assemblyFormat = "attr-dict";
  let hasVerifier = 1;
}

def Grinder_YieldOp : Grinder_Op<"yield", [
    Pure, Terminator, ReturnLike, ParentOneOf<["UProgramOp", "UTaskOp"]>]> {
  let summary = "the values a uProgram or uTask hands back";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

#endif // FOURFOLD_GRINDER_OPS_TD
