//===- GPUKernel.cpp - building blocks of kernels run by a resident grid --===//

#include "Roller/GPUKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::gpukernel;

static constexpr StringLiteral kCounterName = "__fourfold_grid_barrier";

SmallVector<scf::ForallOp> gpukernel::getThreadLoops(scf::ForallOp forall) {
  SmallVector<scf::ForallOp> loops;
  forall.getBody()->walk([&](scf::ForallOp inner) {
    if (inner->getParentOfType<scf::ForallOp>() == forall)
      loops.push_back(inner);
  });
  return loops;
}

static std::optional<int64_t> constantTrips(OpFoldResult lb, OpFoldResult ub,
                                            OpFoldResult step) {
  auto l = getConstantIntValue(lb), u = getConstantIntValue(ub),
       s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return std::nullopt;
  return std::max<int64_t>(0, llvm::divideCeil(*u - *l, *s));
}

std::optional<int64_t> gpukernel::getMaxTrips(scf::ForallOp forall) {
  int64_t total = 1;
  for (auto [l, u, s] : llvm::zip(forall.getMixedLowerBound(),
                                  forall.getMixedUpperBound(),
                                  forall.getMixedStep())) {
    if (std::optional<int64_t> trips = constantTrips(l, u, s)) {
      total *= *trips;
      continue;
    }
    std::optional<int64_t> lb = getConstantIntValue(l);
    std::optional<int64_t> step = getConstantIntValue(s);
    if (!lb || !step || *step <= 0)
      return std::nullopt;
    FailureOr<int64_t> ub = ValueBoundsConstraintSet::computeConstantBound(
        presburger::BoundType::UB, ValueBoundsConstraintSet::Variable(u),
        /*stopCondition=*/nullptr, /*closedUB=*/true);
    if (failed(ub))
      return std::nullopt;
    total *= std::max<int64_t>(0, llvm::divideCeil(*ub - *lb, *step));
  }
  return total;
}

int64_t gpukernel::chooseThreads(ArrayRef<Operation *> roots,
                                 int64_t fallback) {
  int64_t threads = 0;
  for (Operation *root : roots)
    root->walk([&](scf::ForallOp forall) {
      if (forall->getParentOfType<scf::ForallOp>())
        return; // a thread-level loop itself
      for (scf::ForallOp inner : getThreadLoops(forall))
        threads = std::max(threads, getMaxTrips(inner).value_or(fallback));
    });
  return std::clamp<int64_t>(threads > 0 ? threads : fallback, 1, 1024);
}

static int64_t alignedBytes(MemRefType type) {
  int64_t bytes = type.getNumElements() *
                  llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  return llvm::alignTo(bytes, 16);
}

int64_t gpukernel::getBlockSharedBytes(scf::ForallOp forall) {
  int64_t bytes = 0;
  forall.getBody()->walk([&](memref::AllocOp alloc) {
    if (alloc->getParentOfType<scf::ForallOp>() == forall &&
        alloc.getType().hasStaticShape())
      bytes += alignedBytes(alloc.getType());
  });
  return bytes;
}

Operation *gpukernel::findNonDeviceOp(Operation *root, std::string &why) {
  Operation *culprit = nullptr;
  root->walk([&](Operation *op) {
    auto inLoop = [&]() {
      auto loop = op->getParentOfType<scf::ForallOp>();
      return loop && (loop == root || root->isAncestor(loop));
    };
    if (isa<memref::AllocOp, memref::DeallocOp>(op) && !inLoop())
      why = "allocates or frees heap memory outside a tile loop (device code "
            "cannot)";
    else if (auto alloc = dyn_cast<memref::AllocOp>(op);
             alloc && !alloc.getType().hasStaticShape())
      why = "allocates a dynamic shape";
    else if (isa<memref::ReallocOp>(op))
      why = "reallocates";
    else if (isa<CallOpInterface>(op))
      why = "is a call";
    else if (isa<gpu::LaunchOp, gpu::LaunchFuncOp>(op))
      why = "is a kernel launch";
    else if (auto copy = dyn_cast<memref::CopyOp>(op);
             copy && !cast<MemRefType>(copy.getSource().getType()).hasStaticShape())
      why = "copies a dynamic shape";
    else
      return WalkResult::advance();
    culprit = op;
    return WalkResult::interrupt();
  });
  return culprit;
}

