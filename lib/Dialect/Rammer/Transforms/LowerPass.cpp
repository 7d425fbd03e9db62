//===- LowerPass.cpp - --rammer-lower: one parallel region / kernel per rProgram -===//

#include "Rammer/Cost.h"
#include "Rammer/Dependences.h"
#include "Roller/GPUKernel.h"
#include "Rammer/Passes.h"

#include "Roller/Targets.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::fourfold::rammer {
#define GEN_PASS_DEF_RAMMERLOWER
#include "Rammer/Passes.h.inc"
} // namespace mlir::fourfold::rammer

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::rammer;

namespace {
/// Per segment and vEU, the (operator, rTask) pairs in step order, and the
/// same flattened into the three constant tables the lowered code reads.
struct Tables {
  int64_t segments = 1, veus = 1;
  SmallVector<SmallVector<std::pair<int32_t, int32_t>>> lists;
  SmallVector<int32_t> offsets, kinds, tiles;
  /// The operators with rTasks in `segment`, sorted.
  SmallVector<int64_t> casesOf(int64_t segment) const;
};

/// The GPU lowering's parameters.
struct GPUOptions {
  roller::TargetAttr target;
  int64_t threads = 0, registers = 64;
};

struct Lowering {
  ProgramOp program;
  ModuleOp module;
  SymbolTable &symbols;
  SmallVector<OperatorOp> operators;
  SmallVector<scf::ForallOp> loops;
  SmallVector<memref::GlobalOp> tables; // made by table()

  LogicalResult check(bool gpu);
  Tables makeTables();
  /// A constant i32 table as a private module global, read at `b`.
  Value table(OpBuilder &b, Location loc, StringRef suffix,
              ArrayRef<int32_t> values);
  LogicalResult lower();
  LogicalResult lowerGPU(const GPUOptions &options);
  void emitTask(OpBuilder &b, Location loc, unsigned index, Value task,
                IRMapping outer);
  LogicalResult emitGPUTask(OpBuilder &b, Location loc, unsigned index,
                            Value task, IRMapping outer,
                            const gpukernel::Kernel &k);
};
} // namespace

/// Row-major delinearization of iteration `it` of `loop` (static bounds)
/// into its induction variables' values.
static SmallVector<Value> delinearize(OpBuilder &b, Location loc,
                                      scf::ForallOp loop, Value it) {
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value rest = it;
  SmallVector<Value> ivs(loop.getRank());
  for (int64_t d = loop.getRank() - 1; d >= 0; --d) {
    int64_t lb = loop.getStaticLowerBound()[d];
    int64_t ub = loop.getStaticUpperBound()[d];
    int64_t step = loop.getStaticStep()[d];
    int64_t n = llvm::divideCeil(ub - lb, step);
    Value idx = d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, cst(n)).getResult();
    if (d != 0)
      rest = arith::DivUIOp::create(b, loc, rest, cst(n));
    ivs[d] = arith::AddIOp::create(
        b, loc, cst(lb), arith::MulIOp::create(b, loc, idx, cst(step)));
  }
  return ivs;
}

LogicalResult Lowering::check(bool gpu) {
  if (!program.getSchedule())
    return program.emitOpError(
        "has no schedule: run --rammer-schedule before --rammer-lower");
  auto isTensor = [](Type t) { return isa<TensorType>(t); };
  if (program->getNumResults() != 0 ||
      llvm::any_of(program.getInputs().getTypes(), isTensor))
    return program.emitOpError(
        "works on tensors: --rammer-lower runs on buffers (bufferize first)");
  if (gpu)
    // What the program body holds besides its operators runs in every
    // thread of the kernel: views and constants only.
    for (Operation &op : program.getBody().front().without_terminator())
      if (!isa<OperatorOp, ScheduleOp>(op) && !isMemoryEffectFree(&op))
        return op.emitOpError("in an rProgram's body (outside its operators) "
                              "cannot run in every thread of its GPU kernel");
  for (OperatorOp rop : program.getBody().front().getOps<OperatorOp>()) {
    if (rop->getNumResults() != 0 ||
        llvm::any_of(rop.getInputs().getTypes(), isTensor))
      return rop.emitOpError(
          "works on tensors: --rammer-lower runs on buffers (bufferize first)");
    scf::ForallOp loop = getTaskLoop(rop);
    if (rop.getTasks() > 1 && !loop)
      return rop.emitOpError()
             << "has " << rop.getTasks()
             << " rTasks but no task loop to split (a single top-level "
                "scf.forall with constant bounds)";
    if (loop && getTripCount(loop) < static_cast<int64_t>(rop.getTasks()))
      return rop.emitOpError()
             << "has " << rop.getTasks() << " rTasks but its task loop only "
             << getTripCount(loop) << " iterations";
    if (gpu) {
      std::string why;
      if (Operation *culprit = gpukernel::findNonDeviceOp(rop, why)) {
        InFlightDiagnostic diag =
            rop.emitOpError("cannot run inside a GPU kernel: ")
            << culprit->getName() << " " << why;
        diag.attachNote(culprit->getLoc()) << "here";
        return diag;
      }
    }
    operators.push_back(rop);
    loops.push_back(loop);
  }
  return success();
}

