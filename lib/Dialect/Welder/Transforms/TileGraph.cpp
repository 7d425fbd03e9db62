//===- TileGraph.cpp - tile propagation, welder's model and grouping ------===//

#include "Welder/TileGraph.h"

#include "Roller/Targets.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::fourfold;
using namespace mlir::fourfold::welder;

/// Rough vector ops per element of an elementwise body. Transcendental math
/// becomes a polynomial of ~20 ops (roller's MathApprox, upstream's exp) or
/// a libm call; sqrt, rounding, fma and the like are one instruction.
static int64_t bodyCost(linalg::GenericOp op) {
  int64_t cost = 0;
  for (Operation &bodyOp : op.getBlock()->without_terminator()) {
    bool cheapMath =
        isa<math::AbsFOp, math::AbsIOp, math::CopySignOp, math::FmaOp,
            math::FloorOp, math::CeilOp, math::RoundOp, math::RoundEvenOp,
            math::TruncOp, math::SqrtOp, math::RsqrtOp>(bodyOp);
    cost += isa<math::MathDialect>(bodyOp.getDialect()) && !cheapMath ? 20 : 1;
  }
  return cost;
}

/// Recomputing a producer in a second consumer costs its body again per
/// element; computing it once costs a store and a load of its tile. Up to
/// this many ops recomputing wins (layernorm's x - mean, a bias + relu);
/// softmax's exp(x - max), read by the row sum and the divide, is computed
/// once (each extra exp pass took ~19 of the ~77 us of 12x128x128).
static constexpr int64_t kRecomputeLimit = 8;

bool mlir::fourfold::welder::computedOnce(Operation *producer) {
  auto generic = dyn_cast<linalg::GenericOp>(producer);
  return generic && !producer->hasOneUse() && bodyCost(generic) > kRecomputeLimit;
}
using roller::OpInfo;
using roller::OperandInfo;

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

bool mlir::fourfold::welder::inRegisters(const TileGraph &graph, unsigned n) {
  const Node &node = graph.nodes()[n];
  if (!isa<linalg::GenericOp>(node.op) ||
      linalg::LinalgOp(node.op).getNumReductionLoops() != 0 ||
      computedOnce(node.op))
    return false;
  for (auto [user, operand] : node.users) {
    Operation *consumer = graph.nodes()[user].op;
    if (!isa<linalg::GenericOp>(consumer) ||
        !linalg::areElementwiseOpsFusable(&consumer->getOpOperand(operand)))
      return false;
  }
  return true;
}

/// Extent of each dimension of `operand` under a loop tile.
static SmallVector<int64_t> extents(const OperandInfo &operand,
                                    ArrayRef<int64_t> tile) {
  SmallVector<int64_t> result;
  for (const roller::IndexExpr &dim : operand.dims) {
    int64_t extent = 1;
    for (auto [loop, coeff] : dim.terms)
      extent += std::abs(coeff) * (tile[loop] - 1);
    result.push_back(extent);
  }
  return result;
}

static unsigned numInputs(const OpInfo &info) {
  return llvm::count_if(info.operands,
                        [](const OperandInfo &o) { return !o.isOutput; });
}

FailureOr<SmallVector<int64_t>>
welder::propagateBackward(const OpInfo &consumer, unsigned operand,
                          ArrayRef<int64_t> consumerTile, const OpInfo &producer,
                          unsigned producerResult) {
  SmallVector<int64_t> needed = extents(consumer.operands[operand], consumerTile);
  const OperandInfo &out = producer.operands[numInputs(producer) + producerResult];
  if (out.dims.size() != needed.size())
    return failure();
  // Loops the output does not index (reductions) are covered whole.
  SmallVector<int64_t> tile(producer.ranges);
  for (auto [dim, extent] : llvm::zip(out.dims, needed)) {
    if (dim.terms.size() != 1 || dim.terms.front().second != 1)
      return failure(); // not a projected permutation
    unsigned loop = dim.terms.front().first;
    tile[loop] = std::min(extent, producer.ranges[loop]);
  }
  return tile;
}

