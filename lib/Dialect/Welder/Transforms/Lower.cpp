//===- Lower.cpp - --welder-lower (CPU) ----------------------------------===//
//
// One fused loop nest per welder.group, on tensors:
//   1. `register` edges: the elementwise producer is fused into its
//      consumer's body (upstream elementwise fusion), so the intermediate
//      never exists as a tensor; a producer with several consumers is
//      recomputed in each only where its body is cheap, else it is computed
//      once per tile like a `shared` producer (softmax's exp(x - max));
//   2. `shared` edges: the sink is tiled by the group's tile and every such
//      producer is computed tile by tile inside the loop (upstream
//      tile-and-fuse), so the intermediate is a tile-sized buffer that stays
//      in cache;
//   3. an elementwise consumer of such a tile that reads it where it writes
//      updates it in place, the tile living in the consumer's destination;
//   4. the group is inlined; roller then tiles what runs inside each tile.
//
//===----------------------------------------------------------------------===//

#include "Welder/Passes.h"
#include "Welder/TileGraph.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/CSE.h"

namespace mlir::fourfold::welder {
#define GEN_PASS_DEF_WELDERLOWER
#include "Welder/Passes.h.inc"
} // namespace mlir::fourfold::welder

using namespace mlir;
using namespace mlir::fourfold::welder;

namespace {

MemoryLevel levelOf(Operation *op, unsigned result) {
  auto levels = op->getAttrOfType<ArrayAttr>(WelderDialect::kLevelsAttrName);
  if (!levels || result >= levels.size())
    return MemoryLevel::Shared;
  return cast<MemoryLevelAttr>(levels[result]).getValue();
}

void dropWelderAttrs(Operation *op) {
  op->removeAttr(WelderDialect::kTileAttrName);
  op->removeAttr(WelderDialect::kLevelsAttrName);
}

/// An rTile chosen for a whole operator does not fit its group tile: roller
/// chooses again for what runs inside.
void dropRollerTiles(Operation *op) {
  SmallVector<StringAttr> names;
  for (NamedAttribute attr : op->getAttrs())
    if (attr.getName().getValue().starts_with("roller."))
      names.push_back(attr.getName());
  for (StringAttr name : names)
    op->removeAttr(name);
}

/// Fuses every `register` producer into its generic consumers.
void fuseRegisterEdges(RewriterBase &rewriter, Block &body) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation &op : body) {
      auto consumer = dyn_cast<linalg::GenericOp>(&op);
      if (!consumer)
        continue;
      for (OpOperand &operand : consumer->getOpOperands()) {
        auto result = dyn_cast<OpResult>(operand.get());
        if (!result || result.getOwner()->getBlock() != &body ||
            levelOf(result.getOwner(), result.getResultNumber()) !=
                MemoryLevel::Register ||
            !linalg::areElementwiseOpsFusable(&operand))
          continue;
        Operation *producer = result.getOwner();
        // A producer with several users is recomputed in each when that is
        // cheap, so that fusion never has to keep its result alive as an
        // extra output. An expensive one (softmax's exp(x - max), read by
        // the row sum and the divide: each exp pass took ~19 of the ~77 us
        // of 12x128x128) stays an operator of its own: tile-and-fuse then
        // computes its tile inside the group's loop, once (CSE merges the
        // copies fused for each consumer).
        if (computedOnce(producer))
          continue;
        if (!producer->hasOneUse()) {
          rewriter.setInsertionPoint(producer);
          Operation *copy = rewriter.clone(*producer);
          operand.set(copy->getResult(result.getResultNumber()));
          producer = copy;
        }
        rewriter.setInsertionPoint(consumer);
        FailureOr<linalg::ElementwiseOpFusionResult> fused =
            linalg::fuseElementwiseOps(rewriter, &operand);
        if (failed(fused))
          continue;
        // The fused op runs the consumer's iteration space: it keeps the
        // consumer's tile and levels.
        for (StringRef name : {WelderDialect::kTileAttrName,
                               WelderDialect::kLevelsAttrName})
          if (Attribute attr = consumer->getAttr(name))
            fused->fusedOp->setAttr(name, attr);
        for (auto [original, replacement] : fused->replacements)
          rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
            return use.getOwner() != fused->fusedOp;
          });
        if (consumer->use_empty())
          rewriter.eraseOp(consumer);
        if (producer->use_empty())
          rewriter.eraseOp(producer);
        changed = true;
        break;
      }
      if (changed)
        break;
    }
  }
}