/// The body of rTask `task` of operator `index`: its share of the task loop
/// (or the whole body for a single rTask).
void Lowering::emitTask(OpBuilder &b, Location loc, unsigned index, Value task,
                        IRMapping map) {
  OperatorOp rop = operators[index];
  scf::ForallOp loop = loops[index];
  Block &body = rop.getBody().front();
  for (auto [arg, input] : llvm::zip(body.getArguments(), rop.getInputs()))
    map.map(arg, map.lookupOrDefault(input));
  for (Operation &op : body.without_terminator()) {
    if (!loop || &op != loop.getOperation()) {
      b.clone(op, map);
      continue;
    }
    int64_t trips = getTripCount(loop);
    int64_t chunk = llvm::divideCeil(trips, static_cast<int64_t>(rop.getTasks()));
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(b, loc, v).getResult();
    };
    Value lo = arith::MulIOp::create(b, loc, task, cst(chunk));
    Value hi = arith::MinSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, lo, cst(chunk)), cst(trips));
    auto iterations = scf::ForOp::create(b, loc, lo, hi, cst(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(iterations.getBody());
    SmallVector<Value> ivs =
        delinearize(b, loc, loop, iterations.getInductionVar());
    IRMapping inner = map;
    for (auto [iv, value] : llvm::zip(loop.getInductionVars(), ivs))
      inner.map(iv, value);
    for (Operation &nested : loop.getBody()->without_terminator())
      b.clone(nested, inner);
  }
}

Tables Lowering::makeTables() {
  Tables t;
  ScheduleOp schedule = program.getSchedule();
  t.veus = program.getVdevice().getVeus();
  SmallVector<int64_t> barriers;
  SmallVector<TaskOp> tasks;
  for (Operation &op : schedule.getBody().front()) {
    if (auto barrier = dyn_cast<BarrierOp>(op))
      barriers.push_back(barrier.getStep());
    else if (auto task = dyn_cast<TaskOp>(op))
      tasks.push_back(task);
  }
  llvm::sort(barriers);
  t.segments = barriers.size() + 1;
  llvm::StringMap<unsigned> indexOf;
  for (auto [i, rop] : llvm::enumerate(operators))
    indexOf[rop.getSymName()] = i;
  // Each vEU runs its rTasks of a segment in step order.
  llvm::stable_sort(tasks, [](TaskOp a, TaskOp b) { return a.getStep() < b.getStep(); });
  t.lists.resize(t.segments * t.veus);
  for (TaskOp task : tasks) {
    int64_t segment = llvm::upper_bound(barriers, static_cast<int64_t>(task.getStep())) -
                      barriers.begin();
    t.lists[segment * t.veus + task.getVeu()].push_back(
        {static_cast<int32_t>(indexOf[task.getOpName()]),
         static_cast<int32_t>(task.getTile())});
  }
  t.offsets = {0};
  for (auto &list : t.lists) {
    for (auto [k, tile] : list) {
      t.kinds.push_back(k);
      t.tiles.push_back(tile);
    }
    t.offsets.push_back(t.kinds.size());
  }
  if (t.kinds.empty()) {
    t.kinds.push_back(0);
    t.tiles.push_back(0);
  }
  return t;
}

