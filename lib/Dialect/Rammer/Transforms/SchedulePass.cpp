//===- SchedulePass.cpp - rOperator extraction and --rammer-schedule -----===//

#include "Rammer/Cost.h"
#include "Rammer/Dependences.h"
#include "Roller/GPUKernel.h"
#include "Rammer/Passes.h"
#include "Rammer/Scheduler.h"

#include "Roller/Targets.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::fourfold::rammer {
#define GEN_PASS_DEF_RAMMERSCHEDULE
#include "Rammer/Passes.h.inc"
} // namespace mlir::fourfold::rammer

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::rammer;

//===----------------------------------------------------------------------===//
// Isolating ops into a region: what they use from above becomes block
// arguments, or is cloned in (constants, views)
//===----------------------------------------------------------------------===//

static bool isBuffer(Value v) { return isa<BaseMemRefType>(v.getType()); }

static bool isPlain(Operation *op) {
  return op && op->getNumRegions() == 0 && isMemoryEffectFree(op);
}

/// Clones `ops` (in order) to the end of `block`; values they use from
/// outside it become `inputs` (and block arguments) unless `cloneIn` says
/// their (plain) defining op is cloned into the block instead. The callers
/// erase the originals once the result is kept.
static void isolate(ArrayRef<Operation *> ops, Block &block,
                    llvm::SetVector<Value> &inputs,
                    function_ref<bool(Value)> cloneIn) {
  IRMapping map;
  OpBuilder builder = OpBuilder::atBlockEnd(&block);
  std::function<void(Value)> capture = [&](Value v) {
    if (map.contains(v))
      return;
    if (cloneIn(v)) {
      Operation *def = v.getDefiningOp();
      for (Value operand : def->getOperands())
        capture(operand);
      builder.clone(*def, map);
      return;
    }
    inputs.insert(v);
    map.map(v, block.addArgument(v.getType(), v.getLoc()));
  };
  for (Operation *op : ops) {
    auto fromAbove = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (auto arg = dyn_cast<BlockArgument>(v))
        def = arg.getOwner()->getParentOp();
      return !(def && op->isAncestor(def));
    };
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (fromAbove(operand))
          capture(operand);
    });
    builder.clone(*op, map);
  }
}

/// Wraps `kernel` (an op in a program body) into a rammer.operator.
static OperatorOp wrapInOperator(Operation *kernel, StringRef name) {
  OpBuilder builder(kernel);
  Location loc = kernel->getLoc();
  auto rop = OperatorOp::create(builder, loc, TypeRange{}, name,
                                /*tasks=*/1, /*duration=*/FloatAttr(),
                                ValueRange{});
  Block *body = new Block();
  rop.getBody().push_back(body);
  llvm::SetVector<Value> inputs;
  // Buffers come in as inputs (so that dependences see them); scalars and
  // constants are cloned in.
  isolate({kernel}, *body, inputs, [](Value v) {
    return !isBuffer(v) && isPlain(v.getDefiningOp());
  });
  kernel->erase();
  OpBuilder end = OpBuilder::atBlockEnd(body);
  YieldOp::create(end, loc, ValueRange{});
  rop->setOperands(inputs.getArrayRef());
  // One rTask per tile to start with; the scheduler may coarsen them.
  if (scf::ForallOp loop = getTaskLoop(rop))
    rop.setTasks(std::max<int64_t>(1, getTripCount(loop)));
  return rop;
}

