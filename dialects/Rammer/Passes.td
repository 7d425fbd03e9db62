//===- Passes.td - rammer passes ------------------------------------------===//

#ifndef FOURFOLD_RAMMER_PASSES_TD
#define FOURFOLD_RAMMER_PASSES_TD

include "mlir/Pass/PassBase.td"

def RammerSchedule : Pass<"rammer-schedule", "ModuleOp"> {
  let summary = "Co-schedule the rTasks of independent kernels on a virtual device";
  let description = [{
    Extraction (functions on buffers, after bufferization): every run of two
    or more kernels (a top-level `scf.forall` of tiles, a linalg op or copy on
    buffers) with nothing between them but pure ops, allocations and
    deallocations becomes a `rammer.program` on the target's vdevice (vEUs =
    compute units x resident blocks per unit). Each kernel becomes a
    `rammer.operator` whose rTasks are the iterations of its tile loop (one
    rTask for a kernel without one), with a duration per rTask from a
    roofline over one compute unit of the target (flops / peak vs bytes /
    bandwidth of the rTask's loop nest). Dependences are memory ones (read
    after write, write after read, write after write, through views).

    Scheduling, of every unscheduled program: the operators go into
    segments separated by barriers, each segment's rTasks onto vEUs.
    `wavefront` is Rammer's policy: one segment per breadth-first wave (the
    operators whose inputs are ready), each operator's rTasks on the
    least-loaded vEUs in turn. `critical-path` places operators with the most
    work first, each in the segment within its slack (between its earliest
    and latest level given the operators already placed) where it adds the
    least to the predicted makespan, and packs each segment longest rTask
    first. With `variants`, an operator's rTasks are coarsened (2, 4, ...
    tiles per rTask) when that does not lengthen its segment: fewer, longer
    rTasks when the device is already full.

    A program the model predicts no faster than one launch per kernel (or
    holding a single kernel) is left alone: its kernels go back into the
    function. Programs written by hand are always scheduled. The predicted
    times are written on each program (`rammer.predicted_us`,
    `rammer.unscheduled_us`).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"host\"",
           "sm_80, sm_90, host, a #roller.target<...> attribute, or @file holding one">,
    Option<"veus", "veus", "int64_t", /*default=*/"0",
           "vEUs of the vdevice (0: from the target)">,
    Option<"policy", "policy", "std::string", /*default=*/"\"critical-path\"",
           "wavefront (Rammer's) or critical-path">,
    Option<"variants", "variants", "bool", /*default=*/"true",
           "Coarsen rTasks where a segment has more than the vEUs can hold">,
    Option<"extract", "extract", "bool", /*default=*/"true",
           "Build programs from the kernels of functions on buffers">,
    Option<"force", "force", "bool", /*default=*/"false",
           "Keep every extracted program even where the model says it does not pay">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark per program (operators, segments, makespans, launches)">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write a picture of the schedules (vEUs by time, one colour per operator) to this SVG file">,
  ];
  let dependentDialects = ["::mlir::fourfold::rammer::RammerDialect",
                           "::mlir::fourfold::roller::RollerDialect",
                           "::mlir::scf::SCFDialect"];
}

def RammerLower : Pass<"rammer-lower", "ModuleOp"> {
  let summary = "Turn each scheduled rProgram into one parallel region (CPU)";
  let description = [{
    A program on buffers becomes one OpenMP parallel region (as many threads
    as OpenMP gives, OMP_NUM_THREADS). For each segment, every thread claims
    the next unclaimed vEU from a shared counter and runs that vEU's rTasks,
    in step order, from constant tables (operator, rTask) through a switch
    over the segment's operators; a barrier separates segments. An rTask runs
    its share of its operator's tile loop. One fork and join per program
    instead of one per kernel; every vEU runs exactly once whatever the
    thread count.
  }];
  let dependentDialects = [
    "::mlir::omp::OpenMPDialect", "::mlir::scf::SCFDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect"];
}

#endif // FOURFOLD_RAMMER_PASSES_TD