int64_t gpukernel::getResidentBlocks(roller::TargetAttr target,
                                     int64_t threads, int64_t sharedBytes,
                                     int64_t registers) {
  int64_t warp = std::max<int64_t>(1, target.getWarp());
  int64_t rounded = llvm::divideCeil(std::max<int64_t>(1, threads), warp) * warp;
  int64_t blocks = std::max<int64_t>(1, target.getBlocksPerUnit());
  blocks = std::min(blocks, target.getThreadsPerUnit() / rounded);
  if (registers > 0)
    blocks = std::min(blocks, target.getRegsPerUnit() / (rounded * registers));
  // CUDA reserves 1 KiB of shared memory per block (compute capability 8.0
  // and later) on top of what the block asks for.
  if (sharedBytes > 0)
    if (roller::MemoryLevelAttr shared = target.getLevel("shared"))
      blocks = std::min(blocks, shared.getCapacity() / (sharedBytes + 1024));
  return std::max<int64_t>(1, blocks);
}

/// `name` with every character PTX does not allow in an identifier made an
/// underscore.
static std::string ptxIdentifier(StringRef name) {
  std::string id;
  for (char c : name)
    id.push_back(llvm::isAlnum(c) || c == '_' || c == '$' ? c : '_');
  if (id.empty() || llvm::isDigit(id.front()))
    id.insert(id.begin(), '_');
  return id;
}

FailureOr<gpu::GPUFuncOp> gpukernel::outline(gpu::LaunchOp launch,
                                             StringRef name,
                                             SymbolTable &symbols) {
  auto isConstant = [](Operation *op) { return matchPattern(op, m_Constant()); };
  if (failed(sinkOperationsIntoLaunchOp(launch, isConstant)))
    return failure();
  std::string id = ptxIdentifier(name);
  SmallVector<Value> operands;
  gpu::GPUFuncOp func = outlineKernelFunc(launch, id, operands);
  Operation *top = symbols.getOp();
  OpBuilder builder(top->getContext());
  auto module = gpu::GPUModuleOp::create(builder, launch.getLoc(), id);
  // The module's name: the kernel's, unless taken (then both renamed alike,
  // so that a launch plan finds the kernel by its module's name).
  symbols.insert(module);
  if (module.getName() != id)
    func.setName(module.getName());
  SymbolTable inner(module);
  inner.insert(func);
  // Symbols the kernel uses (tables, the barrier counter) go with it.
  SmallVector<Operation *> worklist = {func};
  while (!worklist.empty()) {
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(worklist.pop_back_val());
    if (!uses)
      continue;
    for (SymbolTable::SymbolUse use : *uses) {
      StringAttr leaf = use.getSymbolRef().getLeafReference();
      if (inner.lookup(leaf))
        continue;
      // Uncached: the barrier counter may be newer than `symbols`.
      if (Operation *def = SymbolTable::lookupSymbolIn(top, leaf)) {
        Operation *copy = def->clone();
        inner.insert(copy);
        worklist.push_back(copy);
      }
    }
  }
  OpBuilder b(launch);
  auto launchFunc = gpu::LaunchFuncOp::create(
      b, launch.getLoc(), func, launch.getGridSizeOperandValues(),
      launch.getBlockSizeOperandValues(), launch.getDynamicSharedMemorySize(),
      operands);
  // Dialect annotations of the launch (rammer.launches, ...) stay with it;
  // gpu.launch's own attributes (workgroup_attributions) do not apply.
  for (NamedAttribute attr : launch->getDiscardableAttrs())
    if (attr.getName().getValue().contains('.'))
      launchFunc->setAttr(attr.getName(), attr.getValue());
  launch.erase();
  top->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
               UnitAttr::get(top->getContext()));
  return func;
}