SmallVector<int64_t> welder::propagateForward(const OpInfo &producer,
                                              unsigned producerResult,
                                              ArrayRef<int64_t> producerTile,
                                              const OpInfo &consumer,
                                              unsigned operand) {
  SmallVector<int64_t> produced = extents(
      producer.operands[numInputs(producer) + producerResult], producerTile);
  SmallVector<int64_t> tile(consumer.ranges);
  const OperandInfo &in = consumer.operands[operand];
  for (auto [dim, extent] : llvm::zip(in.dims, produced)) {
    if (dim.terms.size() != 1 || dim.terms.front().second != 1)
      continue; // a window or a diagonal: the consumer covers the loop whole
    unsigned loop = dim.terms.front().first;
    if (!consumer.reduction[loop])
      tile[loop] = std::min(tile[loop], extent);
  }
  return tile;
}

namespace {
// Elements of a reduction loop an input keeps in fast memory at once (the
// reduction step roller's tiles inside a group tile work in).
constexpr int64_t kResidentReductionStep = 128;
// How many of roller's ranked GPU block tiles a group's sink tries.
constexpr unsigned kGPUTileCandidates = 24;
// CUDA's static shared memory per block.
constexpr int64_t kStaticSharedBytes = 48 * 1024;
} // namespace

MemoryModel MemoryModel::fromTarget(roller::TargetAttr target) {
  MemoryModel m;
  m.target = target;
  m.gpu = target.getKind() == roller::TargetKind::gpu;
  ArrayAttr levels = target.getLevels();
  auto level = [&](int i) { return cast<roller::MemoryLevelAttr>(levels[i]); };
  m.units = target.getUnits();
  m.globalBytesPerSec = level(0).getBandwidth().convertToDouble() * 1e9;
  std::optional<double> peak =
      target.getPeak(Float32Type::get(target.getContext()));
  m.peakFlops = (peak ? *peak : 1.0) * 1e9;
  if (m.gpu) {
    roller::MemoryLevelAttr shared = target.getLevel("shared");
    // A block's tiles are static shared memory (workgroup buffers of the
    // kernel), which CUDA caps at 48 KiB per block without an opt-in.
    m.fastBytes = std::min<int64_t>(
        (shared ? shared : level(1)).getCapacity(), kStaticSharedBytes);
    // A tile is one block on one SM: more resident blocks per SM hide
    // latency, they add no throughput. With SMs x resident blocks here, 64
    // tiles looked like 1.5% of an H100 and the model chose 1x8 tiles that
    // read the matmul's operands 30 times over.
    m.slots = m.units;
    m.launchUs = 4; // a kernel launch on the stream
  } else {
    // Intermediate tiles live in a core's L2 (levels: DRAM, L3, L2, L1,
    // registers); half of it, so that the operands streaming through stay.
    int n = levels.size();
    m.cacheBytes = level(n >= 4 ? n - 3 : std::max(0, n - 2)).getCapacity();
    m.fastBytes = m.cacheBytes / 2;
    // The cores the code will run on: OpenMP's threads where fewer. At 1
    // thread a 2-core model split an MLP layer's matmul in two tiles that
    // each recomputed its GELU input (19 vs 17 us), paying for parallelism
    // that was not there.
    int64_t threads = roller::getOpenMPThreads();
    m.slots = threads ? std::min<int64_t>(m.units, threads) : m.units;
    // What one more kernel costs: the default pipeline runs the kernels of
    // a function as rammer's rTasks inside one parallel region, so a kernel
    // boundary is a barrier (0.17-0.19 us by bench/rammer/calibrate.py),
    // not a fork and join. At 2 us per kernel the model bought kernels
    // with recomputation: an MLP's matmuls in one kernel whose two tiles
    // each recomputed the first layers (15 vs 13 us), a 37-row layernorm
    // recomputing row statistics per tile (5 vs 4 us).
    m.launchUs = 0.2;
    m.vectorLanes = std::max<int64_t>(1, target.getVectorBits() / 32);
  }
  return m;
}

//===----------------------------------------------------------------------===//
// The graph
//===----------------------------------------------------------------------===//

