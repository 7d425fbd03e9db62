//===- GrinderDialect.td - grinder: uTasks and control-flow placement -----===//
//
// Grinder (published as Cocktailer, OSDI 2023) splits operators into uTasks
// and makes control flow (loops, branches, recursion) part of the program
// that is scheduled, so that a loop can run on the host, inside one
// persistent kernel on the whole device, or inside one block.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_GRINDER_DIALECT_TD
#define FOURFOLD_GRINDER_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Grinder_Dialect : Dialect {
  let name = "grinder";
  let cppNamespace = "::mlir::fourfold::grinder";
  let summary = "uProgram / uTask: control flow placed on the host, the device or a block";
  let description = [{
    * `grinder.uprogram` holds a program whose control flow is scheduled
      together with its operators.
    * `grinder.utask` is an operator split into `units` uTasks (block-sized
      units of work).
    * `grinder.place = #grinder.place<host|device|block>` on a loop or branch
      (scf.for, scf.while, scf.if, scf.index_switch) says where it runs: the
      host launches per iteration; `device` makes it one persistent kernel
      with grid-wide barriers between body operators; `block` runs it inside
      one thread block. A construct cannot be placed on a level above the one
      of a construct it is nested in.
    * `grinder.grid_barrier` is the device-wide barrier between the uTasks of
      consecutive operators inside a device-placed construct.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr ::llvm::StringLiteral kPlaceAttrName = "grinder.place";
    /// What --grinder-schedule predicted for a construct (a dictionary:
    /// host_us, device_us, block_us, kernels, utasks).
    static constexpr ::llvm::StringLiteral kEstimateAttrName = "grinder.estimate";
  }];
}

#endif // FOURFOLD_GRINDER_DIALECT_TD