void gpukernel::setLaunchBounds(gpu::GPUFuncOp func, int64_t blocksPerUnit) {
  // The block size bound (PTX .maxntid) comes from the kernel's known block
  // size, which convert-gpu-to-nvvm turns into nvvm.maxntid.
  Builder b(func.getContext());
  func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                b.getI32IntegerAttr(static_cast<int32_t>(blocksPerUnit)));
}

//===----------------------------------------------------------------------===//
// Kernel
//===----------------------------------------------------------------------===//

Value Kernel::index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// The module-level counter of grid barriers: zero when the module is
/// loaded, left as it was found by every complete barrier.
static memref::GlobalOp getCounter(Operation *from) {
  auto module = from->getParentOfType<ModuleOp>();
  while (auto outer = module->getParentOfType<ModuleOp>())
    module = outer;
  if (auto global = module.lookupSymbol<memref::GlobalOp>(kCounterName))
    return global;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto i32 = b.getI32Type();
  auto type = MemRefType::get({1}, i32);
  return memref::GlobalOp::create(
      b, module.getLoc(), kCounterName, b.getStringAttr("private"), type,
      DenseIntElementsAttr::get(RankedTensorType::get({1}, i32),
                                ArrayRef<int32_t>{0}),
      /*constant=*/false, /*alignment=*/IntegerAttr());
}

Kernel Kernel::begin(OpBuilder &b, gpu::LaunchOp launch, bool gridBarriers,
                     int64_t sharedBytes) {
  Kernel k;
  Location loc = launch.getLoc();
  k.bx = launch.getBlockIds().x;
  k.tx = launch.getThreadIds().x;
  k.grid = launch.getGridSize().x;
  k.threads = launch.getBlockSize().x;
  k.threadZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k.tx,
                                       index(b, loc, 0));
  if (gridBarriers) {
    memref::GlobalOp global = getCounter(launch);
    k.counter = memref::GetGlobalOp::create(b, loc, global.getType(),
                                            global.getSymName());
  }
  if (sharedBytes > 0) {
    auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(),
                                                gpu::AddressSpace::Workgroup);
    k.shared = launch.addWorkgroupAttribution(
        MemRefType::get({sharedBytes}, b.getI8Type(), MemRefLayoutAttrInterface(),
                        workgroup),
        loc);
  }
  return k;
}

void Kernel::gridBarrier(OpBuilder &b, Location loc) const {
  gpu::BarrierOp::create(b, loc);
  if (!counter)
    return;
  auto when = scf::IfOp::create(b, loc, threadZero, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(when.thenBlock());
    Value c0 = index(b, loc, 0);
    auto i32 = [&](int64_t v) {
      return arith::ConstantIntOp::create(b, loc, v, 32).getResult();
    };
    Value top = i32(INT32_MIN);
    NVVM::MembarOp::create(b, loc, NVVM::MemScopeKind::GPU);
    // Block 0 adds 2^31 - (grid - 1), every other block 1.
    Value gridI32 = arith::IndexCastOp::create(b, loc, b.getI32Type(), grid);
    Value first = arith::SubIOp::create(
        b, loc, top, arith::SubIOp::create(b, loc, gridI32, i32(1)));
    Value isFirst =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, bx, c0);
    Value add = arith::SelectOp::create(b, loc, isFirst, first, i32(1));
    Value old = memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addi,
                                            add, counter, ValueRange{c0});
    // Spin until the top bit differs from what it was before this arrival.
    auto spin = scf::WhileOp::create(b, loc, TypeRange{}, ValueRange{});
    b.createBlock(&spin.getBefore());
    Value seen = memref::AtomicRMWOp::create(
        b, loc, arith::AtomicRMWKind::addi, i32(0), counter, ValueRange{c0});
    Value flipped = arith::AndIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, seen, old), top);
    Value waiting = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          flipped, i32(0));
    scf::ConditionOp::create(b, loc, waiting, ValueRange{});
    b.createBlock(&spin.getAfter());
    scf::YieldOp::create(b, loc);
    b.setInsertionPointAfter(spin);
    NVVM::MembarOp::create(b, loc, NVVM::MemScopeKind::GPU);
  }
  gpu::BarrierOp::create(b, loc);
}

