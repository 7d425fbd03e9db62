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

    On a GPU target (sm_80, sm_90, a #roller.target of kind gpu), kernels
    are the tile loops roller-lower{gpu} makes (a block-level scf.forall,
    usually holding a thread-level one), static copies and linalg ops on
    buffers; other loops break runs. A program's vdevice is compute units x
    the blocks one unit holds at once: blocks of as many threads as its
    widest thread-level loop, given the target's block slots, threads,
    register file (at least 64 registers per thread) and shared memory, the
    grid rammer-lower{gpu} launches. An rTask is one iteration of a kernel's
    block-level loop (a loop with no thread level: as many iterations as a
    block has threads), priced at the unit's rates shared by its resident
    blocks.
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
  let summary = "Turn each scheduled rProgram into one parallel region (CPU) or one kernel (GPU)";
  let description = [{
    A program on buffers becomes one OpenMP parallel region (as many threads
    as OpenMP gives, OMP_NUM_THREADS). For each segment, every thread claims
    the next unclaimed vEU from a shared counter and runs that vEU's rTasks,
    in step order, from constant tables (operator, rTask) through a switch
    over the segment's operators; a barrier separates segments. An rTask runs
    its share of its operator's tile loop. One fork and join per program
    instead of one per kernel; every vEU runs exactly once whatever the
    thread count.

    With `gpu=true` (the GPU pipeline, after bufferization and grinder), a
    program becomes ONE kernel, outlined into a gpu.module of its own: a grid
    of one block per vEU (never more than `target`'s compute units hold at
    once, see below) of `threads` threads (0: the widest thread-level tile
    loop of its operators). For each segment, block b runs the rTasks the
    schedule placed on vEU b (and on b + grid, b + 2 grid, ... when the
    program has more vEUs than the grid has blocks) in step order, read
    from constant tables and dispatched by a switch over the segment's
    operators, each case the straight-line code of one rTask: one
    iteration of its operator's block-level tile loop with the thread-level
    loop strided over the block's threads (an rTask of several iterations
    loops over them; a loop without a thread level spreads its iterations
    over the threads; copies and linalg ops spread their elements / parallel
    iterations over the threads). Segments are separated by a grid-wide
    barrier, only where the schedule has one (between dependent steps).
    A grid barrier deadlocks if a block is never resident, so the grid is
    at most compute units x the blocks of that many threads one unit holds
    (block slots, threads, shared memory, and a register file shared by
    threads of at least `registers` registers each), and the kernel carries
    launch bounds (its known block size, PTX .maxntid, and nvvm.minctasm =
    the blocks per unit the grid needs, .minnctapersm) that make ptxas keep
    registers low enough for that. A block runs one rTask at a time: the
    block-level buffers of every operator's tiles share one workgroup
    buffer (the most any operator needs; at most 48 KiB).
  }];
  let options = [
    Option<"gpu", "gpu", "bool", /*default=*/"false",
           "Lower each program to one GPU kernel instead of an OpenMP region">,
    Option<"target", "target", "std::string", /*default=*/"\"sm_90\"",
           "With gpu: the roller target whose compute units bound the grid">,
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "With gpu: threads per block (0: the widest thread-level tile loop, else 256)">,
    Option<"registers", "registers", "int64_t", /*default=*/"64",
           "With gpu: registers per thread the residency bound leaves each thread at least">,
  ];
  let dependentDialects = [
    "::mlir::omp::OpenMPDialect", "::mlir::scf::SCFDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect", "::mlir::gpu::GPUDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::vector::VectorDialect",
    "::mlir::fourfold::roller::RollerDialect"];
}

#endif // FOURFOLD_RAMMER_PASSES_TD