/// Puts a rammer.program around `run` (kernels of one function block, in
/// order, with only plain ops and allocations moved out of the way).
static ProgramOp buildProgram(ArrayRef<Operation *> run, StringRef name,
                              int64_t veus) {
  OpBuilder builder(run.front());
  Location loc = builder.getFusedLoc(
      llvm::map_to_vector(run, [](Operation *op) { return op->getLoc(); }));
  auto program = ProgramOp::create(
      builder, loc, TypeRange{}, name,
      VDeviceAttr::get(builder.getContext(), veus), ValueRange{});
  Block *body = new Block();
  program.getBody().push_back(body);
  llvm::SetVector<Value> inputs;
  // Views and constants are cloned in, so that the program's inputs are
  // whole buffers (distinct arguments, distinct memory).
  isolate(run, *body, inputs, [](Value v) { return isPlain(v.getDefiningOp()); });
  OpBuilder end = OpBuilder::atBlockEnd(body);
  YieldOp::create(end, loc, ValueRange{});
  program->setOperands(inputs.getArrayRef());
  SmallVector<Operation *> kernels;
  for (Operation &op : body->without_terminator())
    if (!isPlain(&op))
      kernels.push_back(&op);
  for (auto [i, kernel] : llvm::enumerate(kernels)) {
    std::string opName = llvm::formatv(
        "k{0}.{1}", i, kernel->getName().stripDialect());
    wrapInOperator(kernel, opName);
  }
  return program;
}

namespace {
enum class Kind { Kernel, Plain, Allocation, Deallocation, Other };
}

/// `gpu`: kernels are what one block of a GPU kernel can run as rTasks
/// (tile loops, copies and linalg ops with nothing device code cannot do);
/// host loops (scf.for / scf.parallel around kernels) break runs.
static Kind classify(Operation *op, Block *scope, bool gpu) {
  if (op->hasTrait<OpTrait::IsTerminator>())
    return Kind::Other;
  if (isPlain(op))
    return Kind::Plain;
  if (isa<memref::AllocOp, memref::AllocaOp>(op))
    return Kind::Allocation;
  if (isa<memref::DeallocOp>(op))
    return Kind::Deallocation;
  if (op->getNumResults() != 0)
    return Kind::Other;
  bool kernelLike = isa<scf::ForallOp, memref::CopyOp>(op) ||
                    (!gpu && isa<scf::ForOp, scf::ParallelOp>(op)) ||
                    (isa<linalg::LinalgOp>(op) &&
                     cast<linalg::LinalgOp>(op).hasPureBufferSemantics());
  if (!kernelLike || getMemoryAccess(op, scope).unknown)
    return Kind::Other;
  std::string why;
  if (gpu && gpukernel::findNonDeviceOp(op, why))
    return Kind::Other;
  return Kind::Kernel;
}

/// Runs of two or more kernels of `func`'s body, each with the plain ops
/// and allocations between its kernels (hoisted) and its deallocations
/// (sunk).
namespace {
struct Run {
  SmallVector<Operation *> kernels, before, after;
};
} // namespace

static SmallVector<Run> findRuns(func::FuncOp func, bool gpu) {
  SmallVector<Run> runs;
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return runs;
  Block &block = func.getBody().front();
  runs.emplace_back();
  for (Operation &op : block) {
    Kind kind = classify(&op, &block, gpu);
    Run &run = runs.back();
    if (kind == Kind::Kernel)
      run.kernels.push_back(&op);
    else if (kind == Kind::Other) {
      if (!run.kernels.empty())
        runs.emplace_back();
    } else if (kind == Kind::Deallocation) {
      if (!run.kernels.empty())
        run.after.push_back(&op);
    } else if (!run.kernels.empty()) {
      run.before.push_back(&op);
    }
  }
  // Deallocations and hoisted ops after the last kernel stay where they are.
  for (Run &run : runs) {
    Operation *last = run.kernels.empty() ? nullptr : run.kernels.back();
    llvm::erase_if(run.before, [&](Operation *op) { return last && last->isBeforeInBlock(op); });
    llvm::erase_if(run.after, [&](Operation *op) { return last && last->isBeforeInBlock(op); });
  }
  llvm::erase_if(runs, [](const Run &r) { return r.kernels.size() < 2; });
  return runs;
}

//===----------------------------------------------------------------------===//
// Scheduling a program
//===----------------------------------------------------------------------===//

namespace {
struct Scheduled {
  ProgramOp program;
  SmallVector<std::string> names;
  Schedule schedule;
};
} // namespace