void Kernel::strided(OpBuilder &b, Location loc, ArrayRef<Value> trips,
                     Value start, Value stride,
                     function_ref<void(OpBuilder &, ValueRange)> body) {
  Value total = index(b, loc, 1);
  for (Value t : trips)
    total = arith::MulIOp::create(b, loc, total, t);
  auto loop = scf::ForOp::create(b, loc, start, total, stride);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  SmallVector<Value> multi(trips.size());
  Value rest = loop.getInductionVar();
  for (int i = trips.size() - 1; i >= 0; --i) {
    multi[i] = i == 0 ? rest : arith::RemUIOp::create(b, loc, rest, trips[i]);
    if (i > 0)
      rest = arith::DivUIOp::create(b, loc, rest, trips[i]);
  }
  body(b, multi);
}

void Kernel::replaceTileLoop(scf::ForallOp forall, Value start, Value stride) {
  OpBuilder b(forall);
  Location loc = forall.getLoc();
  SmallVector<Value> lbs, steps, trips;
  for (auto [l, u, s] : llvm::zip(forall.getMixedLowerBound(),
                                  forall.getMixedUpperBound(),
                                  forall.getMixedStep())) {
    Value lb = getValueOrCreateConstantIndexOp(b, loc, l);
    Value ub = getValueOrCreateConstantIndexOp(b, loc, u);
    Value st = getValueOrCreateConstantIndexOp(b, loc, s);
    lbs.push_back(lb);
    steps.push_back(st);
    trips.push_back(arith::CeilDivUIOp::create(
        b, loc, arith::SubIOp::create(b, loc, ub, lb), st));
  }
  Block *body = forall.getBody();
  body->getTerminator()->erase();
  strided(b, loc, trips, start, stride,
                   [&](OpBuilder &b, ValueRange multi) {
                     SmallVector<Value> ivs;
                     for (auto [m, lb, st] : llvm::zip(multi, lbs, steps))
                       ivs.push_back(arith::AddIOp::create(
                           b, loc, lb, arith::MulIOp::create(b, loc, m, st)));
                     IRRewriter rewriter(b);
                     rewriter.inlineBlockBefore(body, b.getInsertionBlock(),
                                                b.getInsertionPoint(), ivs);
                   });
  forall.erase();
}

scf::ForallOp Kernel::toForall(scf::ParallelOp parallel) {
  OpBuilder b(parallel);
  Location loc = parallel.getLoc();
  auto as = scf::ForallOp::create(
      b, loc, getAsOpFoldResult(parallel.getLowerBound()),
      getAsOpFoldResult(parallel.getUpperBound()),
      getAsOpFoldResult(parallel.getStep()), ValueRange{}, std::nullopt);
  Block *dest = as.getBody();
  parallel.getBody()->getTerminator()->erase();
  IRRewriter rewriter(b);
  rewriter.inlineBlockBefore(parallel.getBody(), dest->getTerminator(),
                             as.getInductionVars());
  parallel.erase();
  return as;
}

void Kernel::spreadCopy(memref::CopyOp copy, Value start, Value stride) {
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  auto type = cast<MemRefType>(copy.getSource().getType());
  SmallVector<Value> trips = llvm::map_to_vector(
      type.getShape(), [&](int64_t d) { return index(b, loc, d); });
  Value source = copy.getSource(), target = copy.getTarget();
  strided(b, loc, trips, start, stride,
                   [&](OpBuilder &b, ValueRange multi) {
                     Value v = memref::LoadOp::create(b, loc, source, multi);
                     memref::StoreOp::create(b, loc, v, target, multi);
                   });
  copy.erase();
}