TileGraph::TileGraph(Block &block) {
  for (Operation &op : block) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(&op);
    if (!linalgOp || !linalgOp.hasPureTensorSemantics())
      continue;
    std::string whyNot;
    FailureOr<OpInfo> info = roller::analyzeOp(linalgOp, whyNot);
    if (failed(info)) {
      skipped.push_back({&op, whyNot});
      continue;
    }
    index_[&op] = nodes_.size();
    Node node;
    node.op = linalgOp;
    node.info = std::move(*info);
    nodes_.push_back(std::move(node));
  }
  for (auto [i, node] : llvm::enumerate(nodes_)) {
    for (OpOperand &operand : node.op->getOpOperands()) {
      Value value = operand.get();
      int producer = -1;
      unsigned result = 0;
      if (auto opResult = dyn_cast<OpResult>(value))
        if (std::optional<unsigned> p = indexOf(opResult.getOwner())) {
          producer = *p;
          result = opResult.getResultNumber();
          nodes_[*p].users.push_back({unsigned(i), operand.getOperandNumber()});
        }
      node.producers.push_back(producer);
      node.producerResults.push_back(result);
    }
    for (Value result : node.op->getResults())
      for (OpOperand &use : result.getUses())
        if (!indexOf(use.getOwner()))
          node.usedOutside = true;
  }
}

std::optional<unsigned> TileGraph::indexOf(Operation *op) const {
  auto it = index_.find(op);
  if (it == index_.end())
    return std::nullopt;
  return it->second;
}

SmallVector<int64_t> TileGraph::tileCandidates(int64_t range) {
  SmallVector<int64_t> result;
  for (int64_t p = 1; p < range; p *= 2) {
    int64_t d = p;
    while (range % d)
      --d; // the largest divisor not above p
    if (result.empty() || result.back() != d)
      result.push_back(d);
  }
  if (result.empty() || result.back() != range)
    result.push_back(range);
  return result;
}