/// `share`: how many rTasks share one compute unit's rates at a time (a
/// GPU's resident blocks per SM; 1 on a CPU, a vEU per core).
static SmallVector<Kernel> describeKernels(ProgramOp program, Rates rates,
                                           double share) {
  SmallVector<OperatorOp> ops =
      llvm::to_vector(program.getBody().front().getOps<OperatorOp>());
  SmallVector<MemoryAccess> access = llvm::map_to_vector(ops, getOperatorAccess);
  SmallVector<Kernel> kernels;
  for (auto [j, rop] : llvm::enumerate(ops)) {
    Kernel k;
    scf::ForallOp loop = getTaskLoop(rop);
    int64_t tasks = rop.getTasks();
    if (loop && getTripCount(loop) >= tasks) {
      k.units = getTripCount(loop);
      k.coarsen = true;
      k.chunk = llvm::divideCeil(k.units, tasks);
      k.launches = true;
    } else {
      // rTasks the program states without a loop to split: fixed.
      k.units = tasks;
      k.launches = tasks > 1;
    }
    if (std::optional<APFloat> d = rop.getDuration())
      k.unitUs = d->convertToDouble() / k.chunk;
    else if (loop)
      k.unitUs = share * rates.us(estimateWork(*loop.getBody()));
    else
      k.unitUs = share * rates.us(estimateWork(rop.getBody().front())) / k.units;
    for (size_t i = 0; i < j; ++i)
      if (getDependence(ops[i], access[i], rop, access[j]) != Dependence::None)
        k.preds.push_back(i);
    kernels.push_back(k);
  }
  return kernels;
}

static void writeSchedule(ProgramOp program, const Schedule &s,
                          ArrayRef<Kernel> kernels) {
  SmallVector<OperatorOp> ops =
      llvm::to_vector(program.getBody().front().getOps<OperatorOp>());
  Builder b(program.getContext());
  for (auto [rop, kernel, chunk] : llvm::zip(ops, kernels, s.chunk)) {
    Kernel k = kernel;
    k.chunk = chunk;
    rop.setTasks(k.tasks());
    rop.setDurationAttr(b.getF64FloatAttr(k.taskUs(0, 0)));
  }
  OpBuilder builder(program.getBody().front().getTerminator());
  auto schedule = ScheduleOp::create(builder, program.getLoc());
  Block *body = new Block();
  schedule.getBody().push_back(body);
  builder.setInsertionPointToEnd(body);
  SmallVector<Placement> order(s.placements);
  llvm::stable_sort(order, [](const Placement &a, const Placement &c) {
    return std::tie(a.step, a.veu) < std::tie(c.step, c.veu);
  });
  auto barrier = s.barriers.begin();
  for (const Placement &p : order) {
    while (barrier != s.barriers.end() && *barrier <= p.step)
      BarrierOp::create(builder, program.getLoc(), *barrier++);
    TaskOp::create(builder, program.getLoc(), ops[p.kernel].getSymName(),
                   p.task, p.veu, p.step);
  }
  program->setAttr("rammer.predicted_us", b.getF64FloatAttr(s.makespanUs));
  program->setAttr("rammer.unscheduled_us", b.getF64FloatAttr(s.unscheduledUs));
}