SmallVector<int64_t> Tables::casesOf(int64_t segment) const {
  // A segment's switch has a case only for the operators it runs (an
  // operator's body is emitted once per segment it has rTasks in).
  SmallVector<int64_t> cases;
  for (int64_t v = 0; v < veus; ++v)
    for (auto [k, t] : lists[segment * veus + v])
      cases.push_back(k);
  llvm::sort(cases);
  cases.erase(std::unique(cases.begin(), cases.end()), cases.end());
  return cases;
}

Value Lowering::table(OpBuilder &b, Location loc, StringRef suffix,
                      ArrayRef<int32_t> values) {
  std::string base = ("__rammer_" + program.getSymName()).str();
  auto type = MemRefType::get({static_cast<int64_t>(values.size())},
                              b.getI32Type());
  OpBuilder g = OpBuilder::atBlockBegin(module.getBody());
  auto global = memref::GlobalOp::create(
      g, loc, base + suffix.str(), g.getStringAttr("private"), type,
      DenseIntElementsAttr::get(
          RankedTensorType::get(type.getShape(), g.getI32Type()), values),
      /*constant=*/true, /*alignment=*/IntegerAttr());
  symbols.insert(global); // renamed on a clash
  tables.push_back(global);
  return memref::GetGlobalOp::create(b, loc, type, global.getSymName())
      .getResult();
}

LogicalResult Lowering::lower() {
  if (failed(check(/*gpu=*/false)))
    return failure();
  Tables t = makeTables();
  int64_t veus = t.veus, segments = t.segments;

  Location loc = program.getLoc();
  OpBuilder b(program);
  Value offsetTable = table(b, loc, "_offsets", t.offsets);
  Value kindTable = table(b, loc, "_operators", t.kinds);
  Value tileTable = table(b, loc, "_tasks", t.tiles);

  // The program body's plain ops (views, constants) in front of the region.
  IRMapping map;
  for (auto [arg, input] :
       llvm::zip(program.getBody().front().getArguments(), program.getInputs()))
    map.map(arg, input);
  for (Operation &op : program.getBody().front().without_terminator())
    if (!isa<OperatorOp, ScheduleOp>(op))
      b.clone(op, map);

  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  auto asIndex = [&](Value i32) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), i32).getResult();
  };
  // One claim counter per segment, shared by the threads: a thread takes the
  // next unclaimed vEU and runs its rTasks, until none is left. Every vEU
  // runs exactly once whatever number of threads OpenMP grants, and no
  // thread-id call is needed (with two OpenMP runtimes in one process, as
  // beside PyTorch, omp_get_thread_num may resolve to the other one).
  auto counters = memref::AllocaOp::create(
      b, loc, MemRefType::get({segments}, b.getI32Type()));
  Value zero = arith::ConstantIntOp::create(b, loc, 0, 32);
  for (int64_t segment = 0; segment < segments; ++segment)
    memref::StoreOp::create(b, loc, zero, counters, cst(segment));

  // As many threads as OpenMP gives (OMP_NUM_THREADS), like the parallel
  // loops of unscheduled kernels: the claim loop copes with any number.
  auto parallel = omp::ParallelOp::create(b, loc, omp::ParallelOperands());
  Block *region = new Block();
  parallel.getRegion().push_back(region);
  b.setInsertionPointToStart(region);
  for (int64_t segment = 0; segment < segments; ++segment) {
    SmallVector<int64_t> cases = t.casesOf(segment);
    auto claim = scf::WhileOp::create(b, loc, TypeRange{b.getIndexType()},
                                      ValueRange{});
    {
      OpBuilder::InsertionGuard guard(b);
      b.createBlock(&claim.getBefore());
      Value one = arith::ConstantIntOp::create(b, loc, 1, 32);
      Value old = memref::AtomicRMWOp::create(
          b, loc, arith::AtomicRMWKind::addi, one, counters,
          ValueRange{cst(segment)});
      Value veu = asIndex(old);
      Value more = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, veu,
                                         cst(veus));
      scf::ConditionOp::create(b, loc, more, ValueRange{veu});
      Block *after = b.createBlock(&claim.getAfter(), {}, {b.getIndexType()},
                                   {loc});
      b.setInsertionPointToStart(after);
      Value slot = arith::AddIOp::create(b, loc, cst(segment * veus),
                                         after->getArgument(0));
      auto load = [&](Value table, Value index) {
        return asIndex(memref::LoadOp::create(b, loc, table, index));
      };
      Value lo = load(offsetTable, slot);
      Value hi = load(offsetTable, arith::AddIOp::create(b, loc, slot, cst(1)));
      auto taskLoop = scf::ForOp::create(b, loc, lo, hi, cst(1));
      b.setInsertionPointToStart(taskLoop.getBody());
      Value kind = load(kindTable, taskLoop.getInductionVar());
      Value task = load(tileTable, taskLoop.getInductionVar());
      auto sw = scf::IndexSwitchOp::create(b, loc, TypeRange{}, kind, cases,
                                           cases.size());
      for (auto [index, caseRegion] : llvm::zip(cases, sw.getCaseRegions())) {
        Block *block = b.createBlock(&caseRegion);
        b.setInsertionPointToStart(block);
        emitTask(b, loc, index, task, map);
        scf::YieldOp::create(b, loc);
      }
      b.createBlock(&sw.getDefaultRegion());
      scf::YieldOp::create(b, loc);
      b.setInsertionPointToEnd(after);
      scf::YieldOp::create(b, loc);
    }
    if (segment + 1 < segments)
      omp::BarrierOp::create(b, loc);
  }
  omp::TerminatorOp::create(b, loc);
  program.erase();
  return success();
}