GroupPlan TileGraph::evaluate(ArrayRef<unsigned> group, ArrayRef<int64_t> tile,
                              const MemoryModel &memory) const {
  GroupPlan plan;
  plan.nodes.assign(group.begin(), group.end());
  plan.sink = group.back();
  plan.tile.assign(tile.begin(), tile.end());
  llvm::SmallSet<unsigned, 16> in;
  for (unsigned n : group)
    in.insert(n);
  plan.nodeTiles[plan.sink] = plan.tile;
  plan.uses[plan.sink] = 1;
  // Consumers come after their producers in program order: walk backwards.
  for (unsigned n : llvm::reverse(group.drop_back())) {
    const Node &node = nodes_[n];
    SmallVector<int64_t> needed;
    int64_t uses = 0;
    for (auto [consumer, operand] : node.users) {
      if (!in.contains(consumer))
        continue;
      auto consumerTile = plan.nodeTiles.find(consumer);
      if (consumerTile == plan.nodeTiles.end())
        continue;
      FailureOr<SmallVector<int64_t>> t = propagateBackward(
          nodes_[consumer].info, operand, consumerTile->second, node.info,
          nodes_[consumer].producerResults[operand]);
      if (failed(t)) {
        plan.nodeTiles.clear();
        plan.why = "the producer's output is not indexed by a projected "
                   "permutation: its tile cannot be derived";
        return plan;
      }
      if (needed.empty())
        needed = *t;
      else
        for (auto [a, b] : llvm::zip(needed, *t))
          a = std::max(a, b);
      ++uses;
    }
    if (!uses) {
      plan.nodeTiles.clear();
      plan.why = "a node does not feed the group's sink";
      return plan;
    }
    plan.nodeTiles[n] = needed;
    plan.uses[n] = uses;
  }

  const OpInfo &sink = nodes_[plan.sink].info;
  plan.tiles = 1;
  for (unsigned d = 0; d < sink.numLoops(); ++d)
    if (!sink.reduction[d])
      plan.tiles *= ceilDiv(sink.ranges[d], plan.tile[d]);

  // Per tile: external tensors are read once (the largest window any member
  // reads), every member's output tile lives in fast memory, the sink's
  // output tile is written back.
  // What a tile reads from outside the group, in bytes; and of that, what
  // must sit in fast memory at once: roller tiles a member's reduction
  // inside the group tile, so an input is resident one reduction step at a
  // time (a matmul group's K strips counted whole capped 128x768 groups at
  // 64x64 tiles, which read B twice as often as roller's own tile).
  llvm::DenseMap<Value, int64_t> externalReads, externalResident;
  llvm::SmallDenseSet<Value, 8> wholeReads; // inputs every tile reads whole
  double perTileBytes = 0;
  for (unsigned n : group) {
    const Node &node = nodes_[n];
    ArrayRef<int64_t> t = plan.nodeTiles[n];
    double work = 1;
    for (int64_t size : t)
      work *= size;
    // A producer the group keeps in fast memory runs once per tile, not once
    // per consumer.
    plan.flops += (computedOnce(node.op) ? 1 : plan.uses[n]) * work * node.info.flopsPerPoint;
    for (auto [k, operand] : llvm::enumerate(node.info.operands)) {
      if (operand.dims.empty())
        continue; // a scalar
      int64_t bytes = roller::footprint(operand, t) * operand.elemBytes;
      bool internal = node.producers[k] >= 0 && in.contains(node.producers[k]);
      OpOperand &opOperand = node.op->getOpOperand(k);
      if (operand.isOutput) {
        plan.footprint += bytes;
        if (n == plan.sink)
          perTileBytes += bytes; // written back
        if (!internal && linalg::LinalgOp(node.op).payloadUsesValueFromOperand(&opOperand)) {
          int64_t &read = externalReads[opOperand.get()];
          read = std::max(read, bytes);
        }
        continue;
      }
      if (internal)
        continue; // counted as the producer's output tile
      int64_t &read = externalReads[opOperand.get()];
      read = std::max(read, bytes);
      // Only a matmul-like contraction's operands (a layer's weights, K and
      // V): with a pooling's input counted once per core an inception cell
      // recomputed a max pool in each of two channel tiles (0.92x), the
      // model pricing its window far below its cost; with convolutions'
      // weights, MobileNetV2's 7x7 blocks took one-row tiles (7 lanes of
      // 16), 0.94-0.96x.
      if (auto type = dyn_cast<RankedTensorType>(opOperand.get().getType());
          type && type.hasStaticShape() &&
          bytes >= type.getNumElements() * operand.elemBytes &&
          linalg::isaContractionOpInterface(node.op))
        wholeReads.insert(opOperand.get());
      SmallVector<int64_t> stepTile(t);
      for (unsigned d = 0; d < stepTile.size(); ++d)
        if (node.info.reduction[d])
          stepTile[d] = std::min<int64_t>(stepTile[d], kResidentReductionStep);
      int64_t &resident = externalResident[opOperand.get()];
      resident = std::max(resident,
                          roller::footprint(operand, stepTile) * operand.elemBytes);
    }
  }
  // A core runs its tiles one after another: an input every tile reads
  // whole (a layer's weights under row tiles) stays in the core's cache from
  // one tile to the next where it fits beside a tile's working set, so it
  // comes from memory once per core, not once per tile. (A GPU block's
  // shared memory does not outlive the block: re-read per tile there.)
  double whole = 0;
  for (auto &entry : externalReads) {
    plan.footprint += externalResident.lookup(entry.first);
    if (wholeReads.contains(entry.first))
      whole += entry.second;
    else
      perTileBytes += entry.second;
  }
  // Only where the group tile decides how often a chain's weights are read
  // (two or more contractions: NeRF's layers, attention's two products); a
  // lone contraction is roller's to block for the caches, and 37 one-row
  // tiles of a 37x53x29 matmul ran 1.27x slower than one tile.
  unsigned contractions = llvm::count_if(group, [&](unsigned n) {
    return linalg::isaContractionOpInterface(nodes_[n].op);
  });
  plan.tileBytes = (perTileBytes + whole) * plan.tiles;
  plan.bytes = !memory.gpu && memory.cacheBytes > 0 && contractions >= 2 &&
                       whole + plan.footprint <= double(memory.cacheBytes)
                   ? perTileBytes * plan.tiles +
                         whole * double(std::min(plan.tiles, memory.slots))
                   : plan.tileBytes;
  plan.flops *= plan.tiles;
  plan.fits = plan.footprint <= memory.fastBytes;
  // Waves of tiles over the device's slots (cores on a CPU).
  double efficiency = double(plan.tiles) /
                      double(ceilDiv(plan.tiles, memory.slots) * memory.slots);
  double compute = plan.flops / (memory.peakFlops * efficiency);
  double traffic = plan.bytes / (memory.globalBytesPerSec * efficiency);
  plan.us = std::max(compute, traffic) * 1e6 + memory.launchUs;
  // One tile makes no loop (welder-lower): operators that keep a tile in
  // cache run apart, each a kernel of roller's, with their traffic. Priced
  // as such, not as a fusion it will not get (at 1 thread the model chose
  // one tile for an LSTM step's matmul + bias + add, which then ran as
  // three kernels: 11.3 vs 9.8 us).
  if (plan.tiles == 1 && group.size() > 1) {
    SmallVector<unsigned> apart;
    for (unsigned n : group)
      if (n == plan.sink || !inRegisters(*this, n))
        apart.push_back(n);
    if (apart.size() > 1) {
      // Each by this model over its whole output (roller's own predictions
      // for a lone operator know nothing of what roller-construct rewrites,
      // such as a 1x1 convolution taken as a matmul).
      plan.kernels = apart.size();
      plan.bytes = plan.tileBytes = plan.us = 0;
      for (unsigned n : apart) {
        GroupPlan alone = evaluate({n}, plan.nodeTiles[n], memory);
        plan.bytes += alone.bytes;
        plan.tileBytes += alone.tileBytes;
        plan.us += alone.us;
      }
    }
  }
  return plan;
}

