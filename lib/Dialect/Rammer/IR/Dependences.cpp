//===- Dependences.cpp - what an rOperator must wait for -----------------===//

#include "Rammer/Dependences.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using namespace mlir::fourfold::rammer;

void MemoryAccess::add(const MemoryAccess &other) {
  reads.insert(other.reads.begin(), other.reads.end());
  writes.insert(other.writes.begin(), other.writes.end());
  unknown |= other.unknown;
}

static bool isBuffer(Value value) {
  return isa<BaseMemRefType>(value.getType());
}

llvm::SmallDenseSet<Value, 2>
mlir::fourfold::rammer::getMemoryRoots(Value value, Block *scope) {
  llvm::SmallDenseSet<Value, 2> roots;
  llvm::SmallPtrSet<void *, 8> seen;
  SmallVector<Value> worklist = {value};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v.getAsOpaquePointer()).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      Operation *parent = arg.getOwner()->getParentOp();
      if (arg.getOwner() == scope || !parent ||
          !scope->findAncestorOpInBlock(*parent)) {
        roots.insert(v);
        continue;
      }
      // A buffer carried by a nested region (a loop's iter_args): it may be
      // any buffer the region's op takes.
      bool any = false;
      for (Value operand : parent->getOperands())
        if (isBuffer(operand)) {
          worklist.push_back(operand);
          any = true;
        }
      if (!any)
        roots.insert(v);
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (!scope->findAncestorOpInBlock(*def)) {
      roots.insert(v);
      continue;
    }
    // A view (subview, reshape, cast) aliases its source; an op making a
    // buffer from no buffer is an allocation of its own.
    bool any = false;
    for (Value operand : def->getOperands())
      if (isBuffer(operand)) {
        worklist.push_back(operand);
        any = true;
      }
    if (!any)
      roots.insert(v);
  }
  return roots;
}

MemoryAccess mlir::fourfold::rammer::getMemoryAccess(Operation *op,
                                                     Block *scope) {
  MemoryAccess access;
  // Buffers allocated inside `op` are its own business.
  auto isLocal = [&](Value root) {
    Operation *def = root.getDefiningOp();
    if (auto arg = dyn_cast<BlockArgument>(root))
      def = arg.getOwner()->getParentOp();
    return def && def != op && op->isAncestor(def);
  };
  op->walk([&](Operation *nested) {
    auto iface = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!iface) {
      if (!nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
          !nested->hasTrait<OpTrait::IsTerminator>())
        access.unknown = true;
      return;
    }
    SmallVector<MemoryEffects::EffectInstance> effects;
    iface.getEffects(effects);
    for (const MemoryEffects::EffectInstance &effect : effects) {
      bool read = isa<MemoryEffects::Read>(effect.getEffect());
      bool write = isa<MemoryEffects::Write>(effect.getEffect());
      if (!read && !write)
        continue; // allocation and free of the op's own buffers
      Value value = effect.getValue();
      if (!value) {
        access.unknown = true;
        continue;
      }
      for (Value root : getMemoryRoots(value, scope)) {
        if (isLocal(root))
          continue;
        (read ? access.reads : access.writes).insert(root);
      }
    }
  });
  return access;
}

MemoryAccess mlir::fourfold::rammer::getOperatorAccess(OperatorOp op) {
  Block &body = op.getBody().front();
  MemoryAccess inner = getMemoryAccess(op, &body);
  MemoryAccess outer;
  outer.unknown = inner.unknown;
  Block *program = op->getBlock();
  auto translate = [&](const llvm::SmallDenseSet<Value, 4> &in,
                       llvm::SmallDenseSet<Value, 4> &out) {
    for (Value root : in) {
      auto arg = dyn_cast<BlockArgument>(root);
      if (!arg || arg.getOwner() != &body)
        continue;
      for (Value r : getMemoryRoots(op.getInputs()[arg.getArgNumber()], program))
        out.insert(r);
    }
  };
  translate(inner.reads, outer.reads);
  translate(inner.writes, outer.writes);
  return outer;
}

/// Whether `later` uses a result of `earlier`, directly or through the plain
/// ops (casts, slices) between operators.
static bool usesResultOf(OperatorOp later, OperatorOp earlier) {
  llvm::SmallPtrSet<Operation *, 8> seen;
  SmallVector<Value> worklist(later.getInputs());
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || !seen.insert(def).second)
      continue;
    if (def == earlier.getOperation())
      return true;
    if (!isa<OperatorOp>(def))
      llvm::append_range(worklist, def->getOperands());
  }
  return false;
}

static bool intersects(const llvm::SmallDenseSet<Value, 4> &a,
                       const llvm::SmallDenseSet<Value, 4> &b) {
  return llvm::any_of(a, [&](Value v) { return b.contains(v); });
}

Dependence mlir::fourfold::rammer::getDependence(OperatorOp earlier,
                                                 const MemoryAccess &ea,
                                                 OperatorOp later,
                                                 const MemoryAccess &la) {
  if (usesResultOf(later, earlier))
    return Dependence::Value;
  bool earlierTouches = ea.unknown || !ea.reads.empty() || !ea.writes.empty();
  bool laterTouches = la.unknown || !la.reads.empty() || !la.writes.empty();
  if ((ea.unknown && laterTouches) || (la.unknown && earlierTouches))
    return Dependence::WriteAfterWrite;
  if (intersects(ea.writes, la.reads))
    return Dependence::ReadAfterWrite;
  if (intersects(ea.writes, la.writes))
    return Dependence::WriteAfterWrite;
  if (intersects(ea.reads, la.writes))
    return Dependence::WriteAfterRead;
  return Dependence::None;
}

llvm::StringRef mlir::fourfold::rammer::describe(Dependence dependence) {
  switch (dependence) {
  case Dependence::None:
    return "is independent of";
  case Dependence::Value:
    return "reads";
  case Dependence::ReadAfterWrite:
    return "reads memory written by";
  case Dependence::WriteAfterRead:
    return "overwrites memory read by";
  case Dependence::WriteAfterWrite:
    return "writes memory also written by";
  }
  llvm_unreachable("unknown dependence");
}

scf::ForallOp mlir::fourfold::rammer::getTaskLoop(OperatorOp op) {
  scf::ForallOp loop;
  for (Operation &nested : op.getBody().front().without_terminator()) {
    if (auto forall = dyn_cast<scf::ForallOp>(nested)) {
      if (loop)
        return {};
      loop = forall;
      continue;
    }
    // Anything else at the top must be free to repeat in every rTask.
    if (!isMemoryEffectFree(&nested))
      return {};
  }
  if (!loop || loop->getNumResults() != 0)
    return {};
  auto isStatic = [](ArrayRef<int64_t> values) {
    return llvm::none_of(values, ShapedType::isDynamic);
  };
  if (!isStatic(loop.getStaticLowerBound()) ||
      !isStatic(loop.getStaticUpperBound()) || !isStatic(loop.getStaticStep()))
    return {};
  return loop;
}

int64_t mlir::fourfold::rammer::getTripCount(scf::ForallOp loop) {
  int64_t trips = 1;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getStaticLowerBound(), loop.getStaticUpperBound(),
                 loop.getStaticStep()))
    trips *= std::max<int64_t>(0, llvm::divideCeil(ub - lb, step));
  return trips;
}