/// An elementwise `consumer` that reads, at the indices it writes, a tile
/// materialised by an elementwise producer just before it (softmax's
/// exp(x - max), also read by the row sum) updates that tile in place, and
/// the producer writes it straight into the consumer's destination:
/// bufferization otherwise allocated a temporary per tile (128 KiB for
/// softmax's 4 x 64 rows of 128) and streamed it once more. The rewrite is
/// always correct on tensors (neither op reads its init); it is only done
/// where every other reader of the tile comes first, so that bufferizing in
/// place needs no copy.
void writeInPlace(RewriterBase &rewriter, DominanceInfo &dominance,
                  linalg::GenericOp consumer) {
  if (consumer.getNumDpsInits() != 1 || consumer.getNumReductionLoops() != 0 ||
      !consumer.hasPureTensorSemantics())
    return;
  OpOperand *init = consumer.getDpsInitOperand(0);
  if (consumer.payloadUsesValueFromOperand(init))
    return;
  Value dest = init->get();
  AffineMap initMap = consumer.getMatchingIndexingMap(init);
  for (OpOperand *input : consumer.getDpsInputOperands()) {
    Value tile = input->get();
    auto producer = tile.getDefiningOp<linalg::GenericOp>();
    if (!producer || producer->getBlock() != consumer->getBlock() ||
        producer.getNumDpsInits() != 1 ||
        producer.getNumReductionLoops() != 0 ||
        producer.payloadUsesValueFromOperand(producer.getDpsInitOperand(0)) ||
        tile.getType() != dest.getType() ||
        consumer.getMatchingIndexingMap(input) != initMap)
      continue;
    // Read once by the consumer, and by everything else before it.
    bool othersFirst = llvm::all_of(tile.getUses(), [&](OpOperand &use) {
      Operation *user = use.getOwner();
      return user == consumer ? &use == input
                              : user->getBlock() == consumer->getBlock() &&
                                    user->isBeforeInBlock(consumer);
    });
    if (!othersFirst)
      continue;
    // The destination (a slice of the loop's shared output) must exist
    // where the producer runs: move its slice up if need be.
    if (!dominance.properlyDominates(dest, producer)) {
      auto slice = dest.getDefiningOp<tensor::ExtractSliceOp>();
      if (!slice || slice->getBlock() != producer->getBlock() ||
          !llvm::all_of(slice->getOperands(), [&](Value operand) {
            return dominance.properlyDominates(operand, producer);
          }))
        continue;
      rewriter.moveOpBefore(slice, producer);
    }
    rewriter.modifyOpInPlace(producer,
                             [&] { producer.getDpsInitOperand(0)->set(dest); });
    rewriter.replaceAllUsesWith(consumer.getMatchingBlockArgument(input),
                                consumer.getMatchingBlockArgument(init));
    rewriter.modifyOpInPlace(consumer, [&] { init->set(tile); });
    // The input is now unused: drop it.
    rewriter.setInsertionPoint(consumer);
    (void)linalg::deduplicateOperandsAndRemoveDeadResults(rewriter, consumer,
                                                          /*removeOutputs=*/false);
    return;
  }
}

