//===- RammerDialect.td - rammer: rTasks on a virtual device --------------===//
//
// Rammer (OSDI 2020) places the rTasks (block-sized pieces) of independent
// operators onto the virtual execution units (vEUs) of a virtual device ahead
// of time, so that several operators run inside one kernel launch and the
// run-time scheduler disappears. The schedule is IR: rammer.task ops say
// which operator's which rTask runs on which vEU at which step.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_RAMMER_DIALECT_TD
#define FOURFOLD_RAMMER_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Rammer_Dialect : Dialect {
  let name = "rammer";
  let cppNamespace = "::mlir::fourfold::rammer";
  let summary = "rProgram: rTasks of independent operators co-scheduled on vEUs";
  let description = [{
    * `rammer.program` is an rProgram: one kernel launch (GPU) or one parallel
      region (CPU) on a virtual device `#rammer.vdevice<veus = N>`.
    * `rammer.operator` is an rOperator: an operator split into `tasks` rTasks.
    * `rammer.schedule` holds the placement: `rammer.task "op"[i] on v at s`
      runs rTask `i` of operator `op` on vEU `v` at step `s`;
      `rammer.barrier at s` makes every rTask before step `s` finish before
      any rTask at step `s` or later starts.

    The verifier checks that a schedule is valid: every rTask placed exactly
    once, no vEU double-booked, and no rTask before the rTasks it reads from
    with a barrier in between.
  }];
  let useDefaultAttributePrinterParser = 1;
}

#endif // FOURFOLD_RAMMER_DIALECT_TD