//===----------------------------------------------------------------------===//
// One block iteration of a tile loop
//===----------------------------------------------------------------------===//

/// Whether `op` writes memory (allocations and frees aside); ops with
/// regions and no stated effects are looked into.
static bool writes(Operation *op) {
  if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp>(op))
    return false;
  if (auto effects = dyn_cast<MemoryEffectOpInterface>(op))
    return effects.hasEffect<MemoryEffects::Write>();
  if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>()) {
    bool any = false;
    for (Region &region : op->getRegions())
      region.walk([&](Operation *inner) { any |= writes(inner); });
    return any;
  }
  return !isMemoryEffectFree(op);
}

static bool holdsForall(Operation *op) {
  return op->walk([](scf::ForallOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

void gpukernel::privatize(ArrayRef<Operation *> ops) {
  SmallVector<Operation *> allocs, frees;
  for (Operation *root : ops)
    root->walk([&](Operation *op) {
      if (isa<memref::AllocOp>(op))
        allocs.push_back(op);
      else if (isa<memref::DeallocOp>(op))
        frees.push_back(op);
    });
  for (Operation *op : frees)
    op->erase();
  for (Operation *op : allocs) {
    auto alloc = cast<memref::AllocOp>(op);
    OpBuilder b(alloc);
    auto alloca = memref::AllocaOp::create(b, alloc.getLoc(), alloc.getType(),
                                           alloc.getDynamicSizes(),
                                           alloc.getSymbolOperands(),
                                           alloc.getAlignmentAttr());
    alloc.replaceAllUsesWith(alloca.getResult());
    alloc.erase();
  }
}

namespace {
/// Maps the ops of one block iteration (already cloned in place).
struct BlockMapper {
  const Kernel &k;
  int64_t offset = 0; // bytes of `k.shared` taken so far
  bool usedShared = false;

  LogicalResult mapOps(ArrayRef<Operation *> ops) {
    for (Operation *op : ops) {
      Location loc = op->getLoc();
      if (auto loop = dyn_cast<scf::ForallOp>(op)) {
        if (loop->getNumResults() != 0)
          return loop.emitOpError(
              "on tensors cannot be mapped to threads (bufferize first)");
        OpBuilder after(op->getContext());
        after.setInsertionPointAfter(loop);
        gpu::BarrierOp::create(after, loc);
        // What the loop's iterations allocate is each thread's own.
        SmallVector<Operation *> body;
        for (Operation &inner : loop.getBody()->without_terminator())
          body.push_back(&inner);
        privatize(body);
        Kernel::replaceTileLoop(loop, k.tx, k.threads);
        continue;
      }
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (failed(share(alloc)))
          return failure();
        continue;
      }
      if (isa<memref::DeallocOp>(op)) {
        // A shared buffer's: the carved bytes need no freeing.
        op->erase();
        continue;
      }
      if (holdsForall(op)) {
        // Uniform control flow (a reduction step loop around staging and
        // compute): every thread runs it; its thread loops are mapped.
        for (Region &region : op->getRegions())
          for (Block &block : region) {
            SmallVector<Operation *> inner;
            for (Operation &nested : block.without_terminator())
              inner.push_back(&nested);
            if (failed(mapOps(inner)))
              return failure();
          }
        continue;
      }
      if (!writes(op))
        continue;
      if (op->getNumResults() != 0)
        return op->emitOpError("writes memory and has results at block level: "
                               "it cannot be left to one thread");
      OpBuilder b(op);
      auto when = scf::IfOp::create(b, loc, k.threadZero, /*withElseRegion=*/false);
      op->moveBefore(when.thenBlock()->getTerminator());
      privatize({op});
      b.setInsertionPointAfter(when);
      gpu::BarrierOp::create(b, loc);
    }
    return success();
  }

  /// A block-level buffer: the next bytes of the kernel's shared memory.
  LogicalResult share(memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      return alloc.emitOpError(
          "of a dynamic shape or layout cannot be a block's shared buffer");
    auto space = cast<MemRefType>(k.shared ? k.shared.getType() : Type());
    int64_t bytes = alignedBytes(type);
    if (!k.shared || offset + bytes > space.getNumElements())
      return alloc.emitOpError("needs more shared memory than the kernel has");
    OpBuilder b(alloc);
    Location loc = alloc.getLoc();
    auto spaced = MemRefType::get(type.getShape(), type.getElementType(),
                                  MemRefLayoutAttrInterface(),
                                  space.getMemorySpace());
    Value view = memref::ViewOp::create(b, loc, spaced, k.shared,
                                        Kernel::index(b, loc, offset),
                                        ValueRange{});
    Value generic = memref::MemorySpaceCastOp::create(b, loc, type, view);
    alloc.replaceAllUsesWith(generic);
    alloc.erase();
    offset += bytes;
    usedShared = true;
    return success();
  }
};
} // namespace

LogicalResult Kernel::emitBlockIteration(OpBuilder &b, scf::ForallOp forall,
                                         ValueRange ivs, IRMapping &map) const {
  IRMapping inner = map;
  for (auto [iv, value] : llvm::zip(forall.getInductionVars(), ivs))
    inner.map(iv, value);
  SmallVector<Operation *> ops;
  for (Operation &op : forall.getBody()->without_terminator())
    ops.push_back(b.clone(op, inner));
  BlockMapper mapper{*this};
  if (failed(mapper.mapOps(ops)))
    return failure();
  // The last barrier waits for nothing unless the next iteration this block
  // runs could overwrite shared memory still being read.
  if (!mapper.usedShared) {
    Block *block = b.getInsertionBlock();
    for (auto it = b.getInsertionPoint(); it != block->begin();) {
      Operation *op = &*--it;
      if (isa<gpu::BarrierOp>(op)) {
        op->erase();
        break;
      }
      if (!isMemoryEffectFree(op))
        break;
    }
  }
  return success();
}

LogicalResult gpukernel::lowerLeftoversToLoops(Operation *root) {
  // Tile loops nested in a piece one thread runs: sequential loops (inner
  // ones first: the walk is post-order).
  SmallVector<Operation *> loops;
  root->walk([&](Operation *op) {
    if (isa<scf::ForallOp>(op) ||
        (isa<scf::ParallelOp>(op) && op->getNumResults() == 0))
      loops.push_back(op);
  });
  for (Operation *op : loops) {
    auto forall = dyn_cast<scf::ForallOp>(op);
    if (!forall)
      forall = Kernel::toForall(cast<scf::ParallelOp>(op));
    if (forall.getNumResults() != 0)
      return forall.emitOpError("with results cannot run inside a GPU kernel");
    OpBuilder b(forall);
    Location loc = forall.getLoc();
    Kernel::replaceTileLoop(forall, Kernel::index(b, loc, 0),
                            Kernel::index(b, loc, 1));
  }
  SmallVector<memref::CopyOp> copies;
  root->walk([&](memref::CopyOp copy) { copies.push_back(copy); });
  for (memref::CopyOp copy : copies) {
    auto type = cast<MemRefType>(copy.getSource().getType());
    if (!type.hasStaticShape())
      return copy.emitOpError("of a dynamic shape cannot run inside a GPU kernel");
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    Kernel::spreadCopy(copy, Kernel::index(b, loc, 0), Kernel::index(b, loc, 1));
  }
  IRRewriter rewriter(root->getContext());
  SmallVector<linalg::LinalgOp> linalgOps;
  root->walk([&](linalg::LinalgOp op) { linalgOps.push_back(op); });
  for (linalg::LinalgOp op : linalgOps) {
    rewriter.setInsertionPoint(op);
    if (failed(linalg::linalgOpToLoops(rewriter, op)))
      return op->emitOpError("cannot be turned into loops inside a GPU kernel");
    rewriter.eraseOp(op);
  }
  return success();
}
