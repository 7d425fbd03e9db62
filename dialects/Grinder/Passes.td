//===- Passes.td - grinder passes -----------------------------------------===//

#ifndef FOURFOLD_GRINDER_PASSES_TD
#define FOURFOLD_GRINDER_PASSES_TD

include "mlir/Pass/PassBase.td"

def GrinderHoistBuffers : Pass<"grinder-hoist-buffers", "func::FuncOp"> {
  let summary = "Move static allocations out of loops where no value they carry is still live";
  let description = [{
    Runs after one-shot bufferization and before the deallocation pipeline.
    One-shot bufferization gives a loop body a fresh buffer per iteration for
    every tensor it creates, and one more (with a copy) for every value it
    carries to the next iteration. An allocation of static shape made directly
    in the body of an `scf.for` or `scf.while` moves in front of the loop when
    the previous iteration's contents are dead by the time it is made: it is
    not carried to the next iteration, or every use of the value that carries
    it comes before the allocation. One buffer then serves every iteration:
    no allocation and free per iteration, and a loop whose body allocates
    nothing can run inside one parallel region (grinder's device placement).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def GrinderReshapeResults : Pass<"grinder-reshape-results", "func::FuncOp"> {
  let summary = "A result that is a reshape of one static allocation: the allocation made in the result's shape";
  let description = [{
    Runs after one-shot bufferization, before buffer-results-to-out-params.
    That pass writes a result straight into the caller's buffer only when
    the returned memref is one static allocation; a function returning a
    reshape of one (a model whose output is a view: x.flatten(1), a matmul
    viewed as NCHW) got a second buffer, a copy of the whole result and a
    free per call (a 3 MB result: 1.0 -> 2-4 ms). Here the allocation is
    made in the returned shape and its other users see it through the
    inverse reshape (collapse for expand, expand for collapse), so the
    function returns the allocation itself. Only static shapes with the
    identity layout, allocations in the function.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def GrinderSchedule : Pass<"grinder-schedule", "ModuleOp"> {
  let summary = "Place every loop and branch on the host, the device or one block";
  let description = [{
    On buffers (after bufferization). Every outermost loop or branch
    (`scf.for`, `scf.while`, `scf.if`, `scf.index_switch`) of a function body
    that holds kernel work gets a `grinder.place`:

    * `host`: the host drives it; every kernel inside opens its own parallel
      region (a launch on the GPU) per iteration.
    * `device`: the whole construct runs inside one parallel region (one
      persistent kernel): every thread runs the control, kernels split their
      uTasks (tile-loop iterations) over the threads, a barrier follows each
      kernel, scalar side effects run once.
    * `block`: the construct runs on one compute unit: no launch and no
      barrier, and no parallelism either.

    The choice comes from a cost model over the target (roller's roofline of
    each uTask, the target's launch and barrier costs, its compute units):
    host = per kernel and iteration a launch plus the kernel over all units;
    device = one launch, then per kernel and iteration a barrier plus the
    kernel over all units; block = every uTask on one unit. Loops with a
    constant trip count are multiplied out; `scf.while` counts `trips`
    iterations, branches their slower side. Device placement is only chosen
    where it can be lowered: nothing inside allocates, and nothing that
    writes memory produces a value. The predictions land on the construct
    as `grinder.estimate` (microseconds per execution and uTasks).
    Constructs placed by hand are kept.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"host\"",
           "sm_80, sm_90, host, a #roller.target<...> attribute, or @file holding one">,
    Option<"place", "place", "std::string", /*default=*/"\"auto\"",
           "auto (the cost model), host, device or block (every construct there, where legal)">,
    Option<"trips", "trips", "int64_t", /*default=*/"16",
           "Iterations assumed for an scf.while (its trip count is data-dependent)">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark per construct (kernels, uTasks, predicted time per placement)">,
  ];
  let dependentDialects = ["::mlir::fourfold::grinder::GrinderDialect",
                           "::mlir::fourfold::roller::RollerDialect"];
}

def GrinderLower : Pass<"grinder-lower", "ModuleOp"> {
  let summary = "Lower placed loops and branches (CPU: OpenMP)";
  let description = [{
    `device`: the construct and the rest of its block become one OpenMP
    parallel region (as many threads as OpenMP gives). Every thread runs the
    control flow (trip counts, loop conditions and branch predicates are read
    from memory after a barrier, so all threads agree without a trip to the
    host); each kernel's tile loop (`scf.forall` / `scf.parallel`) becomes a
    worksharing loop whose implicit barrier ends it; other ops that write
    memory (copies, stores, kernels without a tile loop, frees) run once,
    in an `omp.single`; a barrier goes in front of any write that could race
    with reads made since the last barrier. One fork and join for the whole
    loop instead of one per kernel and iteration.

    `block`: the tile loops inside become sequential loops: the construct
    runs on the calling thread with no fork at all.

    `host`: the placement is dropped; kernels lower as usual (one parallel
    region per kernel and iteration).

    With `gpu=true` (the GPU pipeline, before its gpu-map stage): `device`
    becomes one persistent `gpu.launch` of `grid` blocks (default: one per
    compute unit of the target, so that every block is resident and a grid
    barrier cannot deadlock) of `threads` threads (default: the largest
    thread-level tile loop, else 256). Every thread runs the control; a
    kernel's block-level tile loop becomes a grid-stride loop over the
    blocks and its thread-level loop a block-stride loop over the threads
    (a kernel with one level of tiles spreads them over every thread);
    copies spread their elements over every thread; other writes run in
    thread 0 of block 0. Kernels are separated by a grid-wide barrier
    (a module-global counter in global memory whose top bit each barrier
    flips, so it never needs a reset; fenced at GPU scope).
    `block` is the same launch with one block (barriers are block
    barriers). The construct must produce no values used after it.
  }];
  let options = [
    Option<"gpu", "gpu", "bool", /*default=*/"false",
           "Lower to one persistent gpu.launch instead of OpenMP">,
    Option<"target", "target", "std::string", /*default=*/"\"sm_90\"",
           "With gpu: the roller target whose compute units size the grid">,
    Option<"grid", "grid", "int64_t", /*default=*/"0",
           "With gpu: blocks of a device-placed launch (0: one per compute unit)">,
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "With gpu: threads per block (0: the largest thread-level tile loop, else 256)">,
  ];
  let dependentDialects = [
    "::mlir::omp::OpenMPDialect", "::mlir::scf::SCFDialect",
    "::mlir::memref::MemRefDialect", "::mlir::gpu::GPUDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::fourfold::roller::RollerDialect"];
}

#endif // FOURFOLD_GRINDER_PASSES_TD