//===----------------------------------------------------------------------===//
// GPU: one kernel per program
//===----------------------------------------------------------------------===//

/// Spreads the work of `op` (an op of an rTask outside any tile loop, as
/// cloned into the kernel) over the block's threads: copies by element,
/// linalg ops by their parallel iterations; anything else that writes
/// memory runs in thread 0.
static LogicalResult spreadOverBlock(Operation *op, const gpukernel::Kernel &k) {
  using gpukernel::Kernel;
  if (isMemoryEffectFree(op))
    return success();
  if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    Kernel::spreadCopy(copy, k.tx, k.threads);
    return success();
  }
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
      linalgOp && linalgOp.hasPureBufferSemantics()) {
    IRRewriter rewriter(op->getContext());
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::LinalgLoops> nest =
        linalg::linalgOpToParallelLoops(rewriter, linalgOp);
    if (failed(nest))
      return op->emitOpError("cannot be turned into loops inside a GPU kernel");
    rewriter.eraseOp(op);
    if (nest->empty())
      return success();
    if (auto parallel = dyn_cast<scf::ParallelOp>(nest->front())) {
      Kernel::replaceTileLoop(Kernel::toForall(parallel), k.tx, k.threads);
      return success();
    }
    // No parallel loop to split: thread 0 runs the whole nest.
    op = nest->front();
  }
  OpBuilder b(op);
  auto when = scf::IfOp::create(b, op->getLoc(), k.threadZero, false);
  op->moveBefore(when.thenBlock()->getTerminator());
  // Buffers it allocates are thread 0's own.
  gpukernel::privatize({op});
  return success();
}