struct WelderLowerPass
    : public mlir::fourfold::welder::impl::WelderLowerBase<WelderLowerPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<GroupOp> groups;
    getOperation().walk([&](GroupOp group) { groups.push_back(group); });
    IRRewriter rewriter(&getContext());
    for (GroupOp group : groups)
      if (failed(lowerGroup(rewriter, group)))
        return signalPassFailure();
  }

  LogicalResult lowerGroup(RewriterBase &rewriter, GroupOp group) {
    Block &body = group.getBody().front();
    auto yield = cast<YieldOp>(body.getTerminator());
    fuseRegisterEdges(rewriter, body);
    auto tileable = llvm::count_if(body.without_terminator(), [](Operation &op) {
      return isa<TilingInterface>(op);
    });
    Operation *sink = nullptr;
    for (Value v : yield.getValues())
      if (Operation *def = v.getDefiningOp(); def && def->getBlock() == &body)
        sink = def;
    std::optional<ArrayRef<int64_t>> tile = group.getTile();
    bool tiled = tileable > 1 && sink && tile && isa<TilingInterface>(sink);
    if (tiled &&
        failed(tileAndFuse(rewriter, cast<TilingInterface>(sink), *tile, group)))
      return failure();
    // A producer fused for each of its consumers is computed once (the
    // copies are identical), then its readers share one tile.
    DominanceInfo dominance;
    eliminateCommonSubExpressions(rewriter, dominance, group);
    SmallVector<linalg::GenericOp> generics;
    group.getBody().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      writeInPlace(rewriter, dominance, op);
    // Clones made by the fusion carry the attributes too.
    group.getBody().walk([&](Operation *op) {
      dropWelderAttrs(op);
      if (tiled)
        dropRollerTiles(op);
    });
    // Inline the group.
    SmallVector<Value> results(yield.getValues());
    rewriter.eraseOp(yield);
    rewriter.inlineBlockBefore(&body, group, group.getInputs());
    rewriter.replaceOp(group, results);
    return success();
  }

  LogicalResult tileAndFuse(RewriterBase &rewriter, TilingInterface sink,
                            ArrayRef<int64_t> tile, GroupOp group) {
    SmallVector<utils::IteratorType> iterators = sink.getLoopIteratorTypes();
    SmallVector<Range> domain = sink.getIterationDomain(rewriter);
    if (tile.size() != iterators.size())
      return group.emitError("welder-lower: the group's tile has ")
             << tile.size() << " entries but its sink has " << iterators.size()
             << " loops";
    SmallVector<OpFoldResult> sizes;
    bool any = false;
    for (auto [size, iterator, range] : llvm::zip(tile, iterators, domain)) {
      std::optional<int64_t> extent = getConstantIntValue(range.size);
      // Reductions run whole inside a group tile; a tile covering its loop
      // makes no loop.
      bool tiled = iterator == utils::IteratorType::parallel &&
                   !(extent && size >= *extent);
      sizes.push_back(rewriter.getIndexAttr(tiled ? size : 0));
      any |= tiled;
    }
    if (!any)
      return success(); // one tile: the operators run as they are
    scf::SCFTileAndFuseOptions options;
    options.tilingOptions.setTileSizes(sizes);
    options.tilingOptions.setLoopType(
        parallel ? scf::SCFTilingOptions::LoopType::ForallOp
                 : scf::SCFTilingOptions::LoopType::ForOp);
    Block *body = &group.getBody().front();
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp, OpResult producer,
            bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          // Only the group's own operators, and only through cache-level
          // edges (a global edge inside a group was edited in by hand).
          if (!group->isProperAncestor(producer.getOwner()))
            return std::nullopt;
          if (levelOf(producer.getOwner(), producer.getResultNumber()) ==
              MemoryLevel::Global)
            return std::nullopt;
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        });
    rewriter.setInsertionPoint(sink);
    FailureOr<scf::SCFTileAndFuseResult> result =
        scf::tileConsumerAndFuseProducersUsingSCF(rewriter, sink, options);
    if (failed(result))
      return sink->emitError("welder-lower: could not tile the group's sink "
                             "and fuse its producers");
    for (OpResult value : sink->getResults())
      if (Value replacement = result->replacements.lookup(value))
        rewriter.replaceAllUsesWith(value, replacement);
    // Producers now computed inside the loop are dead outside it. Users come
    // after producers, so one backward sweep erases whole dead chains
    // (collected first: a reverse iterator points one past its op).
    SmallVector<Operation *> ops;
    for (Operation &op : body->without_terminator())
      ops.push_back(&op);
    for (Operation *op : llvm::reverse(ops))
      if (isa<TilingInterface, tensor::EmptyOp>(op) && op->use_empty())
        rewriter.eraseOp(op);
    return success();
  }
};

} // namespace
