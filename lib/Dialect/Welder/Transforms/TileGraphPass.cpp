//===- TileGraphPass.cpp - --welder-tile-graph ---------------------------===//
//
// Writes the tile-graph's decisions as IR: one welder.group per fusion
// group, with the tile of every node, the level of every edge and the
// model's figures, so that they can be printed, edited and fed back.
//
//===----------------------------------------------------------------------===//

#include "Roller/Targets.h"
#include "Welder/Passes.h"
#include "Welder/TileGraph.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::fourfold::welder {
#define GEN_PASS_DEF_WELDERTILEGRAPH
#include "Welder/Passes.h.inc"
} // namespace mlir::fourfold::welder

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::welder;

namespace {

/// Ops a group clones rather than takes as an operand: they compute nothing
/// (constants, shapes of fresh tensors).
bool isCloneable(Operation *op) {
  return op && op->getNumOperands() == 0 && op->getNumRegions() == 0 &&
         isa<arith::ConstantOp, tensor::EmptyOp>(op);
}

/// Named elementwise operators (linalg.add, linalg.exp, ...) as generics,
/// which elementwise fusion (the register level) works on.
void generalizeElementwise(Block &block) {
  SmallVector<linalg::LinalgOp> named;
  for (Operation &op : block)
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op))
      if (!isa<linalg::GenericOp, linalg::FillOp>(op) &&
          linalgOp.hasPureTensorSemantics() &&
          linalgOp.getNumReductionLoops() == 0 &&
          !linalg::isaContractionOpInterface(linalgOp) &&
          !linalg::isaConvolutionOpInterface(linalgOp))
        named.push_back(linalgOp);
  IRRewriter rewriter(block.getParentOp()->getContext());
  for (linalg::LinalgOp op : named) {
    rewriter.setInsertionPoint(op);
    (void)linalg::generalizeNamedOp(rewriter, op);
  }
}

/// `register` when every in-group use can take the producer into its own
/// body (an elementwise producer, a generic consumer), else `shared`.
MemoryLevel levelOf(const TileGraph &graph, const GroupPlan &plan, unsigned n) {
  if (n == plan.sink)
    return MemoryLevel::Global;
  return inRegisters(graph, n) ? MemoryLevel::Register : MemoryLevel::Shared;
}

/// Writes the plan's node tiles, levels (unless given) and figures.
void annotate(const TileGraph &graph, const GroupPlan &plan, GroupOp group) {
  MLIRContext *ctx = group.getContext();
  Builder b(ctx);
  for (unsigned n : plan.nodes) {
    Operation *op = graph.nodes()[n].op;
    op->setAttr(WelderDialect::kTileAttrName,
                b.getDenseI64ArrayAttr(plan.nodeTiles.lookup(n)));
    if (op->hasAttr(WelderDialect::kLevelsAttrName))
      continue;
    SmallVector<Attribute> levels(
        op->getNumResults(), MemoryLevelAttr::get(ctx, levelOf(graph, plan, n)));
    op->setAttr(WelderDialect::kLevelsAttrName, b.getArrayAttr(levels));
  }
  group.setTileAttr(b.getDenseI64ArrayAttr(plan.tile));
  group->setAttr(WelderDialect::kBytesAttrName,
                 b.getI64IntegerAttr(int64_t(plan.bytes)));
  group->setAttr(WelderDialect::kUnfusedBytesAttrName,
                 b.getI64IntegerAttr(int64_t(plan.unfusedBytes)));
  group->setAttr(WelderDialect::kPredictedAttrName, b.getF64FloatAttr(plan.us));
  if (plan.kernels > 1) // what the reports count
    group->setAttr(WelderDialect::kKernelsAttrName, b.getI64IntegerAttr(plan.kernels));
}