/// Block tiles of the largest divisors not above powers of two (whole
/// ranges for reductions), with 4 warps to 1024 threads' work at up to 16
/// elements a thread.
static SmallVector<SmallVector<int64_t>> gpuTiles(const OpInfo &sink,
                                                  const MemoryModel &memory) {
  unsigned n = sink.numLoops();
  SmallVector<SmallVector<int64_t>> choices;
  int64_t volume = 1;
  for (unsigned d = 0; d < n; ++d) {
    SmallVector<int64_t> sizes;
    if (sink.reduction[d]) {
      sizes.push_back(sink.ranges[d]);
    } else {
      sizes = TileGraph::tileCandidates(sink.ranges[d]);
      volume *= sink.ranges[d];
    }
    choices.push_back(std::move(sizes));
  }
  int64_t warp = memory.target.getWarp();
  int64_t minWork = std::min<int64_t>(4 * warp, volume);
  int64_t maxWork = 1024 * 16;
  SmallVector<SmallVector<int64_t>> tiles;
  SmallVector<unsigned> index(n, 0);
  while (true) {
    SmallVector<int64_t> tile(n);
    int64_t work = 1;
    for (unsigned d = 0; d < n; ++d) {
      tile[d] = choices[d][index[d]];
      if (!sink.reduction[d])
        work *= tile[d];
    }
    if (work >= minWork && work <= maxWork)
      tiles.push_back(std::move(tile));
    unsigned d = 0;
    while (d < n && ++index[d] == choices[d].size())
      index[d++] = 0;
    if (d == n || tiles.size() > 4096)
      break;
  }
  return tiles;
}

