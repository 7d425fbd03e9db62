//===- GPUKernel.h - building blocks of kernels run by a resident grid -*- C++ -*-===//
//
// rammer-lower{gpu} (one kernel per rProgram) and grinder-lower{gpu} (one
// persistent kernel per device-placed loop) both turn bufferized tile loops
// (roller's block-level scf.forall holding thread-level ones, a welder
// group's block holding one thread-level loop per fused operator) into code
// that a fixed grid of co-resident blocks runs: block iterations placed on
// blocks, thread-level loops strided over a block's threads with block
// barriers between them, block-level buffers in shared memory, copies
// spread over threads, a grid-wide barrier between dependent kernels, and a
// residency bound that keeps that barrier from deadlocking (a block that is
// never resident never arrives). One implementation, here, in roller's
// library so that every GPU lowering can use it.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_ROLLER_GPUKERNEL_H
#define FOURFOLD_ROLLER_GPUKERNEL_H

#include "Roller/Roller.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

#include <optional>
#include <string>

namespace mlir::fourfold::gpukernel {

/// The thread-level tile loops of block-level tile loop `forall`: the
/// foralls nested in it with no forall in between (one for a roller tile,
/// one per fused operator for a welder group; they may sit inside uniform
/// control flow such as a reduction step loop).
SmallVector<scf::ForallOp> getThreadLoops(scf::ForallOp forall);

/// The most iterations `forall` can have: the product over its dimensions,
/// a dimension's bounds read through their ops (an affine.min of a tile
/// size at the edge of a tensor is at most the tile size). Nullopt when a
/// dimension is unbounded.
std::optional<int64_t> getMaxTrips(scf::ForallOp forall);

/// Threads per block for the kernels under `roots`: the most iterations of
/// any thread-level tile loop (an unbounded one counts `fallback`), else
/// `fallback`; at most 1024.
int64_t chooseThreads(ArrayRef<Operation *> roots, int64_t fallback = 256);

/// Bytes of shared memory one iteration of block-level tile loop `forall`
/// needs: its block-level buffers (allocated in its body outside any
/// thread-level loop), each 16-byte aligned.
int64_t getBlockSharedBytes(scf::ForallOp forall);

/// The first op under `root` (inclusive) that cannot run inside a kernel
/// made of it (heap allocations outside a tile loop or of a dynamic shape,
/// calls, launches, copies of a dynamic shape); `why` says what is wrong
/// with it. Null when there is none.
Operation *findNonDeviceOp(Operation *root, std::string &why);

/// CUDA's limit on a block's static shared memory.
inline constexpr int64_t kStaticSharedBytes = 48 * 1024;

/// How many blocks of `threads` threads using `sharedBytes` of shared memory
/// and up to `registers` registers per thread one compute unit of GPU
/// `target` holds at once: the least of its block slots, its threads, its
/// register file and its shared memory over the block's needs (warps
/// rounded up). At least 1.
int64_t getResidentBlocks(roller::TargetAttr target, int64_t threads,
                          int64_t sharedBytes, int64_t registers);

/// Moves `launch` into a gpu.module of its own (a gpu.func named after
/// `name`, made a valid PTX identifier, renamed on a clash) with the symbols
/// it uses (constant tables, the barrier counter), replacing it by a
/// gpu.launch_func; what the kernel uses from above becomes its arguments
/// (constants are sunk into it first); the launch's dialect attributes
/// (named dialect.name) go to the launch_func. The upstream gpu-kernel-outlining
/// does the same for launches left in functions; this one returns the
/// gpu.func so that its caller can set launch bounds on it.
FailureOr<gpu::GPUFuncOp> outline(gpu::LaunchOp launch, StringRef name,
                                  SymbolTable &symbols);

/// Launch bounds that make ptxas keep registers low enough for
/// `blocksPerUnit` blocks per compute unit (nvvm.minctasm: PTX
/// .minnctapersm; the kernel's known block size, set by outline() from a
/// constant launch, becomes .maxntid).
void setLaunchBounds(gpu::GPUFuncOp func, int64_t blocksPerUnit);

/// The ids and sizes of a gpu.launch and the code pieces its kernels are
/// made of.
struct Kernel {
  Value bx, tx, grid, threads; // block id, thread id, grid and block sizes
  Value threadZero;            // thread 0 of its block
  Value counter;               // the grid barrier's counter; null: one block
  Value shared;                // workgroup bytes for block-level buffers

  /// The ids of `launch`; with `gridBarriers`, also the barrier counter (a
  /// module global, see gridBarrier), read at the start of the body; with
  /// `sharedBytes`, a workgroup buffer of that many bytes that every block
  /// iteration's block-level buffers are carved from (a block runs one
  /// iteration at a time, and each ends with a block barrier).
  static Kernel begin(OpBuilder &b, gpu::LaunchOp launch, bool gridBarriers,
                      int64_t sharedBytes = 0);

  static Value index(OpBuilder &b, Location loc, int64_t v);

  /// Every block waits until every block has arrived: threads meet at a
  /// block barrier, thread 0 of each block adds its arrival to a 32-bit
  /// counter in global memory and spins until the counter's top bit flips
  /// (block 0 adds 2^31 - (grid - 1), the others 1: all arrivals together
  /// add exactly 2^31, so the bit flips when the last block arrives and the
  /// low bits come back to what they were). The counter never needs a
  /// reset, within a launch or between launches (CUDA's cooperative-groups
  /// grid sync works the same way); fences at GPU scope on both sides. One
  /// block: a block barrier only.
  void gridBarrier(OpBuilder &b, Location loc) const;

  /// A loop over the product of `trips` from `start` by `stride`, with the
  /// multi-index (row-major) handed to `body`.
  static void strided(OpBuilder &b, Location loc, ArrayRef<Value> trips,
                      Value start, Value stride,
                      function_ref<void(OpBuilder &, ValueRange)> body);

  /// Replaces tile loop `forall` by a strided loop over its iterations.
  static void replaceTileLoop(scf::ForallOp forall, Value start, Value stride);

  /// An scf.parallel (no reductions) as the scf.forall it stands for.
  static scf::ForallOp toForall(scf::ParallelOp parallel);

  /// Replaces `copy` (static shape) by a strided loop over its elements.
  static void spreadCopy(memref::CopyOp copy, Value start, Value stride);

  /// Emits at `b` the iteration of block-level tile loop `forall` whose
  /// induction variables are `ivs` (values of `map`'s scope) as every
  /// thread of this block runs it: each thread-level loop strided over the
  /// block's threads and followed by a block barrier (an operator reads the
  /// tile the previous one wrote), block-level writes made by thread 0 and
  /// followed by a barrier, block-level buffers carved from `shared`,
  /// buffers of a thread-level loop private. The iteration ends with every
  /// thread past a barrier when it used shared memory (the next iteration
  /// the block runs may reuse it).
  LogicalResult emitBlockIteration(OpBuilder &b, scf::ForallOp forall,
                                   ValueRange ivs, IRMapping &map) const;
};

/// Buffers allocated under `ops` by code one thread runs: private memory
/// (memref.alloca), never freed.
void privatize(ArrayRef<Operation *> ops);

/// Copies and linalg ops left inside `root` (device code: no memcpy, and the
/// GPU pipeline's own linalg lowering would try to launch them) become loops
/// run by the threads that reach them, and tile loops nested in code a
/// single thread runs become sequential loops.
LogicalResult lowerLeftoversToLoops(Operation *root);

} // namespace mlir::fourfold::gpukernel

#endif // FOURFOLD_ROLLER_GPUKERNEL_H