/// An SVG picture: one row per vEU, time to the right, one colour per
/// operator, one panel per program.
static void writePicture(llvm::raw_ostream &os, MutableArrayRef<Scheduled> all) {
  const double width = 900, row = 14, left = 60;
  double height = 10;
  for (Scheduled &s : all)
    height += 40 + row * std::min<int64_t>(s.program.getVdevice().getVeus(), 64);
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
                      "height=\"{1}\" font-family=\"monospace\" font-size=\"10\">\n",
                      width + left + 20, height);
  double y = 10;
  for (Scheduled &s : all) {
    int64_t veus = std::min<int64_t>(s.program.getVdevice().getVeus(), 64);
    double scale = s.schedule.makespanUs > 0 ? width / s.schedule.makespanUs : 1;
    os << llvm::formatv("<text x=\"0\" y=\"{0}\">{1}: {2} operators, {3} "
                        "segments, predicted {4:f2} us (one launch per "
                        "kernel: {5:f2} us)</text>\n",
                        y + 12, s.program.getSymName(), s.names.size(),
                        s.schedule.segments, s.schedule.makespanUs,
                        s.schedule.unscheduledUs);
    y += 20;
    for (int64_t v = 0; v < veus; ++v)
      os << llvm::formatv("<text x=\"0\" y=\"{0}\">vEU {1}</text>\n",
                          y + row * v + 10, v);
    for (const Placement &p : s.schedule.placements) {
      if (p.veu >= veus)
        continue;
      // Golden-angle hues: neighbouring operators get distant colours.
      int hue = static_cast<int>(p.kernel * 137.508) % 360;
      os << llvm::formatv(
          "<rect x=\"{0:f1}\" y=\"{1:f1}\" width=\"{2:f1}\" height=\"{3}\" "
          "fill=\"hsl({4},65%,55%)\" stroke=\"white\"><title>{5}[{6}] "
          "{7:f2}-{8:f2} us</title></rect>\n",
          left + p.startUs * scale, y + row * p.veu,
          std::max(0.5, (p.endUs - p.startUs) * scale), row - 2, hue,
          s.names[p.kernel], p.task, p.startUs, p.endUs);
    }
    y += row * veus + 20;
  }
  os << "</svg>\n";
}

/// A program extracted for a GPU: one vEU per block the kernel's grid can
/// hold resident at once (unless `veus` was given), and an rTask of a tile
/// loop without a thread level is as many of its iterations as a block has
/// threads (one per thread).
static LogicalResult shapeForGPU(ProgramOp program, roller::TargetAttr target,
                                 int64_t veus) {
  BlockShape shape = getBlockShape(program, target);
  // Blocks run one rTask at a time, so they need the most shared memory any
  // operator's tile needs; a static allocation cannot exceed CUDA's limit.
  if (shape.sharedBytes > gpukernel::kStaticSharedBytes)
    return failure();
  if (veus <= 0)
    program.setVdeviceAttr(VDeviceAttr::get(
        program.getContext(), target.getUnits() * shape.perUnit));
  for (OperatorOp rop : program.getBody().front().getOps<OperatorOp>())
    if (scf::ForallOp loop = getTaskLoop(rop); loop && gpukernel::getThreadLoops(loop).empty())
      rop.setTasks(std::max<int64_t>(
          1, llvm::divideCeil(getTripCount(loop), shape.threads)));
  return success();
}