GroupPlan TileGraph::best(ArrayRef<unsigned> group,
                          const MemoryModel &memory) const {
  const OpInfo &sink = nodes_[group.back()].info;
  unsigned n = sink.numLoops();
  SmallVector<SmallVector<int64_t>> choices;
  size_t total = 1;
  // A group holding an NCHW convolution or pooling (roller vectorises it
  // along the image row, ow): the sink's row tiles are whole vectors or the
  // whole row, else every register tile is a masked partial one (a group
  // tile of 14 of 56 columns ran at half the speed of whole rows), and at
  // least 4 vectors wide where the row has them, so that roller's register
  // tile can hold enough accumulators (rows of 16 of ResNet's 112-column
  // 7x7 stem left it 8, at 0.6x the speed of 6 x 64 columns).
  // The same holds for any group holding a contraction (matmul,
  // convolution: one accumulator per vector of the output's contiguous
  // loop) where its rows cannot make up for it (197 rows, prime: roller
  // keeps one row per register tile): 32 of a ViT attention's 64 columns
  // left two accumulators and ran its batched matmul at half speed.
  std::optional<unsigned> rowLoop;
  if (!memory.gpu && llvm::any_of(group, [&](unsigned member) {
        linalg::LinalgOp op = nodes_[member].op;
        return roller::vectorAlongWindow(nodes_[member].info) ||
               linalg::isaContractionOpInterface(op) ||
               linalg::isaConvolutionOpInterface(op);
      }))
    rowLoop = roller::vectorLoop(sink);
  // On a GPU a group tile is one block's work: its candidates are roller's
  // block tiles for the sink (aligned to transactions and warps, sized for
  // a block's threads), as in the paper, where Welder takes the output
  // node's tiles from Roller's rTile construction and propagates them, and
  // power-of-two tiles of at least four warps' work, since the sink's own
  // rTiles (an epilogue's: no reuse) know nothing of the matmul inside.
  // Divisor tiles of every size let the model pick 2x2 blocks of 4 threads.
  if (memory.gpu && memory.target) {
    SmallVector<SmallVector<int64_t>> tiles = gpuTiles(sink, memory);
    for (const roller::Candidate &c :
         roller::constructGPU(sink, memory.target, kGPUTileCandidates)) {
      if (c.tiles.empty() || c.tiles.front().size() != n)
        continue;
      SmallVector<int64_t> t(c.tiles.front());
      for (unsigned d = 0; d < n; ++d)
        if (sink.reduction[d] || t[d] > sink.ranges[d] || t[d] < 1)
          t[d] = sink.ranges[d];
      // Partial group tiles would give the operators inside dynamic shapes,
      // which roller cannot tile for threads.
      bool divides = llvm::all_of(llvm::seq(n), [&](unsigned d) {
        return sink.ranges[d] % t[d] == 0;
      });
      if (divides && !llvm::is_contained(tiles, t))
        tiles.push_back(std::move(t));
    }
    if (!tiles.empty())
      return bestOf(group, tiles, memory);
  }
  for (unsigned d = 0; d < n; ++d) {
    choices.push_back(sink.reduction[d]
                          ? SmallVector<int64_t>{sink.ranges[d]}
                          : tileCandidates(sink.ranges[d]));
    if (rowLoop == d)
      llvm::erase_if(choices.back(), [&](int64_t size) {
        return size != sink.ranges[d] &&
               (size % memory.vectorLanes != 0 || size < 4 * memory.vectorLanes);
      });
    total *= choices.back().size();
  }
  // Bound the search: thin the longest list (keeping its ends).
  while (total > 4096) {
    auto longest = llvm::max_element(
        choices, [](auto &a, auto &b) { return a.size() < b.size(); });
    SmallVector<int64_t> thinned;
    for (size_t i = 0; i < longest->size(); i += 2)
      thinned.push_back((*longest)[i]);
    if (thinned.back() != longest->back())
      thinned.push_back(longest->back());
    total = total / longest->size() * thinned.size();
    *longest = thinned;
  }
  SmallVector<SmallVector<int64_t>> tiles;
  SmallVector<int64_t> tile(n);
  for (size_t iter = 0; iter < total; ++iter) {
    size_t rest = iter;
    for (unsigned d = 0; d < n; ++d) {
      tile[d] = choices[d][rest % choices[d].size()];
      rest /= choices[d].size();
    }
    tiles.push_back(tile);
  }
  return bestOf(group, tiles, memory);
}

GroupPlan TileGraph::bestOf(ArrayRef<unsigned> group,
                            ArrayRef<SmallVector<int64_t>> tiles,
                            const MemoryModel &memory) const {
  auto volume = [](const GroupPlan &p) {
    double v = 1;
    for (int64_t s : p.tile)
      v *= s;
    return v;
  };
  auto better = [&](const GroupPlan &a, const GroupPlan &b) {
    if (a.fits != b.fits)
      return a.fits;
    if (!a.fits)
      return a.footprint < b.footprint;
    // The model is not finer than 2%.
    if (std::abs(a.us - b.us) > 0.02 * std::max(a.us, b.us))
      return a.us < b.us;
    // Ties go to the tile that reads less per tile (cache-resident inputs
    // counted per tile too): with them counted once per core, attention's
    // batched matmuls took 16-row tiles of 4 heads over 32-row tiles of 2,
    // and ran 1.2x slower.
    if (a.tileBytes != b.tileBytes)
      return a.tileBytes < b.tileBytes;
    return volume(a) > volume(b);
  };
  GroupPlan bestPlan;
  bool found = false;
  std::string why;
  for (ArrayRef<int64_t> tile : tiles) {
    GroupPlan plan = evaluate(group, tile, memory);
    if (plan.nodeTiles.empty()) {
      why = plan.why;
      continue;
    }
    if (!found || better(plan, bestPlan)) {
      bestPlan = std::move(plan);
      found = true;
    }
  }
  if (!found) {
    bestPlan.nodes.assign(group.begin(), group.end());
    bestPlan.sink = group.back();
    bestPlan.why = why.empty() ? "no tile" : why;
  }
  return bestPlan;
}

void TileGraph::addUnfused(GroupPlan &plan, const MemoryModel &memory) const {
  for (unsigned n : plan.nodes) {
    plan.unfusedBytes += single(n, memory).bytes;
    plan.unfusedUs += single(n, memory).us;
  }
}