LogicalResult Lowering::emitGPUTask(OpBuilder &b, Location loc, unsigned index,
                                    Value task, IRMapping map,
                                    const gpukernel::Kernel &k) {
  OperatorOp rop = operators[index];
  scf::ForallOp loop = loops[index];
  Block &body = rop.getBody().front();
  for (auto [arg, input] : llvm::zip(body.getArguments(), rop.getInputs()))
    map.map(arg, map.lookupOrDefault(input));
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  for (Operation &op : body.without_terminator()) {
    if (!loop || &op != loop.getOperation()) {
      if (failed(spreadOverBlock(b.clone(op, map), k)))
        return failure();
      continue;
    }
    int64_t trips = getTripCount(loop);
    int64_t chunk = llvm::divideCeil(trips, static_cast<int64_t>(rop.getTasks()));
    bool blockLevel = !gpukernel::getThreadLoops(loop).empty();
    OpBuilder::InsertionGuard guard(b);
    Value it = task;
    if (!blockLevel || chunk != 1) {
      // Several iterations one after the other (block level: every thread
      // runs each), or spread over the threads (no thread level: one
      // iteration per thread). One iteration at block level is
      // straight-line code.
      Value lo = chunk == 1 ? task : arith::MulIOp::create(b, loc, task, cst(chunk)).getResult();
      Value hi = arith::MinSIOp::create(
          b, loc, arith::AddIOp::create(b, loc, lo, cst(chunk)), cst(trips));
      Value start = blockLevel ? lo : arith::AddIOp::create(b, loc, lo, k.tx).getResult();
      auto iterations =
          scf::ForOp::create(b, loc, start, hi, blockLevel ? cst(1) : k.threads);
      b.setInsertionPoint(iterations.getBody()->getTerminator());
      it = iterations.getInductionVar();
    }
    SmallVector<Value> ivs = delinearize(b, loc, loop, it);
    if (blockLevel) {
      if (failed(k.emitBlockIteration(b, loop, ivs, map)))
        return failure();
      continue;
    }
    // One thread's iteration: tile loops nested in it run sequentially
    // (lowerLeftoversToLoops), what it allocates is its own.
    IRMapping nested = map;
    for (auto [iv, value] : llvm::zip(loop.getInductionVars(), ivs))
      nested.map(iv, value);
    SmallVector<Operation *> copies;
    for (Operation &inner : loop.getBody()->without_terminator())
      copies.push_back(b.clone(inner, nested));
    gpukernel::privatize(copies);
  }
  return success();
}