/// Moves the plan's nodes into a new welder.group placed where the sink was.
GroupOp materialize(const TileGraph &graph, const GroupPlan &plan,
                    StringRef name) {
  Operation *sink = graph.nodes()[plan.sink].op;
  SmallVector<Operation *> members;
  for (unsigned n : plan.nodes)
    members.push_back(graph.nodes()[n].op);
  llvm::SmallPtrSet<Operation *, 16> inGroup(members.begin(), members.end());
  // Values from outside: operands, except what is cloned in.
  SmallVector<Value> inputs;
  SmallVector<Operation *> clones;
  for (Operation *op : members) {
    // Operands, and values the bodies use from above (constants hoisted
    // out of linalg bodies by canonicalization).
    llvm::SetVector<Value> used(op->getOperands().begin(), op->getOperands().end());
    getUsedValuesDefinedAbove(op->getRegions(), used);
    for (Value v : used) {
      Operation *def = v.getDefiningOp();
      if (def && inGroup.contains(def))
        continue;
      if (isCloneable(def)) {
        if (!llvm::is_contained(clones, def))
          clones.push_back(def);
      } else if (!llvm::is_contained(inputs, v)) {
        inputs.push_back(v);
      }
    }
  }
  OpBuilder builder(sink);
  auto group = builder.create<GroupOp>(sink->getLoc(), name,
                                       sink->getResultTypes(), inputs);
  Block &body = group.getBody().front();
  builder.setInsertionPointToStart(&body);
  IRMapping mapping;
  for (auto [input, arg] : llvm::zip(inputs, body.getArguments()))
    mapping.map(input, arg);
  for (Operation *def : clones)
    builder.clone(*def, mapping);
  for (Operation *op : members)
    op->moveBefore(&body, body.end());
  // Uses inside the group (nested bodies too) now read the block arguments
  // and the clones.
  for (auto [outside, inside] : mapping.getValueMap())
    replaceAllUsesInRegionWith(outside, inside, group.getBody());
  builder.setInsertionPointToEnd(&body);
  builder.create<YieldOp>(sink->getLoc(), sink->getResults());
  for (auto [old, result] : llvm::zip(sink->getResults(), group.getResults()))
    old.replaceUsesWithIf(result, [&](OpOperand &use) {
      return use.getOwner()->getParentOp() != group;
    });
  // Constants and empties nobody else uses any more.
  for (Operation *def : clones)
    if (def->use_empty())
      def->erase();
  return group;
}