namespace {
struct RammerSchedulePass
    : public mlir::fourfold::rammer::impl::RammerScheduleBase<RammerSchedulePass> {
  using RammerScheduleBase::RammerScheduleBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<Policy> parsed = parsePolicy(policy);
    if (!parsed) {
      module.emitError() << "rammer-schedule: unknown policy '" << policy
                         << "' (known: wavefront, critical-path)";
      return signalPassFailure();
    }
    std::string error;
    FailureOr<roller::TargetAttr> targetAttr =
        roller::getTarget(&getContext(), target, error);
    if (failed(targetAttr)) {
      module.emitError() << "rammer-schedule: " << error;
      return signalPassFailure();
    }
    if (veus < 0) {
      module.emitError() << "rammer-schedule: veus must be >= 0, got " << veus;
      return signalPassFailure();
    }
    VDevice device = getVDevice(*targetAttr, veus);
    Rates rates = getRates(*targetAttr);
    bool gpu = targetAttr->getKind() == roller::TargetKind::gpu;
    int64_t units = std::max<int64_t>(1, targetAttr->getUnits());

    SmallVector<Scheduled, 2> done;
    auto plan = [&](ProgramOp program) {
      VDevice programDevice = device;
      programDevice.veus = program.getVdevice().getVeus();
      double share =
          gpu ? std::max(1.0, static_cast<double>(programDevice.veus) / units)
              : 1.0;
      SmallVector<Kernel> kernels = describeKernels(program, rates, share);
      Schedule s = schedule(kernels, programDevice, *parsed, variants);
      return std::make_pair(kernels, s);
    };
    auto keep = [&](ProgramOp program, ArrayRef<Kernel> kernels,
                    const Schedule &s) {
      writeSchedule(program, s, kernels);
      // The launches (GPU kernels / parallel regions) the program replaces,
      // for launch plans and reports.
      int64_t launchesBefore = llvm::count_if(
          kernels, [](const Kernel &k) { return k.launches; });
      program->setAttr("rammer.launches",
                       Builder(program.getContext()).getI64IntegerAttr(launchesBefore));
      Scheduled entry{program, {}, s};
      for (OperatorOp rop : program.getBody().front().getOps<OperatorOp>())
        entry.names.push_back(rop.getSymName().str());
      if (explain) {
        program.emitRemark() << llvm::formatv(
            "rammer: program '{0}': {1} operators, {2} rTasks on {3} vEUs in "
            "{4} segments ({5} barriers); predicted {6:f2} us vs {7:f2} us "
            "with one launch per kernel; launches {8} -> 1",
            program.getSymName(), kernels.size(), s.placements.size(),
            program.getVdevice().getVeus(), s.segments, s.barriers.size(),
            s.makespanUs, s.unscheduledUs, launchesBefore);
      }
      done.push_back(std::move(entry));
    };

    // Programs written by hand are scheduled as they stand.
    SmallVector<ProgramOp> given;
    module.walk([&](ProgramOp p) {
      if (!p.getSchedule())
        given.push_back(p);
    });
    for (ProgramOp program : given) {
      auto [kernels, s] = plan(program);
      keep(program, kernels, s);
    }

    if (!extract)
      return writeReport(module, done);
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      unsigned index = 0;
      for (Run &run : findRuns(func, gpu)) {
        // Hoist the run's allocations and plain ops, sink its deallocations,
        // remembering (in block order) where each stood.
        llvm::SmallPtrSet<Operation *, 8> moving(run.before.begin(), run.before.end());
        moving.insert(run.after.begin(), run.after.end());
        SmallVector<std::pair<Operation *, Operation *>> moved;
        for (Operation *op = run.kernels.front(); op != run.kernels.back();
             op = op->getNextNode())
          if (moving.contains(op))
            moved.push_back({op, op->getNextNode()});
        for (Operation *op : run.before)
          op->moveBefore(run.kernels.front());
        for (Operation *op : llvm::reverse(run.after))
          op->moveAfter(run.kernels.back());

        std::string name = llvm::formatv("{0}.p{1}", func.getSymName(), index);
        ProgramOp program = buildProgram(run.kernels, name, device.veus);
        auto undo = [&]() {
          // The function goes back to what it was.
          program.erase();
          for (auto [op, next] : llvm::reverse(moved))
            op->moveBefore(next);
        };
        if (gpu && failed(shapeForGPU(program, *targetAttr, veus))) {
          if (explain)
            program.emitRemark() << llvm::formatv(
                "rammer: left {0} kernels alone: their shared memory does not "
                "fit one block",
                run.kernels.size());
          undo();
          continue;
        }
        auto [kernels, s] = plan(program);
        if (!force && !(s.makespanUs < s.unscheduledUs)) {
          // Not worth it.
          if (explain)
            program.emitRemark() << llvm::formatv(
                "rammer: left {0} kernels alone: predicted {1:f2} us in one "
                "program vs {2:f2} us with one launch each",
                kernels.size(), s.makespanUs, s.unscheduledUs);
          undo();
          continue;
        }
        ++index;
        for (Operation *kernel : llvm::reverse(run.kernels))
          kernel->erase();
        keep(program, kernels, s);
      }
    }
    writeReport(module, done);
  }

  void writeReport(ModuleOp module, MutableArrayRef<Scheduled> done) {
    if (report.empty())
      return;
    std::error_code ec;
    llvm::raw_fd_ostream os(report, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      module.emitError() << "rammer-schedule: cannot write report '" << report
                         << "': " << ec.message();
      return signalPassFailure();
    }
    writePicture(os, done);
  }
};
} // namespace
