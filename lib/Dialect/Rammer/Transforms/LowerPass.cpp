//===- LowerPass.cpp - --rammer-lower: one parallel region per rProgram --===//

#include "Rammer/Dependences.h"
#include "Rammer/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/STLExtras.h"

namespace mlir::fourfold::rammer {
#define GEN_PASS_DEF_RAMMERLOWER
#include "Rammer/Passes.h.inc"
} // namespace mlir::fourfold::rammer

using namespace mlir;
using namespace mlir::fourfold::rammer;

namespace {
struct Lowering {
  ProgramOp program;
  ModuleOp module;
  SymbolTable &symbols;
  SmallVector<OperatorOp> operators;
  SmallVector<scf::ForallOp> loops;

  LogicalResult check();
  LogicalResult lower();
  void emitTask(OpBuilder &b, Location loc, unsigned index, Value task,
                IRMapping outer);
};
} // namespace

LogicalResult Lowering::check() {
  if (!program.getSchedule())
    return program.emitOpError(
        "has no schedule: run --rammer-schedule before --rammer-lower");
  auto isTensor = [](Type t) { return isa<TensorType>(t); };
  if (program->getNumResults() != 0 ||
      llvm::any_of(program.getInputs().getTypes(), isTensor))
    return program.emitOpError(
        "works on tensors: --rammer-lower runs on buffers (bufferize first)");
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
    // Row-major delinearization of the iteration over the loop's dims.
    Value rest = iterations.getInductionVar();
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
    IRMapping inner = map;
    for (auto [iv, value] : llvm::zip(loop.getInductionVars(), ivs))
      inner.map(iv, value);
    for (Operation &nested : loop.getBody()->without_terminator())
      b.clone(nested, inner);
  }
}

LogicalResult Lowering::lower() {
  if (failed(check()))
    return failure();
  ScheduleOp schedule = program.getSchedule();
  int64_t veus = program.getVdevice().getVeus();
  SmallVector<int64_t> barriers;
  SmallVector<TaskOp> tasks;
  for (Operation &op : schedule.getBody().front()) {
    if (auto barrier = dyn_cast<BarrierOp>(op))
      barriers.push_back(barrier.getStep());
    else if (auto task = dyn_cast<TaskOp>(op))
      tasks.push_back(task);
  }
  llvm::sort(barriers);
  int64_t segments = barriers.size() + 1;
  llvm::StringMap<unsigned> indexOf;
  for (auto [i, rop] : llvm::enumerate(operators))
    indexOf[rop.getSymName()] = i;
  // Each vEU runs its rTasks of a segment in step order.
  llvm::stable_sort(tasks, [](TaskOp a, TaskOp b) { return a.getStep() < b.getStep(); });
  SmallVector<SmallVector<std::pair<int32_t, int32_t>>> lists(segments * veus);
  for (TaskOp task : tasks) {
    int64_t segment = llvm::upper_bound(barriers, static_cast<int64_t>(task.getStep())) -
                      barriers.begin();
    lists[segment * veus + task.getVeu()].push_back(
        {static_cast<int32_t>(indexOf[task.getOpName()]),
         static_cast<int32_t>(task.getTile())});
  }
  SmallVector<int32_t> offsets = {0}, kinds, tiles;
  for (auto &list : lists) {
    for (auto [k, t] : list) {
      kinds.push_back(k);
      tiles.push_back(t);
    }
    offsets.push_back(kinds.size());
  }
  if (kinds.empty()) {
    kinds.push_back(0);
    tiles.push_back(0);
  }

  Location loc = program.getLoc();
  OpBuilder b(program);
  std::string base = ("__rammer_" + program.getSymName()).str();
  auto table = [&](StringRef suffix, ArrayRef<int32_t> values) {
    auto type = MemRefType::get({static_cast<int64_t>(values.size())},
                                b.getI32Type());
    OpBuilder g = OpBuilder::atBlockBegin(module.getBody());
    auto global = memref::GlobalOp::create(
        g, loc, base + suffix.str(), g.getStringAttr("private"), type,
        DenseIntElementsAttr::get(
            RankedTensorType::get(type.getShape(), g.getI32Type()), values),
        /*constant=*/true, /*alignment=*/IntegerAttr());
    symbols.insert(global); // renamed on a clash
    return memref::GetGlobalOp::create(b, loc, type, global.getSymName())
        .getResult();
  };
  Value offsetTable = table("_offsets", offsets);
  Value kindTable = table("_operators", kinds);
  Value tileTable = table("_tasks", tiles);

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
    // A segment's switch has a case only for the operators it runs (an
    // operator's body is emitted once per segment it has rTasks in).
    SmallVector<int64_t> cases;
    for (int64_t v = 0; v < veus; ++v)
      for (auto [k, t] : lists[segment * veus + v])
        cases.push_back(k);
    llvm::sort(cases);
    cases.erase(std::unique(cases.begin(), cases.end()), cases.end());
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

namespace {
struct RammerLowerPass : public mlir::fourfold::rammer::impl::RammerLowerBase<RammerLowerPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<ProgramOp> programs;
    module.walk([&](ProgramOp p) { programs.push_back(p); });
    for (ProgramOp program : programs) {
      Lowering lowering{program, module, symbols, {}, {}};
      if (failed(lowering.lower()))
        return signalPassFailure();
    }
  }
};
} // namespace