const GroupPlan &TileGraph::single(unsigned node,
                                   const MemoryModel &memory) const {
  auto it = singles_.find(node);
  if (it != singles_.end())
    return it->second;
  // What runs a lone node is roller: welder-lower tiles only groups of two
  // or more. Pricing it with a group tile instead (divisors only, within
  // the fast memory) made a 197x768x192 matmul a row at a time, 2.9 ms
  // modelled, so that fusing it into that same bad tile looked no worse
  // (ViT's MLP: 2x slower end to end). Its traffic is the model's for
  // roller's cache tile; its time roller's own.
  if (memory.target) {
    const OpInfo &info = nodes_[node].info;
    SmallVector<roller::Candidate> ranked =
        memory.gpu ? roller::constructGPU(info, memory.target, 1)
                   : roller::constructCPU(info, memory.target, 1);
    if (!ranked.empty() && std::isfinite(ranked.front().predictedUs) &&
        !ranked.front().tiles.empty() &&
        ranked.front().tiles.front().size() == info.numLoops()) {
      SmallVector<int64_t> tile(ranked.front().tiles.front());
      for (unsigned d = 0; d < info.numLoops(); ++d)
        if (info.reduction[d] || tile[d] > info.ranges[d] || tile[d] < 1)
          tile[d] = info.ranges[d];
      GroupPlan plan = evaluate({node}, tile, memory);
      if (!plan.nodeTiles.empty()) {
        plan.fits = true; // roller blocks for the caches / shared memory itself
        plan.us = ranked.front().predictedUs + memory.launchUs;
        return singles_.insert({node, std::move(plan)}).first->second;
      }
    }
  }
  return singles_.insert({node, best({node}, memory)}).first->second;
}

std::vector<GroupPlan> TileGraph::partition(
    const MemoryModel &memory, unsigned maxNodes, bool fuse,
    const std::function<void(Operation *, const std::string &)> &note) const {
  unsigned count = nodes_.size();
  SmallVector<bool> assigned(count, false);
  std::vector<GroupPlan> plans;
  for (int s = int(count) - 1; s >= 0; --s) {
    if (assigned[s])
      continue;
    SmallVector<unsigned> group = {unsigned(s)};
    GroupPlan plan = single(s, memory);
    llvm::SmallSet<unsigned, 16> tried;
    while (fuse) {
      // The latest producer of the group not yet considered.
      int next = -1;
      for (unsigned member : group)
        for (int p : nodes_[member].producers)
          if (p >= 0 && !assigned[p] && !llvm::is_contained(group, unsigned(p)) &&
              !tried.contains(p))
            next = std::max(next, p);
      if (next < 0)
        break;
      tried.insert(next);
      const Node &producer = nodes_[next];
      if (group.size() >= maxNodes) {
        note(producer.op, llvm::formatv("welder: not fused: the group already has "
                                        "{0} operators (max-nodes)",
                                        group.size()));
        break;
      }
      bool allInside = !producer.usedOutside;
      for (auto [user, operand] : producer.users)
        allInside &= llvm::is_contained(group, user);
      if (!allInside) {
        note(producer.op, "welder: not fused: a result is also used outside "
                          "the group (it must go to global memory)");
        continue;
      }
      SmallVector<unsigned> merged(group);
      merged.push_back(next);
      llvm::sort(merged);
      GroupPlan fused = best(merged, memory);
      const GroupPlan &alone = single(next, memory);
      if (fused.nodeTiles.empty()) {
        note(producer.op, "welder: not fused: " + fused.why);
        continue;
      }
      if (!fused.fits) {
        note(producer.op,
             llvm::formatv("welder: not fused: the smallest group tile needs "
                           "{0} B of fast memory (capacity {1} B)",
                           fused.footprint, memory.fastBytes));
        continue;
      }
      if (fused.us > plan.us + alone.us) {
        note(producer.op,
             llvm::formatv("welder: not fused: modelled {0:f2} us fused "
                           "(tile [{3}], {4} tiles) vs {1:f2} + {2:f2} us apart",
                           fused.us, plan.us, alone.us,
                           llvm::join(llvm::map_range(fused.tile, [](int64_t v) {
                                        return std::to_string(v);
                                      }),
                                      ", "),
                           fused.tiles));
        continue;
      }
      group = merged;
      plan = std::move(fused);
    }
    for (unsigned n : group)
      assigned[n] = true;
    addUnfused(plan, memory);
    plans.push_back(std::move(plan));
  }
  std::reverse(plans.begin(), plans.end());
  return plans;
}