struct WelderTileGraphPass
    : public mlir::fourfold::welder::impl::WelderTileGraphBase<WelderTileGraphPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    roller::TargetAttr target;
    if (!this->target.hasValue())
      target = roller::getAttachedTarget(module);
    if (!target) {
      std::string error;
      FailureOr<roller::TargetAttr> resolved =
          roller::getTarget(&getContext(), this->target, error);
      if (failed(resolved)) {
        module.emitError() << "welder-tile-graph: " << error;
        return signalPassFailure();
      }
      target = *resolved;
    }
    MemoryModel memory = MemoryModel::fromTarget(target);
    for (auto func : module.getOps<FunctionOpInterface>()) {
      if (func.isExternal())
        continue;
      if (failed(runOnFunction(func, memory)))
        return signalPassFailure();
    }
  }

  /// Hand-written groups: their tile comes from the group, else from a
  /// node's own tile propagated forward, else from the policy.
  LogicalResult completeGroup(GroupOp group, const MemoryModel &memory) {
    Block &body = group.getBody().front();
    generalizeElementwise(body);
    TileGraph graph(body);
    auto yield = cast<YieldOp>(body.getTerminator());
    Operation *sinkOp = nullptr;
    for (Value v : yield.getValues())
      if (Operation *def = v.getDefiningOp()) {
        if (sinkOp && sinkOp != def)
          return group.emitError("welder-tile-graph: a group hands back the "
                                 "results of one operator (its sink); this "
                                 "one yields values of two");
        sinkOp = def;
      }
    std::optional<unsigned> sink = sinkOp ? graph.indexOf(sinkOp) : std::nullopt;
    if (!sink)
      return group.emitError("welder-tile-graph: the group's yielded value is "
                             "not computed by a tileable operator inside it");
    SmallVector<unsigned> nodes;
    for (unsigned n = 0; n < graph.nodes().size(); ++n)
      nodes.push_back(n);
    if (nodes.back() != *sink)
      return group.emitError("welder-tile-graph: the sink must be the last "
                             "operator of the group");
    const roller::OpInfo &sinkInfo = graph.nodes()[*sink].info;
    GroupPlan plan;
    if (std::optional<ArrayRef<int64_t>> tile = group.getTile()) {
      if (tile->size() != sinkInfo.numLoops())
        return group.emitError() << "welder-tile-graph: tile has " << tile->size()
                                 << " entries but the sink has "
                                 << sinkInfo.numLoops() << " loops";
      SmallVector<int64_t> t(*tile);
      for (unsigned d = 0; d < t.size(); ++d)
        if (sinkInfo.reduction[d])
          t[d] = sinkInfo.ranges[d]; // a group computes whole reductions
      plan = graph.evaluate(nodes, t, memory);
    } else if (std::optional<SmallVector<int64_t>> t =
                   forwardFromPinned(graph, *sink)) {
      plan = graph.evaluate(nodes, *t, memory);
    } else {
      plan = graph.best(nodes, memory);
    }
    if (plan.nodeTiles.empty())
      return group.emitError("welder-tile-graph: ") << plan.why;
    graph.addUnfused(plan, memory);
    annotate(graph, plan, group);
    if (explain)
      remark(group, plan);
    return success();
  }

  /// A node (not the sink) carrying its own welder.tile: the sink's tile
  /// that it implies, following its users to the sink.
  std::optional<SmallVector<int64_t>> forwardFromPinned(const TileGraph &graph,
                                                        unsigned sink) {
    for (auto [n, node] : llvm::enumerate(graph.nodes())) {
      auto pinned = node.op->getAttrOfType<DenseI64ArrayAttr>(
          WelderDialect::kTileAttrName);
      if (!pinned || n == sink)
        continue;
      SmallVector<int64_t> tile(pinned.asArrayRef());
      unsigned current = n;
      while (current != sink && !graph.nodes()[current].users.empty()) {
        auto [user, operand] = graph.nodes()[current].users.front();
        tile = propagateForward(graph.nodes()[current].info,
                                graph.nodes()[user].producerResults[operand], tile,
                                graph.nodes()[user].info, operand);
        current = user;
      }
      if (current == sink)
        return tile;
    }
    return std::nullopt;
  }

  void remark(GroupOp group, const GroupPlan &plan) {
    group.emitRemark() << llvm::formatv(
        "welder: {0} operator(s) in {9}, tile [{1}] x {2} tiles, {3} B "
        "of fast memory per tile; modelled global traffic {4} B (unfused {5} "
        "B, {6:f2}x less), {7:f2} us (unfused {8:f2} us)",
        plan.nodes.size(), llvm::make_range(plan.tile.begin(), plan.tile.end()),
        plan.tiles, plan.footprint, int64_t(plan.bytes), int64_t(plan.unfusedBytes),
        plan.unfusedBytes / std::max(1.0, plan.bytes), plan.us, plan.unfusedUs,
        plan.kernels > 1
            ? llvm::formatv("{0} kernels (one tile: no loop)", plan.kernels).str()
            : std::string("one kernel"));
  }

  LogicalResult runOnFunction(FunctionOpInterface func, const MemoryModel &memory) {
    Block &block = func.getFunctionBody().front();
    for (auto group : llvm::make_early_inc_range(block.getOps<GroupOp>()))
      if (failed(completeGroup(group, memory)))
        return failure();
    generalizeElementwise(block);
    TileGraph graph(block);
    if (explain)
      for (auto [op, why] : graph.skipped)
        op->emitRemark() << "welder: not in the tile-graph because " << why
                         << "; it stays a kernel of its own";
    auto note = [&](Operation *op, const std::string &message) {
      if (explain)
        op->emitRemark() << message;
    };
    std::vector<GroupPlan> plans = graph.partition(memory, maxNodes, fuse, note);
    double before = 0, after = 0;
    int64_t kernels = 0;
    for (auto [i, plan] : llvm::enumerate(plans)) {
      kernels += plan.kernels;
      std::string name = llvm::formatv("{0}_g{1}", func.getName(), i);
      GroupOp group = materialize(graph, plan, name);
      annotate(graph, plan, group);
      before += plan.unfusedBytes;
      after += plan.bytes;
      if (explain)
        remark(group, plan);
    }
    if (explain && !plans.empty())
      func.emitRemark() << llvm::formatv(
          "welder: {0} operators -> {1} kernels; modelled global traffic {2} B "
          "-> {3} B",
          graph.nodes().size(), kernels, int64_t(before), int64_t(after));
    return success();
  }
};

} // namespace
