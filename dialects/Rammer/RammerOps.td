//===- RammerOps.td - rammer operations ----------------------------------===//

#ifndef FOURFOLD_RAMMER_OPS_TD
#define FOURFOLD_RAMMER_OPS_TD

include "Rammer/RammerAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

class Rammer_Op<string mnemonic, list<Trait> traits = []>
    : Op<Rammer_Dialect, mnemonic, traits>;

def Rammer_ProgramOp : Rammer_Op<"program", [
    IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "an rProgram: operators co-scheduled in one launch";
  let description = [{
    The body holds `rammer.operator`s (and the ops that feed them), an
    optional `rammer.schedule`, and ends in `rammer.yield`. Block arguments
    stand for the inputs.

    ```mlir
    %r:2 = rammer.program "cell" vdevice <veus = 4> (%a) : (tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
    ^bb0(%x: tensor<8xf32>):
      %0 = rammer.operator "exp" tasks 2 (%x) : (tensor<8xf32>) -> tensor<8xf32> { ... }
      %1 = rammer.operator "neg" tasks 2 (%x) : (tensor<8xf32>) -> tensor<8xf32> { ... }
      rammer.schedule {
        rammer.task "exp"[0] on 0 at 0
        rammer.task "exp"[1] on 1 at 0
        rammer.task "neg"[0] on 2 at 0
        rammer.task "neg"[1] on 3 at 0
      }
      rammer.yield %0, %1 : tensor<8xf32>, tensor<8xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$sym_name, Rammer_VDeviceAttr:$vdevice,
                       Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `vdevice` $vdevice `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The schedule, if the program has been scheduled.
    ScheduleOp getSchedule();
  }];
}

def Rammer_OperatorOp : Rammer_Op<"operator", [
    IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects,
    HasParent<"ProgramOp">]> {
  let summary = "an rOperator: an operator split into rTasks";
  let description = [{
    The body computes the whole operator; `tasks` is how many rTasks
    (block-sized pieces) it is split into, and `duration`, when known, the
    predicted time of one rTask in microseconds.
  }];
  let arguments = (ins StrAttr:$sym_name,
                       ConfinedAttr<I64Attr, [IntPositive]>:$tasks,
                       OptionalAttr<F64Attr>:$duration,
                       Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `tasks` $tasks (`duration` $duration^)? `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasRegionVerifier = 1;
}

def Rammer_ScheduleOp : Rammer_Op<"schedule", [
    SingleBlock, NoTerminator, HasParent<"ProgramOp">]> {
  let summary = "the placement of an rProgram's rTasks on vEUs and steps";
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "attr-dict-with-keyword $body";
}

def Rammer_TaskOp : Rammer_Op<"task", [HasParent<"ScheduleOp">]> {
  let summary = "rTask `tile` of operator `op_name` on vEU `veu` at `step`";
  let arguments = (ins StrAttr:$op_name,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$tile,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$veu,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$step);
  let assemblyFormat = "$op_name `[` $tile `]` `on` $veu `at` $step attr-dict";
}

def Rammer_BarrierOp : Rammer_Op<"barrier", [HasParent<"ScheduleOp">]> {
  let summary = "a step barrier";
  let description = [{
    Every rTask at a step before `step` finishes before any rTask at `step` or
    later starts.
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntPositive]>:$step);
  let assemblyFormat = "`at` $step attr-dict";
}

def Rammer_YieldOp : Rammer_Op<"yield", [
    Pure, Terminator, ReturnLike, ParentOneOf<["ProgramOp", "OperatorOp"]>]> {
  let summary = "the values an rProgram or rOperator hands back";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

#endif // FOURFOLD_RAMMER_OPS_TD