LogicalResult Lowering::lowerGPU(const GPUOptions &options) {
  using gpukernel::Kernel;
  if (failed(check(/*gpu=*/true)))
    return failure();
  Tables t = makeTables();
  roller::TargetAttr target = options.target;
  BlockShape shape = getBlockShape(program, target, options.threads,
                                   options.registers);
  // Never more blocks than the units hold at once: the grid barrier waits
  // for every block. A program with more vEUs than that runs several per
  // block (each vEU's rTasks of a segment are independent of the others').
  if (shape.sharedBytes > gpukernel::kStaticSharedBytes)
    return program.emitOpError()
           << "needs " << shape.sharedBytes
           << " B of shared memory per block, more than "
           << gpukernel::kStaticSharedBytes << " B of static shared memory";
  int64_t units = std::max<int64_t>(1, target.getUnits());
  int64_t grid = std::min(t.veus, units * shape.perUnit);
  int64_t perUnit = llvm::divideCeil(grid, units);

  Location loc = program.getLoc();
  std::string name = llvm::formatv("{0}_rammer", program.getSymName());
  OpBuilder b(program);
  auto index = [&](int64_t v) { return Kernel::index(b, loc, v); };
  Value one = index(1);
  auto launch = gpu::LaunchOp::create(b, loc, index(grid), one, one,
                                      index(shape.threads), one, one);
  // What the launch replaces, for launch plans (kept on the launch_func).
  if (Attribute launches = program->getAttr("rammer.launches"))
    launch->setAttr("rammer.launches", launches);
  Block &launchBody = launch.getBody().front();
  b.setInsertionPointToStart(&launchBody);
  auto terminator = gpu::TerminatorOp::create(b, loc);
  b.setInsertionPoint(terminator);
  Kernel k = Kernel::begin(b, launch, /*gridBarriers=*/t.segments > 1 && grid > 1,
                           shape.sharedBytes);
  Value offsetTable = table(b, loc, "_offsets", t.offsets);
  Value kindTable = table(b, loc, "_operators", t.kinds);
  Value tileTable = table(b, loc, "_tasks", t.tiles);

  // The program body's plain ops (views, constants), in the kernel.
  IRMapping map;
  for (auto [arg, input] :
       llvm::zip(program.getBody().front().getArguments(), program.getInputs()))
    map.map(arg, input);
  for (Operation &op : program.getBody().front().without_terminator())
    if (!isa<OperatorOp, ScheduleOp>(op))
      b.clone(op, map);

  auto asIndex = [&](Value i32) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), i32).getResult();
  };
  for (int64_t segment = 0; segment < t.segments; ++segment) {
    SmallVector<int64_t> cases = t.casesOf(segment);
    OpBuilder::InsertionGuard guard(b);
    Value veu = k.bx;
    if (t.veus > grid) {
      auto veuLoop = scf::ForOp::create(b, loc, k.bx, index(t.veus), k.grid);
      b.setInsertionPoint(veuLoop.getBody()->getTerminator());
      veu = veuLoop.getInductionVar();
    }
    Value slot = arith::AddIOp::create(b, loc, index(segment * t.veus), veu);
    auto load = [&](Value table, Value at) {
      return asIndex(memref::LoadOp::create(b, loc, table, at));
    };
    Value lo = load(offsetTable, slot);
    Value hi = load(offsetTable, arith::AddIOp::create(b, loc, slot, one));
    auto taskLoop = scf::ForOp::create(b, loc, lo, hi, one);
    b.setInsertionPoint(taskLoop.getBody()->getTerminator());
    Value kind = load(kindTable, taskLoop.getInductionVar());
    Value task = load(tileTable, taskLoop.getInductionVar());
    auto sw = scf::IndexSwitchOp::create(b, loc, TypeRange{}, kind, cases,
                                         cases.size());
    for (auto [op, caseRegion] : llvm::zip(cases, sw.getCaseRegions())) {
      OpBuilder::InsertionGuard caseGuard(b);
      b.createBlock(&caseRegion);
      auto yield = scf::YieldOp::create(b, loc);
      b.setInsertionPoint(yield);
      if (failed(emitGPUTask(b, loc, op, task, map, k)))
        return failure();
    }
    {
      OpBuilder::InsertionGuard caseGuard(b);
      b.createBlock(&sw.getDefaultRegion());
      scf::YieldOp::create(b, loc);
    }
    b.setInsertionPoint(terminator);
    if (segment + 1 < t.segments)
      k.gridBarrier(b, loc);
  }
  program.erase();

  if (failed(gpukernel::lowerLeftoversToLoops(launch)))
    return failure();
  // What the GPU pipeline does to kernels still in functions (the kernel
  // leaves them here): multi-reductions become per-lane ops.
  {
    RewritePatternSet patterns(launch.getContext());
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerParallel);
    if (failed(applyPatternsGreedily(launch, std::move(patterns))))
      return launch.emitOpError("rammer-lower: lowering vector reductions did not converge");
  }
  FailureOr<gpu::GPUFuncOp> func = gpukernel::outline(launch, name, symbols);
  if (failed(func))
    return failure();
  gpukernel::setLaunchBounds(*func, perUnit);
  // The tables went with the kernel; the host has no use for them.
  for (memref::GlobalOp global : tables) {
    symbols.erase(global);
  }
  return success();
}

namespace {
struct RammerLowerPass : public mlir::fourfold::rammer::impl::RammerLowerBase<RammerLowerPass> {
  using RammerLowerBase::RammerLowerBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    GPUOptions options;
    if (gpu) {
      std::string error;
      FailureOr<roller::TargetAttr> t =
          roller::getTarget(&getContext(), target, error);
      if (failed(t)) {
        module.emitError() << "rammer-lower: " << error;
        return signalPassFailure();
      }
      if (t->getKind() != roller::TargetKind::gpu) {
        module.emitError() << "rammer-lower: gpu=true needs a GPU target, got '"
                           << t->getName() << "'";
        return signalPassFailure();
      }
      if (threads < 0 || threads > 1024 || registers < 0) {
        module.emitError() << "rammer-lower: threads must be 0..1024 and "
                              "registers >= 0, got "
                           << threads << " and " << registers;
        return signalPassFailure();
      }
      options = {*t, threads, registers};
    }
    SymbolTable symbols(module);
    SmallVector<ProgramOp> programs;
    module.walk([&](ProgramOp p) { programs.push_back(p); });
    for (ProgramOp program : programs) {
      Lowering lowering{program, module, symbols, {}, {}, {}};
      if (failed(gpu ? lowering.lowerGPU(options) : lowering.lower()))
        return signalPassFailure();
    }
  }
};
} // namespace
