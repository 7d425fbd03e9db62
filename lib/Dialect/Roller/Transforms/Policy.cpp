//===- Policy.cpp - Roller's rTile construction and micro-performance model //
//
// GPU (Roller, OSDI 2022, section 4): a block tile over all loops (reduction
// loops at their step) lives in shared memory, a per-thread tile in
// registers. Sizes come from aligned candidates; the block tile grows along
// the dimension that saves the most global traffic per flop for each extra
// byte of shared memory, until shared memory is full; tiles are shrunk until
// every SM has a block; candidates are ranked by the model below.
//
// CPU: the same construction one level down. The register tile is chosen
// for FMA reuse under the vector register file (accumulators + operand
// vectors); cache tiles are sized so that the operand panels of one step fit
// L1, L2 and L3; outer tiles are shrunk until every core has work.
//
// The model: time = max(flops / peak, bytes moved at each memory level /
// that level's bandwidth), divided by the utilisation of the compute units in
// waves of blocks (GPU) or by the cores that have tiles (CPU).
//
//===----------------------------------------------------------------------===//

#include "Roller/Policy.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/AffineExpr.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::fourfold::roller;

static constexpr double kInfinity = std::numeric_limits<double>::infinity();

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

/// Cache tile of a transposing copy along each of its two contiguous loops
/// (elements): see constructCPU.
static constexpr int64_t kTransposeBlock = 64;

//===----------------------------------------------------------------------===//
// Describing an operator
//===----------------------------------------------------------------------===//

static bool collectLinear(AffineExpr expr, int64_t scale, IndexExpr &out) {
  if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
    out.terms.push_back({dim.getPosition(), scale});
    return true;
  }
  if (isa<AffineConstantExpr>(expr))
    return true;
  auto bin = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!bin)
    return false;
  if (bin.getKind() == AffineExprKind::Add)
    return collectLinear(bin.getLHS(), scale, out) &&
           collectLinear(bin.getRHS(), scale, out);
  if (bin.getKind() == AffineExprKind::Mul) {
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return collectLinear(bin.getLHS(), scale * c.getValue(), out);
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
      return collectLinear(bin.getRHS(), scale * c.getValue(), out);
  }
  return false; // mod, floordiv, ceildiv: not a window the policy can size
}

static int64_t elementBytes(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    type = shaped.getElementType();
  if (type.isIntOrFloat())
    return std::max<int64_t>(1, type.getIntOrFloatBitWidth() / 8);
  if (type.isIndex())
    return 8;
  return 4;
}

FailureOr<OpInfo> mlir::fourfold::roller::analyzeOp(linalg::LinalgOp op,
                                                    std::string &whyNot) {
  OpInfo info;
  if (op.getNumLoops() == 0) {
    whyNot = "it has no loops";
    return failure();
  }
  info.ranges = op.getStaticLoopRanges();
  for (auto [i, range] : llvm::enumerate(info.ranges)) {
    if (ShapedType::isDynamic(range)) {
      whyNot = llvm::formatv("loop {0} has no static trip count", i).str();
      return failure();
    }
    // A static 0 (an empty tensor) used to be reported as dynamic too.
    if (range <= 0) {
      whyNot = llvm::formatv("loop {0} has no iterations", i).str();
      return failure();
    }
  }
  for (utils::IteratorType it : op.getIteratorTypesArray())
    info.reduction.push_back(it == utils::IteratorType::reduction);
  for (OpOperand &operand : op->getOpOperands()) {
    // Vectors of i1 are bit-packed in LLVM while memrefs of i1 hold a byte
    // per element: the vectorised tiles read and wrote masks wrongly (an
    // attention mask came out garbage). Booleans keep the default lowering.
    if (getElementTypeOrSelf(operand.get().getType()).isInteger(1)) {
      whyNot = "it reads or writes booleans (i1), which do not vectorise "
               "bytewise";
      return failure();
    }
    OperandInfo oi;
    oi.isOutput = op.isDpsInit(&operand);
    oi.elemBytes = elementBytes(operand.get().getType());
    {
      // The row stride of the tensor the operand is (a chain of slices) of.
      Value root = operand.get();
      while (auto slice = root.getDefiningOp<tensor::ExtractSliceOp>())
        root = slice.getSource();
      auto rootType = dyn_cast<RankedTensorType>(root.getType());
      auto type = dyn_cast<RankedTensorType>(operand.get().getType());
      if (rootType && type && rootType.getRank() == type.getRank() && type.getRank() >= 2 &&
          !rootType.isDynamicDim(type.getRank() - 1))
        oi.rowStride = rootType.getDimSize(type.getRank() - 1);
      if (rootType && type && rootType.getRank() == type.getRank() && type.getRank() >= 2 &&
          rootType.hasStaticShape())
        oi.outerStride = computeProduct(rootType.getShape().drop_front());
    }
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (AffineExpr expr : map.getResults()) {
      IndexExpr ie;
      if (!collectLinear(expr, 1, ie)) {
        whyNot = "an operand is indexed by a non-linear expression";
        return failure();
      }
      oi.dims.push_back(ie);
    }
    info.operands.push_back(oi);
  }
  double flops = 0;
  for (Operation &bodyOp : op.getBlock()->without_terminator()) {
    if (isa<arith::IndexCastOp, arith::ExtFOp, arith::TruncFOp, arith::BitcastOp,
            linalg::IndexOp>(bodyOp))
      continue;
    info.expandedMath |= isa<math::ErfOp, math::TanhOp, math::ExpOp, math::Exp2Op,
                             math::ExpM1Op, math::LogOp, math::Log2Op, math::Log1pOp,
                             math::SinOp, math::CosOp, math::AtanOp, math::Atan2Op,
                             math::PowFOp>(bodyOp);
    if (isa<math::FmaOp>(bodyOp))
      flops += 2;
    else if (isa<arith::ArithDialect, math::MathDialect>(bodyOp.getDialect()))
      flops += 1;
  }
  info.flopsPerPoint = std::max(1.0, flops);
  Block *block = op.getBlock();
  info.isCopy = op.getNumDpsInputs() == 1 && op.getNumDpsInits() == 1 &&
                block->getOperations().size() == 1 &&
                block->getTerminator()->getNumOperands() == 1 &&
                block->getTerminator()->getOperand(0) == block->getArgument(0);
  info.contraction = linalg::isaContractionOpInterface(op);
  Value init = op.getDpsInits().empty() ? Value() : op.getDpsInits().front();
  info.elemType = init ? getElementTypeOrSelf(init.getType()) : Type();
  return info;
}

int64_t mlir::fourfold::roller::footprint(const OperandInfo &operand,
                                          ArrayRef<int64_t> tile) {
  int64_t elements = 1;
  for (const IndexExpr &dim : operand.dims) {
    int64_t extent = 1;
    for (auto [loop, coeff] : dim.terms)
      extent += std::abs(coeff) * (tile[loop] - 1);
    elements *= extent;
  }
  return elements;
}

/// The loop that walks the innermost (contiguous) dimension of `operand`
/// with unit stride, if any.
static std::optional<unsigned> innermostLoop(const OperandInfo &operand) {
  if (operand.dims.empty())
    return std::nullopt;
  const IndexExpr &last = operand.dims.back();
  for (auto [loop, coeff] : last.terms)
    if (coeff == 1)
      return loop;
  return std::nullopt;
}

/// Extent (elements) of the innermost dimension of `operand` for `tile`.
static int64_t innerExtent(const OperandInfo &operand, ArrayRef<int64_t> tile) {
  if (operand.dims.empty())
    return 1;
  int64_t extent = 1;
  for (auto [loop, coeff] : operand.dims.back().terms)
    extent += std::abs(coeff) * (tile[loop] - 1);
  return extent;
}

SmallVector<bool> mlir::fourfold::roller::windowLoops(const OpInfo &info) {
  SmallVector<bool> window(info.numLoops(), false);
  for (const OperandInfo &operand : info.operands)
    if (!operand.isOutput)
      for (const IndexExpr &dim : operand.dims)
        if (dim.terms.size() > 1)
          for (auto [loop, coeff] : dim.terms)
            if (info.reduction[loop])
              window[loop] = true;
  return window;
}

std::optional<unsigned> mlir::fourfold::roller::vectorLoop(const OpInfo &info) {
  for (const OperandInfo &operand : info.operands)
    if (operand.isOutput)
      if (std::optional<unsigned> loop = innermostLoop(operand))
        if (!info.reduction[*loop])
          return loop;
  return std::nullopt;
}

bool mlir::fourfold::roller::vectorAlongWindow(const OpInfo &info) {
  std::optional<unsigned> vector = vectorLoop(info);
  if (!vector)
    return false;
  SmallVector<bool> window = windowLoops(info);
  for (const OperandInfo &operand : info.operands)
    if (!operand.isOutput)
      for (const IndexExpr &dim : operand.dims)
        if (llvm::any_of(dim.terms, [&](auto t) { return t.first == *vector; }) &&
            llvm::any_of(dim.terms, [&](auto t) { return window[t.first]; }))
          return true;
  return false;
}

static double peakGFlops(const OpInfo &info, TargetAttr target) {
  if (info.elemType)
    if (std::optional<double> peak = target.getPeak(info.elemType))
      return *peak;
  if (std::optional<double> peak = target.getPeak(Float32Type::get(target.getContext())))
    return *peak;
  return cast<FloatAttr>(target.getPeak().begin()->getValue()).getValueAsDouble();
}

static double bandwidth(MemoryLevelAttr level) {
  return level.getBandwidth().convertToDouble() * 1e9; // bytes / s
}

/// Global (or DRAM) bytes one tile moves over the whole reduction: inputs
/// step by step (halos of windows counted each step), outputs once.
static double tileTraffic(const OpInfo &info, ArrayRef<int64_t> tile,
                          int64_t transaction) {
  int64_t steps = 1;
  for (unsigned d = 0; d < info.numLoops(); ++d)
    if (info.reduction[d])
      steps *= ceilDiv(info.ranges[d], tile[d]);
  double bytes = 0;
  for (const OperandInfo &operand : info.operands) {
    if (operand.dims.empty())
      continue; // a scalar travels as a kernel / function parameter
    double elements = footprint(operand, tile);
    // Short contiguous runs still move whole transactions.
    double inner = innerExtent(operand, tile) * operand.elemBytes;
    double coalescing = inner > 0 ? roundUp(std::ceil(inner), transaction) / inner : 1;
    double perStep = elements * operand.elemBytes * std::max(1.0, coalescing);
    bytes += operand.isOutput ? perStep : perStep * steps;
  }
  return bytes;
}

//===----------------------------------------------------------------------===//
// GPU
//===----------------------------------------------------------------------===//

static MemoryLevelAttr levelOr(TargetAttr target, StringRef name, int fallback) {
  if (MemoryLevelAttr level = target.getLevel(name))
    return level;
  ArrayAttr levels = target.getLevels();
  int index = fallback < 0 ? levels.size() + fallback : fallback;
  return cast<MemoryLevelAttr>(levels[std::clamp<int>(index, 0, levels.size() - 1)]);
}

double mlir::fourfold::roller::modelGPU(const OpInfo &info, TargetAttr target,
                                        ArrayRef<int64_t> block,
                                        ArrayRef<int64_t> thread,
                                        std::string *explanation) {
  MemoryLevelAttr global = levelOr(target, "global", 0);
  MemoryLevelAttr shared = levelOr(target, "shared", -2);
  int64_t blocks = 1, threads = 1;
  double points = 1;
  for (unsigned d = 0; d < info.numLoops(); ++d) {
    points *= roundUp(info.ranges[d], block[d]);
    if (info.reduction[d])
      continue;
    blocks *= ceilDiv(info.ranges[d], block[d]);
    threads *= ceilDiv(block[d], thread[d]);
  }
  if (threads > 1024)
    return kInfinity;
  double globalBytes = blocks * tileTraffic(info, block, global.getTransaction());
  // Shared memory -> registers: every thread reads its tile's operands each step.
  int64_t steps = 1;
  for (unsigned d = 0; d < info.numLoops(); ++d)
    if (info.reduction[d])
      steps *= ceilDiv(info.ranges[d], block[d]);
  SmallVector<int64_t> threadStep(thread);
  for (unsigned d = 0; d < info.numLoops(); ++d)
    if (info.reduction[d])
      threadStep[d] = block[d];
  double sharedBytes = 0, smemPerBlock = 0, regsPerThread = 24;
  int64_t accumulators = 1;
  for (unsigned d = 0; d < info.numLoops(); ++d)
    if (!info.reduction[d])
      accumulators *= thread[d];
  regsPerThread += accumulators;
  for (const OperandInfo &operand : info.operands) {
    if (operand.isOutput || operand.dims.empty())
      continue;
    sharedBytes += double(blocks) * threads * steps *
                   footprint(operand, threadStep) * operand.elemBytes;
    smemPerBlock += footprint(operand, block) * operand.elemBytes;
    SmallVector<int64_t> oneStep(thread);
    for (unsigned d = 0; d < info.numLoops(); ++d)
      if (info.reduction[d])
        oneStep[d] = 1;
    regsPerThread += footprint(operand, oneStep);
  }
  if (regsPerThread > 255)
    return kInfinity;
  // Resident blocks per SM: the tightest of block slots, threads, registers
  // and shared memory.
  int64_t resident = target.getBlocksPerUnit();
  resident = std::min(resident, target.getThreadsPerUnit() / threads);
  resident = std::min<int64_t>(
      resident, target.getRegsPerUnit() / int64_t(threads * regsPerThread));
  if (smemPerBlock > 0)
    resident = std::min<int64_t>(resident, shared.getCapacity() / smemPerBlock);
  if (resident <= 0)
    return kInfinity;
  // Balance over SMs: the busiest SM runs ceil(blocks / SMs) blocks, at most
  // `resident` at a time; too few warps per SM cannot hide memory latency.
  int64_t units = target.getUnits();
  int64_t perUnit = ceilDiv(blocks, units);
  int64_t waves = ceilDiv(perUnit, resident);
  double utilisation = double(blocks) / double(units * perUnit);
  double warps = double(std::min(perUnit, resident)) * ceilDiv(threads, target.getWarp());
  utilisation *= std::min(1.0, warps / 8.0);
  // A partial warp still occupies a whole warp's issue slots.
  utilisation *= double(threads) / double(roundUp(threads, target.getWarp()));
  double tCompute = points * info.flopsPerPoint / (peakGFlops(info, target) * 1e9);
  double tGlobal = globalBytes / bandwidth(global);
  double tShared = sharedBytes / bandwidth(shared);
  double seconds = std::max({tCompute, tGlobal, tShared}) / utilisation;
  if (explanation)
    *explanation = llvm::formatv(
        "{0} blocks x {1} threads, {2} resident per SM, {3} round(s), "
        "utilisation {4:f2}; compute {5:f2} us, global {6:f2} us ({7} B), "
        "shared {8:f2} us, smem/block {9} B, regs/thread ~{10}",
        blocks, threads, resident, waves, utilisation, tCompute * 1e6,
        tGlobal * 1e6, int64_t(globalBytes), tShared * 1e6, int64_t(smemPerBlock),
        int64_t(regsPerThread));
  return seconds * 1e6;
}

/// Candidate sizes of loop `d`: multiples of its alignment (1..32x), powers
/// of two and multiples of 8 (the shapes thread tiles divide), up to the
/// aligned range or `limit`, and the exact range.
static SmallVector<int64_t> sizesFor(const OpInfo &info, unsigned d,
                                     int64_t align, int64_t limit) {
  int64_t range = info.ranges[d];
  int64_t cap = std::min(roundUp(range, align), limit);
  SmallVector<int64_t> sizes;
  for (int64_t s = 1; s <= cap; s *= 2)
    sizes.push_back(s);
  for (int64_t k = 1; k <= 32 && align * k <= cap; ++k)
    sizes.push_back(align * k);
  for (int64_t k = 1; k <= 32 && align < 8 && 8 * k <= cap; ++k)
    sizes.push_back(8 * k);
  if (range <= limit)
    sizes.push_back(range);
  llvm::sort(sizes);
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

/// The thread tile for a block tile: the per-dimension divisors in {1, 2, 4,
/// 8} that the model likes best, preferring whole warps.
static std::pair<SmallVector<int64_t>, double>
bestThreadTile(const OpInfo &info, TargetAttr target, ArrayRef<int64_t> block) {
  SmallVector<unsigned> parallel;
  for (unsigned d = 0; d < info.numLoops(); ++d)
    if (!info.reduction[d])
      parallel.push_back(d);
  SmallVector<int64_t> best;
  double bestTime = kInfinity;
  SmallVector<int64_t> thread(info.numLoops(), 1);
  std::function<void(unsigned)> visit = [&](unsigned i) {
    if (i == parallel.size()) {
      int64_t threads = 1;
      for (unsigned d : parallel)
        threads *= block[d] / thread[d];
      // Whole warps unless the block is smaller than one.
      if (threads % target.getWarp() != 0 && threads > target.getWarp())
        return;
      double t = modelGPU(info, target, block, thread);
      if (t < bestTime) {
        bestTime = t;
        best = thread;
      }
      return;
    }
    unsigned d = parallel[i];
    for (int64_t r : {1, 2, 4, 8}) {
      if (r > block[d] || block[d] % r != 0)
        continue;
      thread[d] = r;
      visit(i + 1);
    }
    thread[d] = 1;
  };
  visit(0);
  return {best, bestTime};
}

SmallVector<Candidate> mlir::fourfold::roller::constructGPU(const OpInfo &info,
                                                            TargetAttr target,
                                                            unsigned topK) {
  unsigned n = info.numLoops();
  MemoryLevelAttr global = levelOr(target, "global", 0);
  MemoryLevelAttr shared = levelOr(target, "shared", -2);
  // Alignment: a loop that walks some operand's contiguous dimension moves
  // whole transactions when its tile is a multiple of transaction / element.
  SmallVector<int64_t> align(n, 1);
  for (const OperandInfo &operand : info.operands)
    if (std::optional<unsigned> loop = innermostLoop(operand))
      align[*loop] = std::max<int64_t>(
          align[*loop], std::max<int64_t>(1, global.getTransaction() / operand.elemBytes));
  SmallVector<SmallVector<int64_t>> sizes(n);
  for (unsigned d = 0; d < n; ++d)
    sizes[d] = info.reduction[d] ? sizesFor(info, d, std::min<int64_t>(align[d], 8), 64)
                                 : sizesFor(info, d, align[d], 1024);
  // Start from the smallest aligned tile.
  SmallVector<unsigned> index(n, 0);
  for (unsigned d = 0; d < n; ++d) {
    auto it = llvm::lower_bound(sizes[d], std::min(align[d], info.ranges[d]));
    index[d] = std::min<unsigned>(it - sizes[d].begin(), sizes[d].size() - 1);
  }
  auto tileOf = [&](ArrayRef<unsigned> idx) {
    SmallVector<int64_t> tile(n);
    for (unsigned d = 0; d < n; ++d)
      tile[d] = sizes[d][idx[d]];
    return tile;
  };
  auto smem = [&](ArrayRef<int64_t> tile) {
    double bytes = 0;
    for (const OperandInfo &operand : info.operands)
      if (!operand.isOutput && !operand.dims.empty())
        bytes += footprint(operand, tile) * operand.elemBytes;
    return bytes;
  };
  auto trafficPerFlop = [&](ArrayRef<int64_t> tile) {
    double work = 1;
    for (unsigned d = 0; d < n; ++d)
      work *= info.reduction[d] ? info.ranges[d] : tile[d];
    return tileTraffic(info, tile, global.getTransaction()) / work;
  };
  // Keep room for two resident blocks.
  double smemCap = shared.getCapacity() / 2.0;
  SmallVector<SmallVector<int64_t>> visited = {tileOf(index)};
  while (true) {
    SmallVector<int64_t> tile = tileOf(index);
    double q = trafficPerFlop(tile), m = smem(tile);
    int bestDim = -1;
    double bestScore = 0;
    for (unsigned d = 0; d < n; ++d) {
      if (index[d] + 1 >= sizes[d].size())
        continue;
      SmallVector<unsigned> next(index);
      ++next[d];
      SmallVector<int64_t> grown = tileOf(next);
      double m2 = smem(grown);
      if (m2 > smemCap)
        continue;
      int64_t blockThreads = 1;
      for (unsigned p = 0; p < n; ++p)
        if (!info.reduction[p])
          blockThreads *= ceilDiv(grown[p], 8);
      if (blockThreads > 1024)
        continue;
      // Reuse gained per byte of shared memory spent.
      double gain = q - trafficPerFlop(grown);
      if (gain <= 1e-9 * q)
        continue; // no reuse gained: growing only costs parallelism
      double score = gain / std::max(1.0, m2 - m);
      if (score > bestScore) {
        bestScore = score;
        bestDim = d;
      }
    }
    if (bestDim < 0)
      break;
    ++index[bestDim];
    visited.push_back(tileOf(index));
  }
  // An operator without reuse (elementwise, a copy) never grows above: its
  // block would be one transaction's worth of elements, 8 threads, a
  // quarter of a warp. Grow it (the contiguous loop first) until the block
  // has four warps of work, the smallest block that hides a load's latency
  // with other warps; the shrink below still gives every SM a block.
  auto parallelWork = [&](ArrayRef<int64_t> tile) {
    int64_t work = 1;
    for (unsigned d = 0; d < n; ++d)
      if (!info.reduction[d])
        work *= tile[d];
    return work;
  };
  int64_t minWork = 4 * target.getWarp();
  while (parallelWork(tileOf(index)) < minWork) {
    int grow = -1;
    for (unsigned d = 0; d < n; ++d) {
      if (info.reduction[d] || index[d] + 1 >= sizes[d].size())
        continue;
      SmallVector<unsigned> next(index);
      ++next[d];
      if (smem(tileOf(next)) > smemCap)
        continue;
      if (grow < 0 || align[d] > align[grow] ||
          (align[d] == align[grow] && info.ranges[d] > info.ranges[grow]))
        grow = d;
    }
    if (grow < 0)
      break;
    ++index[grow];
    visited.push_back(tileOf(index));
  }
  // try_shrink: halve the largest parallel tile until every SM has a block.
  SmallVector<int64_t> shrunk = visited.back();
  for (int guard = 0; guard < 64; ++guard) {
    int64_t blocks = 1;
    for (unsigned d = 0; d < n; ++d)
      if (!info.reduction[d])
        blocks *= ceilDiv(info.ranges[d], shrunk[d]);
    if (blocks >= target.getUnits())
      break;
    int largest = -1;
    for (unsigned d = 0; d < n; ++d)
      if (!info.reduction[d] && shrunk[d] > 1 &&
          (largest < 0 || shrunk[d] > shrunk[largest]))
        largest = d;
    if (largest < 0)
      break;
    shrunk[largest] = std::max<int64_t>(1, shrunk[largest] / 2);
    visited.push_back(shrunk);
  }
  SmallVector<Candidate> candidates;
  for (ArrayRef<int64_t> block : visited) {
    auto [thread, time] = bestThreadTile(info, target, block);
    if (thread.empty() || !std::isfinite(time))
      continue;
    Candidate c;
    c.levels = {"shared", "register"};
    c.tiles = {SmallVector<int64_t>(block), thread};
    c.predictedUs = time;
    modelGPU(info, target, block, thread, &c.explanation);
    // Identical tiles reached twice count once.
    if (llvm::any_of(candidates, [&](const Candidate &o) { return o.tiles == c.tiles; }))
      continue;
    candidates.push_back(c);
  }
  // Equal predictions (memory-bound operators) go to whole 128-thread
  // groups, then more work per thread, then bigger blocks.
  auto threadsOf = [&](const Candidate &c) {
    int64_t t = 1;
    for (unsigned d = 0; d < n; ++d)
      if (!info.reduction[d])
        t *= ceilDiv(c.tiles[0][d], c.tiles[1][d]);
    return t;
  };
  auto product = [](ArrayRef<int64_t> v) {
    int64_t p = 1;
    for (int64_t x : v)
      p *= x;
    return p;
  };
  llvm::stable_sort(candidates, [&](const Candidate &a, const Candidate &b) {
    if (std::abs(a.predictedUs - b.predictedUs) > 1e-2 * std::max(a.predictedUs, b.predictedUs))
      return a.predictedUs < b.predictedUs;
    bool wa = threadsOf(a) % 128 == 0, wb = threadsOf(b) % 128 == 0;
    if (wa != wb)
      return wa;
    if (product(a.tiles[1]) != product(b.tiles[1]))
      return product(a.tiles[1]) > product(b.tiles[1]);
    return product(a.tiles[0]) > product(b.tiles[0]);
  });
  if (candidates.size() > topK)
    candidates.resize(topK);
  return candidates;
}

//===----------------------------------------------------------------------===//
// CPU
//===----------------------------------------------------------------------===//

/// The cache levels of a CPU target, innermost first (L1, L2, L3).
static SmallVector<MemoryLevelAttr> cacheLevels(TargetAttr target) {
  SmallVector<MemoryLevelAttr> caches;
  ArrayAttr levels = target.getLevels();
  // Between the outermost (DRAM) and the innermost (registers).
  for (int i = int(levels.size()) - 2; i >= 1; --i)
    caches.push_back(cast<MemoryLevelAttr>(levels[i]));
  return caches;
}

static int64_t vectorLanes(const OpInfo &info, TargetAttr target) {
  int64_t bytes = 4;
  for (const OperandInfo &operand : info.operands)
    if (operand.isOutput)
      bytes = operand.elemBytes;
  return std::max<int64_t>(1, target.getVectorBits() / (8 * bytes));
}

/// One CPU candidate: `cache` and `reg` tiles with the cache tile at the
/// `level`-th cache level (0: L1; past the last: the last), priced by the
/// model, its explanation prefixed by `what`. Infinite time: not usable.
static Candidate cpuCandidate(const OpInfo &info, TargetAttr target,
                              unsigned level, ArrayRef<int64_t> cache,
                              ArrayRef<int64_t> reg, StringRef what) {
  SmallVector<MemoryLevelAttr> caches = cacheLevels(target);
  Candidate c;
  c.levels = {caches.empty() ? "cache"
                             : caches[std::min<size_t>(level, caches.size() - 1)]
                                   .getName()
                                   .str(),
              "register"};
  c.tiles = {SmallVector<int64_t>(cache), SmallVector<int64_t>(reg)};
  c.predictedUs = modelCPU(info, target, cache, reg, &c.explanation);
  c.explanation = what.str() + c.explanation;
  return c;
}

/// Rows of a tensor `strideBytes` apart that share one L1 set, out of
/// `rows` consecutive ones: rows a multiple of 4 KiB apart (an L1 way: 48
/// KiB / 12, 32 KiB / 8) share a set, so every (4096 / gcd(S, 4096))-th
/// row does.
static int64_t rowsPerL1Set(int64_t rows, int64_t strideBytes) {
  if (strideBytes <= 0)
    return rows; // unknown: assume the worst
  return ceilDiv(rows, 4096 / std::gcd<int64_t>(strideBytes, 4096));
}

/// Register tiles that must reuse each packed panel before packing pays:
/// a panel row costs one vector load and one store to copy, and saves the
/// tiles that read it their strided, possibly line-splitting loads.
static constexpr int64_t kPackMinReuse = 4;

SmallVector<unsigned> mlir::fourfold::roller::packedOperands(const OpInfo &info,
                                                             TargetAttr target,
                                                             ArrayRef<int64_t> cache,
                                                             ArrayRef<int64_t> reg) {
  SmallVector<unsigned> packed;
  std::optional<unsigned> v = vectorLoop(info);
  if (!v || vectorAlongWindow(info) || cache.size() != info.numLoops() ||
      reg.size() != info.numLoops())
    return packed;
  int64_t lanes = vectorLanes(info, target);
  // Whole vectors per panel row, at least one whole panel. (A B of nr
  // columns is packed too: as a welder group's slice its rows are still a
  // whole row of the original apart.)
  if (reg[*v] < lanes || reg[*v] % lanes != 0 ||
      std::min(cache[*v], info.ranges[*v]) < reg[*v])
    return packed;
  SmallVector<MemoryLevelAttr> caches = cacheLevels(target);
  int64_t l1 = caches.size() > 0 ? caches[0].getCapacity() : 32 * 1024;
  int64_t l2 = caches.size() > 1 ? caches[1].getCapacity() : 512 * 1024;
  for (auto [i, operand] : llvm::enumerate(info.operands)) {
    if (operand.isOutput || operand.dims.size() < 2)
      continue;
    // [unit..., k, n]: every dimension one loop, n the vector loop, k a
    // reduction, the others of extent 1 in the cache tile.
    if (!llvm::all_of(operand.dims, [](const IndexExpr &dim) {
          return dim.terms.size() == 1 && dim.terms.front().second == 1;
        }))
      continue;
    unsigned n = operand.dims.back().terms.front().first;
    unsigned k = operand.dims[operand.dims.size() - 2].terms.front().first;
    if (n != *v || !info.reduction[k])
      continue;
    bool unitRest = true;
    for (size_t d = 0; d + 2 < operand.dims.size(); ++d) {
      unsigned loop = operand.dims[d].terms.front().first;
      unitRest &= std::min(cache[loop], info.ranges[loop]) == 1;
    }
    if (!unitRest)
      continue;
    // Register tiles of one cache tile that read the same panel: those
    // along the parallel loops the operand does not index (matmul's m).
    int64_t reuse = 1;
    for (unsigned d = 0; d < info.numLoops(); ++d)
      if (!info.reduction[d] &&
          llvm::none_of(operand.dims, [&](const IndexExpr &dim) {
            return dim.terms.front().first == d;
          }))
        reuse *= ceilDiv(std::min(cache[d], info.ranges[d]), reg[d]);
    int64_t bytes = std::min(cache[k], info.ranges[k]) *
                    (std::min(cache[n], info.ranges[n]) / reg[n] * reg[n]) *
                    operand.elemBytes;
    if (reuse < kPackMinReuse || bytes > l2)
      continue;
    // A panel that stays in L1 as it is gains only aligned loads (bert's
    // 12x128x128x64 scores, B 32 KiB with rows 512 B apart: 2-4% slower
    // packed). It does not stay when its rows crowd into few L1 sets: more
    // than 8 rows per set (the ways, less what A and C use) evict each
    // other (n = 768: every 4th row, 22 of 88 per set).
    int64_t rowsPerSet = rowsPerL1Set(std::min(cache[k], info.ranges[k]),
                                      operand.rowStride * operand.elemBytes);
    if (bytes <= l1 && rowsPerSet <= 8)
      continue;
    packed.push_back(i);
  }
  return packed;
}

SmallVector<std::pair<unsigned, int64_t>>
mlir::fourfold::roller::paddedRowOperands(const OpInfo &info, ArrayRef<int64_t> reg) {
  SmallVector<std::pair<unsigned, int64_t>> padded;
  std::optional<unsigned> v = vectorLoop(info);
  if (!v || !vectorAlongWindow(info) || reg.size() != info.numLoops())
    return padded;
  for (auto [i, operand] : llvm::enumerate(info.operands)) {
    // [rows, c, ...]: every dimension one loop (a filter, not a window),
    // none the vector loop (so its elements are broadcast), the rows a
    // parallel loop the register tile spans.
    if (operand.isOutput || operand.dims.size() < 2 || operand.outerStride <= 0 ||
        !llvm::all_of(operand.dims, [&](const IndexExpr &dim) {
          return dim.terms.size() == 1 && dim.terms.front().second == 1 &&
                 dim.terms.front().first != *v;
        }))
      continue;
    unsigned rows = operand.dims.front().terms.front().first;
    if (info.reduction[rows])
      continue;
    // More rows per set than its 8 ways (less what the input rows and the
    // output use) evict each other every reduction step: ResNet-50's
    // 14x14 1024 -> 256 1x1 convolution (16 filter rows, all in one set of
    // Zen 4's 32 KiB 8-way L1d) ran at 44 GFLOP/s at 1 thread, the same
    // with 1040 channels at 100 (PyTorch 95). 512 channels (8 rows per
    // set) ran at 98.
    int64_t rowBytes = operand.outerStride * operand.elemBytes;
    if (rowsPerL1Set(reg[rows], rowBytes) <= 8)
      continue;
    // Pad the second dimension (c) by whole steps of it (KH x KW elements,
    // the extents of the loops indexing the rest, which a slice takes
    // whole) until the rows fall into different sets: at least a cache
    // line longer.
    int64_t inner = 1;
    for (size_t d = 2; d < operand.dims.size(); ++d)
      inner *= info.ranges[operand.dims[d].terms.front().first];
    int64_t lineElems = std::max<int64_t>(1, 64 / operand.elemBytes);
    int64_t stride = operand.outerStride, elemBytes = operand.elemBytes;
    auto perSet = [&](int64_t extra) {
      return rowsPerL1Set(reg[rows], (stride + extra * inner) * elemBytes);
    };
    int64_t extra = ceilDiv(lineElems, inner);
    for (int64_t last = extra + 64; extra < last && perSet(extra) > 2;)
      ++extra;
    padded.push_back({unsigned(i), extra});
  }
  return padded;
}

double mlir::fourfold::roller::modelCPU(const OpInfo &info, TargetAttr target,
                                        ArrayRef<int64_t> cache,
                                        ArrayRef<int64_t> reg,
                                        std::string *explanation) {
  unsigned n = info.numLoops();
  MemoryLevelAttr dram = cast<MemoryLevelAttr>(target.getLevels()[0]);
  SmallVector<MemoryLevelAttr> caches = cacheLevels(target);
  MemoryLevelAttr l1 = caches.empty() ? dram : caches.front();
  int64_t lanes = vectorLanes(info, target);
  int64_t tiles = 1;
  double full = 1, all = 1;
  for (unsigned d = 0; d < n; ++d) {
    all *= info.ranges[d];
    // What the register tile covers. A tile at least as large as its loop
    // is the whole loop: one static op, vectorised with a partial last
    // vector (53 columns as 4 vectors: 37x53x29 1.7 us vs 3.2 us as 3 x 16
    // columns and a scalar remainder of 5), not a remainder.
    full *= reg[d] >= info.ranges[d] ? info.ranges[d] : (info.ranges[d] / reg[d]) * reg[d];
    if (!info.reduction[d])
      tiles *= ceilDiv(info.ranges[d], cache[d]);
  }
  int64_t cores = target.getUnits();
  double active = std::min<int64_t>(cores, tiles);
  double peakPerCore = peakGFlops(info, target) * 1e9 / cores;
  // Vector registers: accumulators, one operand vector row, one broadcast.
  int64_t vectorDim = -1;
  for (const OperandInfo &operand : info.operands)
    if (operand.isOutput)
      if (std::optional<unsigned> loop = innermostLoop(operand))
        vectorDim = *loop;
  int64_t accumulators = 1;
  for (unsigned d = 0; d < n; ++d)
    if (!info.reduction[d])
      accumulators *= reg[d];
  int64_t vectors = vectorDim >= 0 ? ceilDiv(reg[vectorDim], lanes) : accumulators;
  // roller-lower's convolution tiles (a reduction over channels besides the
  // window: fmaMatmulTile) keep rows of a power-of-two number of registers
  // (a row of 33 or 48 is 4): 8 x 48 accumulators are 32 registers, not 24,
  // and such a tile crashed the accumulator hoisting before Lower.cpp kept
  // it in memory. Depthwise and pooling tiles keep the unpadded count (not
  // measured with the padded one; MobileNetV2's tiles are the same either
  // way).
  if (vectorDim >= 0 && vectorAlongWindow(info)) {
    SmallVector<bool> window = windowLoops(info);
    bool channels = false;
    for (unsigned d = 0; d < n; ++d)
      channels |= info.reduction[d] && !window[d] && reg[d] > 1;
    if (channels)
      vectors = llvm::PowerOf2Ceil(
          ceilDiv(std::min(reg[vectorDim], info.ranges[vectorDim]), lanes));
  }
  // Along an image row (NCHW) an input row that steps by s is read as s
  // times as many contiguous vectors before every s-th lane is kept: 6 x 64
  // accumulators of a stride-2 convolution spilled and ran at half the
  // speed of 8 x 32.
  int64_t rowStride = 1;
  if (vectorDim >= 0 && vectorAlongWindow(info))
    for (const OperandInfo &operand : info.operands)
      if (!operand.isOutput)
        for (const IndexExpr &dim : operand.dims)
          for (auto [loop, coeff] : dim.terms)
            if (int64_t(loop) == vectorDim)
              rowStride = std::max<int64_t>(rowStride, std::abs(coeff));
  int64_t registersNeeded =
      (vectorDim >= 0 ? accumulators / reg[vectorDim] * vectors : accumulators) +
      vectors * rowStride + 1;
  bool hasReduction = llvm::is_contained(info.reduction, true);
  if (hasReduction && registersNeeded > target.getRegsPerUnit())
    return kInfinity;
  // Partial vectors and the peeled remainder run below peak.
  double vectorEfficiency =
      vectorDim >= 0 ? double(std::min(reg[vectorDim], info.ranges[vectorDim])) /
                           double(vectors * lanes)
                     : 1.0 / lanes;
  double scalarRate = peakPerCore / lanes;
  double tCompute = (full * info.flopsPerPoint) /
                        (peakPerCore * vectorEfficiency * active) +
                    ((all - full) * info.flopsPerPoint) / (scalarRate * active);
  if (vectorDim >= 0 && vectorAlongWindow(info)) {
    // roller-lower vectorises these remainders too (masked to whole
    // registers): what is lost is the unused lanes.
    int64_t range = info.ranges[vectorDim], step = reg[vectorDim];
    double slots = (range / step) * roundUp(step, lanes) + roundUp(range % step, lanes);
    vectorEfficiency = double(range) / slots;
    tCompute = all * info.flopsPerPoint / (peakPerCore * vectorEfficiency * active);
  } else if (vectorDim >= 0 && info.contraction) {
    // Contractions: roller-lower vectorises the register tiles a cache tile
    // leaves over too, as static ops of their own width, where that width
    // is static: in every cache tile when the cache tile divides the row or
    // covers it; the last cache tile of one that does not is of dynamic
    // width, and its partial register tile runs scalar.
    // A width of more than one vector that is not a power-of-two number of
    // them (48; 49 or 17 lanes) is a vector<48xf32> row per accumulator
    // that LLVM widens to four registers and loads in pieces: 2048 x N x
    // 512 at 1 thread ran at 26-29 GFLOP/s for N = 17..63 with such tiles,
    // against 105-112 with widths of 16 / 32 / 64 and narrower remainders.
    int64_t range = info.ranges[vectorDim], step = reg[vectorDim];
    int64_t across = std::min(cache[vectorDim], range);
    auto slotsOf = [&](int64_t width) {
      bool odd = width > lanes && (width % lanes != 0 || !llvm::isPowerOf2_64(width / lanes));
      return double(roundUp(width, lanes)) * (odd ? 4.0 : 1.0);
    };
    double vectorSlots = 0, scalarColumns = 0;
    auto piece = [&](int64_t width, bool isStatic, double count) {
      if (isStatic)
        vectorSlots += count * slotsOf(width);
      else
        scalarColumns += count * width;
    };
    auto cacheTile = [&](int64_t width, bool isStatic, double count) {
      if (step >= width)
        return piece(width, isStatic, count);
      vectorSlots += count * (width / step) * slotsOf(step);
      if (int64_t rest = width % step)
        piece(rest, isStatic, count);
    };
    cacheTile(across, true, double(range / across));
    if (int64_t last = range % across)
      cacheTile(last, false, 1);
    // Likewise along the other parallel loops (the rows): the partial
    // register tile of a last cache tile of dynamic size runs scalar.
    double vectorRows = 1;
    for (unsigned d = 0; d < n; ++d) {
      if (info.reduction[d] || int64_t(d) == vectorDim || reg[d] <= 1)
        continue;
      int64_t rows = info.ranges[d], tile = std::min(cache[d], rows);
      vectorRows *= 1.0 - double(rows % tile % reg[d]) / double(rows);
    }
    double perColumn = all / double(range) * info.flopsPerPoint / active;
    tCompute = perColumn * vectorRows * (vectorSlots / peakPerCore + scalarColumns / scalarRate) +
               perColumn * (1 - vectorRows) * range / scalarRate;
    vectorEfficiency = double(range) / (vectorSlots + scalarColumns * lanes);
  }
  double dramBytes = tiles * tileTraffic(info, cache, dram.getTransaction());
  // Cache -> registers: each register tile step reads its operands.
  double regTiles = 1;
  for (unsigned d = 0; d < n; ++d)
    regTiles *= ceilDiv(info.ranges[d], reg[d]);
  double l1Bytes = 0;
  for (const OperandInfo &operand : info.operands)
    l1Bytes += regTiles * footprint(operand, reg) * operand.elemBytes;
  // Packed inputs: every cache tile's reduction step copies its panel
  // (one read and one write per element).
  SmallVector<unsigned> packed = packedOperands(info, target, cache, reg);
  double packBytes = 0;
  if (!packed.empty()) {
    double steps = 1;
    for (unsigned d = 0; d < n; ++d)
      if (info.reduction[d])
        steps *= ceilDiv(info.ranges[d], cache[d]);
    for (unsigned i : packed)
      packBytes += 2.0 * tiles * steps * footprint(info.operands[i], cache) *
                   info.operands[i].elemBytes;
    l1Bytes += packBytes;
  }
  // Every term is over the cores that have tiles (the model of the file
  // header; GPU global traffic is likewise divided by the utilisation): a
  // level's bandwidth is the whole device's, spread over its cores (the
  // host target's DRAM figure is explicitly per core x cores), so idle cores
  // do not stream DRAM for the busy ones. DRAM used to get the whole
  // device's bandwidth however few cores had tiles.
  double tDram = dramBytes / (bandwidth(dram) * active / cores);
  double tL1 = l1Bytes / (bandwidth(l1) * active / cores);
  double seconds = std::max({tCompute, tDram, tL1});
  if (explanation)
    *explanation = llvm::formatv(
        "{0} outer tiles on {1} of {2} cores; register tile uses {3} vector "
        "registers ({4} lanes, efficiency {5:f2}); compute {6:f2} us, DRAM "
        "{7:f2} us ({8} B), L1 {9:f2} us",
        tiles, int64_t(active), cores, registersNeeded, lanes, vectorEfficiency,
        tCompute * 1e6, tDram * 1e6, int64_t(dramBytes), tL1 * 1e6);
  if (explanation && !packed.empty())
    *explanation += llvm::formatv("; input {0} packed in {1}-wide panels ({2} B copied)",
                                  llvm::join(llvm::map_range(packed, [](unsigned i) {
                                               return std::to_string(i);
                                             }),
                                             ", "),
                                  reg[vectorDim], int64_t(packBytes))
                        .str();
  return seconds * 1e6;
}

SmallVector<Candidate> mlir::fourfold::roller::constructCPU(const OpInfo &info,
                                                            TargetAttr target,
                                                            unsigned topK) {
  unsigned n = info.numLoops();
  int64_t lanes = vectorLanes(info, target);
  // The vector loop walks the output's contiguous dimension; the "row" loop
  // is the next parallel loop of the output (the other side of the outer
  // product).
  const OperandInfo *output = nullptr;
  for (const OperandInfo &operand : info.operands)
    if (operand.isOutput)
      output = &operand;
  int vectorDim = -1, rowDim = -1;
  bool hasReduction = llvm::is_contained(info.reduction, true);
  SmallVector<bool> window = windowLoops(info);
  auto indexes = [](const OperandInfo &operand, unsigned loop) {
    return llvm::any_of(operand.dims, [&](const IndexExpr &dim) {
      return llvm::any_of(dim.terms, [&](auto term) { return term.first == loop; });
    });
  };
  if (output) {
    if (std::optional<unsigned> loop = innermostLoop(*output))
      if (!info.reduction[*loop])
        vectorDim = *loop;
    // The row loop is the other side of the outer product: a loop of the
    // output that some input read along the vector loop does not depend
    // on, so that its vectors are reused by every row (matmul's m, an NHWC
    // convolution's ow, an NCHW convolution's f: there oh would share no
    // operand, each row reading its own input vectors).
    auto reuses = [&](unsigned loop) {
      return llvm::any_of(info.operands, [&](const OperandInfo &operand) {
        return !operand.isOutput && indexes(operand, vectorDim) &&
               !indexes(operand, loop);
      });
    };
    for (int pass = hasReduction && vectorDim >= 0 ? 0 : 1; pass < 2 && rowDim < 0; ++pass)
      for (int i = int(output->dims.size()) - 2; i >= 0 && rowDim < 0; --i)
        for (auto [loop, coeff] : output->dims[i].terms)
          if (coeff == 1 && int(loop) != vectorDim && !info.reduction[loop] &&
              info.ranges[loop] > 1 && (pass == 1 || reuses(loop))) {
            rowDim = loop;
            break;
          }
  }
  // NCHW-like operators (the vector loop, ow, slides a window kw over the
  // input) get unit window loops and unrolled channels: such a register
  // tile is a matmul (f x c times c x ow) or an elementwise update (depthwise,
  // pooling) once its unit loops are dropped, which roller-lower vectorises.
  bool spatialVector = vectorAlongWindow(info);
  auto base = [&] { return SmallVector<int64_t>(n, 1); };
  // A transposing copy (linalg.transpose, a generic that yields its input
  // read through a permuted map): the input's contiguous loop `a` is not
  // the output's `b`. Vectors along b read the input a row apart per lane,
  // and with no cache blocking each output row dragged a cache line of
  // every input row (4096^2: 23 ms, 5.8 GB/s). Instead: register tiles of
  // T x T (T = one vector, at most 16), read as T input vectors along a,
  // transposed with shuffles, written as T output vectors along b
  // (roller-lower's transposeTile); cache tiles of such tiles along a and
  // b, every other loop 1, spread over the cores.
  if (info.isCopy && !hasReduction && vectorDim >= 0) {
    const OperandInfo *input = nullptr;
    for (const OperandInfo &operand : info.operands)
      if (!operand.isOutput)
        input = &operand;
    std::optional<unsigned> a = input ? innermostLoop(*input) : std::nullopt;
    bool permutation = input && input->dims.size() == n &&
                       llvm::all_of(input->dims, [](const IndexExpr &dim) {
                         return dim.terms.size() == 1 && dim.terms.front().second == 1;
                       });
    if (a && int(*a) != vectorDim && permutation) {
      unsigned b = vectorDim;
      int64_t side = std::min<int64_t>(lanes, 16);
      SmallVector<int64_t> reg = base();
      reg[*a] = std::min(info.ranges[*a], side);
      reg[b] = std::min(info.ranges[b], side);
      SmallVector<int64_t> cache(reg);
      cache[*a] = std::min(info.ranges[*a], roundUp(kTransposeBlock, reg[*a]));
      cache[b] = std::min(info.ranges[b], roundUp(kTransposeBlock, reg[b]));
      // Every core needs a tile: halve the larger of a and b.
      for (int guard = 0; guard < 64; ++guard) {
        int64_t tiles = 1;
        for (unsigned d = 0; d < n; ++d)
          tiles *= ceilDiv(info.ranges[d], cache[d]);
        if (tiles >= target.getUnits())
          break;
        unsigned d = cache[*a] / reg[*a] >= cache[b] / reg[b] ? *a : b;
        if (cache[d] < 2 * reg[d])
          break;
        cache[d] = std::max(reg[d], cache[d] / 2 / reg[d] * reg[d]);
      }
      Candidate c = cpuCandidate(
          info, target, 0, cache, reg,
          "transposing copy, register tiles transposed in vectors; ");
      if (std::isfinite(c.predictedUs))
        return {c};
    }
  }
  // Register tiles: for contractions, rows x vectors under the register file
  // (accumulators + one row of operand vectors + a broadcast), most FMAs per
  // load; elsewhere a few vectors along the contiguous loop.
  SmallVector<SmallVector<int64_t>> regTiles;
  SmallVector<bool> contiguousReduction(n, false);
  int reductions = llvm::count(info.reduction, true);
  for (const OperandInfo &operand : info.operands)
    if (!operand.isOutput)
      if (std::optional<unsigned> loop = innermostLoop(operand))
        if (info.reduction[*loop])
          contiguousReduction[*loop] = true;
  // A reduction along every input's contiguous dimension (softmax's row
  // max / sum, layernorm's mean / variance, row sums): the vectors run
  // ALONG the reduced loop, one register tile covering a whole row (a
  // whole number of vectors of it, up to 4096 elements; the rest of the row
  // is a scalar remainder), 4 rows in flight. roller-lower keeps vector
  // accumulators across the row and reduces horizontally once per row.
  // Vectors across the rows instead read each row's columns a cache line
  // apart and transposed them in registers (bert-small's attention: 43k
  // insert/extractelement after unrolling, 24 s to JIT).
  int rowReduction = -1;
  // A contraction whose inputs all read the reduced loop contiguously (a
  // matmul with a transposed B: F.linear's x @ w.T, linalg.matvec): dot
  // products, vectors along k (below).
  bool dotProduct = false;
  if (reductions == 1 && output && !spatialVector) {
    unsigned r = llvm::find(info.reduction, true) - info.reduction.begin();
    bool any = false, allInner = true, spansAll = true;
    for (const OperandInfo &operand : info.operands)
      if (!operand.isOutput && indexes(operand, r)) {
        any = true;
        std::optional<unsigned> inner = innermostLoop(operand);
        allInner &= inner && *inner == r && operand.dims.back().terms.size() == 1;
        // A contraction: some such input does not span all rows.
        for (unsigned d = 0; d < n; ++d)
          spansAll &= info.reduction[d] || info.ranges[d] == 1 || indexes(operand, d);
      }
    // Dot products pay a horizontal reduction per output: only along at
    // least 4 vectors of k (37x53x29 with w.T: 7.2 us as dot products of
    // 29, 4.7 us with 4 x 16 outer products reading w.T strided).
    if (any && allInner && info.ranges[r] >= (spansAll ? lanes : 4 * lanes)) {
      rowReduction = r;
      dotProduct = !spansAll;
    }
  }
  // Dot products: a register tile of mr x nr outputs (nr along the
  // output's contiguous loop, mr along the next), each a row of vector
  // accumulators along k that roller-lower reduces horizontally once at the
  // end; an input vector of k is loaded once per step and used by every
  // output that reads it. Vectors along n instead read w.T a row apart per
  // lane (F.linear 1x1000x2048 ran at 0.1x of OpenBLAS). mr x nr <= 8 keeps
  // the accumulators (x2 unrolled) and the loaded vectors in 32 registers;
  // 1 x 4 measured best for one row (77 us vs 80 for 1 x 8, 83 for 1 x 2 on
  // 1x1000x2048, numpy 77 us).
  if (rowReduction >= 0 && dotProduct) {
    unsigned r = rowReduction;
    SmallVector<unsigned> outLoops; // the output's parallel loops, innermost first
    for (int i = int(output->dims.size()) - 1; i >= 0; --i)
      for (auto [loop, coeff] : output->dims[i].terms)
        if (coeff == 1 && !info.reduction[loop] && info.ranges[loop] > 1 &&
            !llvm::is_contained(outLoops, loop))
          outLoops.push_back(loop);
    SmallVector<int64_t> reg = base();
    reg[r] = std::min<int64_t>(info.ranges[r] / lanes * lanes, 4096);
    int col = outLoops.size() > 0 ? int(outLoops[0]) : -1;
    int row = outLoops.size() > 1 ? int(outLoops[1]) : -1;
    if (col >= 0)
      reg[col] = std::min<int64_t>(info.ranges[col], 4);
    if (row >= 0)
      reg[row] = std::min<int64_t>(info.ranges[row], std::max<int64_t>(1, 8 / reg[col]));
    SmallVector<int64_t> cache(reg);
    cache[r] = roundUp(info.ranges[r], reg[r]); // one pass along k per tile
    // All rows of the other input at once (it is reused by every column);
    // columns: enough tiles for every core, their k panels within ~L2/2 so
    // that the row tiles reuse them.
    if (row >= 0)
      cache[row] = roundUp(info.ranges[row], reg[row]);
    if (col >= 0) {
      int64_t others = 1;
      for (unsigned d = 0; d < n; ++d)
        if (!info.reduction[d] && int(d) != col && int(d) != row)
          others *= info.ranges[d];
      int64_t units = std::max<int64_t>(1, target.getUnits());
      int64_t perUnit = ceilDiv(info.ranges[col], std::max<int64_t>(1, units / others));
      int64_t panel = std::max<int64_t>(1, cache[r] * (output ? output->elemBytes : 4));
      // With one row nothing reuses the panels: a core's columns in one
      // tile, whose remainder (the columns past a whole number of register
      // tiles) then has a static size and is vectorised too.
      int64_t fit = std::max<int64_t>(reg[col], (256 * 1024) / panel);
      cache[col] = row < 0 ? roundUp(perUnit, reg[col])
                           : std::max(reg[col], std::min(perUnit, fit) / reg[col] * reg[col]);
      if (cache[col] >= info.ranges[col])
        cache[col] = info.ranges[col];
      // Equal tiles, as many as needed.
      int64_t count = ceilDiv(info.ranges[col], cache[col]);
      if (count > 1)
        cache[col] = std::max(reg[col], roundUp(ceilDiv(info.ranges[col], count), reg[col]));
    }
    Candidate c = cpuCandidate(
        info, target, 1, cache, reg,
        "dot products along the contiguous reduction, vectors along it; ");
    if (std::isfinite(c.predictedUs))
      return {c};
  }
  if (rowReduction >= 0 && !dotProduct) {
    unsigned r = rowReduction;
    int row = -1;
    for (int i = int(output->dims.size()) - 1; i >= 0 && row < 0; --i)
      for (auto [loop, coeff] : output->dims[i].terms)
        if (coeff == 1 && !info.reduction[loop] && info.ranges[loop] > 1) {
          row = loop;
          break;
        }
    SmallVector<int64_t> reg = base();
    reg[r] = std::min<int64_t>(info.ranges[r] / lanes * lanes, 4096);
    if (row >= 0)
      reg[row] = std::min<int64_t>(info.ranges[row], 4);
    SmallVector<int64_t> cache(reg);
    cache[r] = roundUp(info.ranges[r], reg[r]); // no cache-level loop along the row
    // Rows: enough for every core, whole register tiles, at most ~L2/2.
    int64_t rowBytes = std::max<int64_t>(1, info.ranges[r] * (output ? output->elemBytes : 4));
    int64_t rowsTotal = 1;
    for (unsigned d = 0; d < n; ++d)
      if (!info.reduction[d])
        rowsTotal *= info.ranges[d];
    int64_t units = std::max<int64_t>(1, target.getUnits());
    if (row >= 0) {
      int64_t others = rowsTotal / info.ranges[row];
      int64_t perUnit = ceilDiv(info.ranges[row], std::max<int64_t>(1, units / std::max<int64_t>(1, others)));
      int64_t fit = std::max<int64_t>(reg[row], (256 * 1024) / rowBytes);
      cache[row] = std::max(reg[row], roundUp(std::min(perUnit, fit), reg[row]));
    }
    Candidate c = cpuCandidate(
        info, target, 1, cache, reg,
        "row reduction along the contiguous loop, vectors along it; ");
    if (std::isfinite(c.predictedUs))
      return {c};
  }
  bool gemv = vectorDim >= 0 && rowDim < 0 && hasReduction;
  // A GEMV proper: a matrix streamed once against a broadcast vector (an
  // input that the vector loop does not index), not a plain reduction.
  bool gemvContraction =
      gemv && llvm::any_of(info.operands, [&](const OperandInfo &operand) {
        return !operand.isOutput && !operand.dims.empty() && !indexes(operand, vectorDim);
      });
  // No reduction, a body with polynomial-expanded math (erf, tanh, exp),
  // and every input read along the vector loop is read contiguously along
  // it (a transposed read gathers across rows instead).
  bool elementwiseRows =
      vectorDim >= 0 && !hasReduction && info.expandedMath &&
      llvm::all_of(info.operands, [&](const OperandInfo &operand) {
        if (operand.isOutput || !indexes(operand, vectorDim))
          return true;
        std::optional<unsigned> inner = innermostLoop(operand);
        return inner && int(*inner) == vectorDim;
      });
  if (vectorDim >= 0) {
    int64_t range = info.ranges[vectorDim];
    // A power-of-two number of vector registers per row: LLVM splits an odd
    // count (vector<48xf32> on AVX-512) with shuffles, measured here at a
    // fifth of the speed of 32 or 64 lanes.
    // GEMV-like operators (no row loop: one output row) stream the matrix
    // with a shorter reduction step (4, more independent loads in flight).
    // 4 vectors per row there too: with the 8-row panels below, 1x4096x4096
    // ran 5-10% faster with 64 columns than with 128 (1 and 2 threads).
    for (int64_t v = 1; v <= 4; v *= 2) {
      int64_t nr = std::min<int64_t>(v * lanes, range >= lanes ? roundUp(range, lanes) : range);
      // Rows of one vector (an NCHW image row of 14 or 7) need more of them
      // for enough independent accumulators: 16 x 14 ran 1.15x faster than
      // 8 x 14 on ResNet's 14x14 stage.
      int64_t maxRows = rowDim < 0 ? 1 : spatialVector && v == 1 ? 16 : 8;
      // Elementwise operators whose math becomes long polynomial chains:
      // every row multiplies the registers each temporary needs, and rows
      // share nothing. GELU's erf on 8 x 64 spilled (92 us vs 54 for 1 x 64
      // on 128x3072; 1 x 32: 61, 1 x 128: 57). Cheap bodies keep their rows
      // (bias + relu 128x3072: 8 x 64 ran 1.3x faster than 1 x 64).
      if (elementwiseRows && nr >= lanes)
        maxRows = 1;
      for (int64_t mr = 1; mr <= maxRows; ++mr) {
        if (rowDim >= 0 && mr > info.ranges[rowDim])
          break;
        SmallVector<int64_t> reg = base();
        reg[vectorDim] = nr;
        if (rowDim >= 0)
          reg[rowDim] = mr;
        // Unroll the reduction that walks an input's contiguous dimension
        // (matmul's k, a convolution's channels); window loops (kh, kw)
        // stay 1 so that a convolution tile is a 1-D convolution the
        // vectoriser handles.
        for (unsigned d = 0; d < n; ++d)
          if (info.reduction[d])
            reg[d] = spatialVector ? (window[d] ? 1 : std::min<int64_t>(info.ranges[d], 8))
                     : contiguousReduction[d] || reductions == 1
                         ? std::min<int64_t>(info.ranges[d], gemv ? 4 : 8)
                         : 1;
        regTiles.push_back(reg);
      }
      if (nr >= range)
        break;
    }
  }
  if (regTiles.empty())
    regTiles.push_back(base());

  SmallVector<MemoryLevelAttr> caches = cacheLevels(target);
  int64_t l1 = caches.size() > 0 ? caches[0].getCapacity() : 32 * 1024;
  int64_t l2 = caches.size() > 1 ? caches[1].getCapacity() : 512 * 1024;
  int64_t l3 = caches.size() > 2 ? caches[2].getCapacity() : 8 * 1024 * 1024;
  std::string cacheName = caches.size() > 1 ? caches[1].getName().str()
                                            : (caches.empty() ? "cache" : caches[0].getName().str());
  int64_t elem = output ? output->elemBytes : 4;

  // A few-row contraction (x[4, k] @ B) streams its matrix, the input the
  // row loop does not index, like a GEMV when that matrix comes from beyond
  // L2. One that L2 holds (MobileNetV2's 96 -> 16 projection of a welder
  // group's 7 x 28 tile, 75 KB) has no streams to spare for the prefetchers:
  // its tiles are the general contraction's.
  bool matrixStreams =
      rowDim >= 0 && hasReduction &&
      llvm::any_of(info.operands, [&](const OperandInfo &operand) {
        return !operand.isOutput && !operand.dims.empty() && !indexes(operand, rowDim) &&
               footprint(operand, info.ranges) * operand.elemBytes > l2;
      });
  SmallVector<Candidate> candidates;
  for (ArrayRef<int64_t> reg : regTiles) {
    // Cache tile: reduction panel for L1, rows for L2, vector columns for L3
    // (shared by the cores), in multiples of the register tile.
    SmallVector<int64_t> cache(reg);
    int64_t mr = rowDim >= 0 ? reg[rowDim] : 1;
    int64_t nr = vectorDim >= 0 ? reg[vectorDim] : 1;
    int64_t kc = 1;
    // The matrix is streamed once when a register tile holds every row
    // (GEMV, or a few rows: x[4, k] @ B), as in a GEMV proper.
    bool streamed =
        gemvContraction || (matrixStreams && mr >= info.ranges[rowDim]);
    for (unsigned d = 0; d < n; ++d)
      if (info.reduction[d]) {
        int64_t fit = std::max<int64_t>(reg[d], (l1 / 2) / ((mr + nr) * elem));
        cache[d] = std::min(info.ranges[d], std::max(reg[d], fit / reg[d] * reg[d]));
        // Streamed: no other register tile reuses the panel, every row of
        // the matrix is a stream read once. 8 rows at a time (the output
        // panel stays in L1 between them) keep few streams in flight for the
        // prefetchers: 1x4096x4096 1.35-1.5 ms vs 2.0 ms with the L1-sized
        // panel of 44 rows (numpy 1.7 ms); 4x4096x4096 2.2-2.3 ms vs 3.3 ms
        // with 88 rows, 2.8 ms with 16 (numpy 6.6 ms); 1 thread.
        if (streamed)
          cache[d] = std::min(info.ranges[d], std::max<int64_t>(reg[d], 8));
        kc *= cache[d];
      }
    if (rowDim >= 0) {
      int64_t fit = std::max<int64_t>(mr, (l2 / 2) / (std::max<int64_t>(1, kc) * elem));
      cache[rowDim] = std::min(roundUp(info.ranges[rowDim], mr), fit / mr * mr);
    }
    if (vectorDim >= 0) {
      int64_t fit = std::max<int64_t>(nr, (l3 / (2 * target.getUnits())) /
                                              (std::max<int64_t>(1, kc) * elem));
      cache[vectorDim] = std::min(roundUp(info.ranges[vectorDim], nr), fit / nr * nr);
    }
    // GEMV: one panel of columns per core, split evenly (halving below
    // left 1x4097x4096 three tiles on two cores).
    if (streamed && cache[vectorDim] >= info.ranges[vectorDim])
      cache[vectorDim] = roundUp(ceilDiv(info.ranges[vectorDim], target.getUnits()), nr);
    // Every core needs a tile: halve the largest parallel cache tile.
    for (int guard = 0; guard < 64; ++guard) {
      int64_t tiles = 1;
      for (unsigned d = 0; d < n; ++d)
        if (!info.reduction[d])
          tiles *= ceilDiv(info.ranges[d], cache[d]);
      if (tiles >= target.getUnits())
        break;
      int largest = -1;
      for (unsigned d = 0; d < n; ++d)
        if (!info.reduction[d] && cache[d] >= 2 * reg[d] &&
            (largest < 0 || cache[d] / reg[d] > cache[largest] / reg[largest]))
          largest = d;
      if (largest < 0)
        break;
      cache[largest] = std::max(reg[largest], cache[largest] / 2 / reg[largest] * reg[largest]);
    }
    // Equal tiles: as many as the sizes need, spread evenly (in register
    // tiles), so that no core gets a sliver.
    for (unsigned d = 0; d < n; ++d) {
      int64_t count = ceilDiv(info.ranges[d], cache[d]);
      cache[d] = std::max(reg[d], roundUp(ceilDiv(info.ranges[d], count), reg[d]));
    }
    Candidate c;
    c.levels = {cacheName, "register"};
    c.tiles = {cache, SmallVector<int64_t>(reg)};
    c.predictedUs = modelCPU(info, target, cache, reg, &c.explanation);
    if (!std::isfinite(c.predictedUs))
      continue;
    candidates.push_back(c);
  }
  // Equal predictions (compute-bound tiles) go to the register tile with the
  // most FMAs per operand load, then the larger one.
  auto reuse = [&](const Candidate &c) {
    int64_t rows = rowDim >= 0 ? c.tiles[1][rowDim] : 1;
    int64_t cols = vectorDim >= 0 ? c.tiles[1][vectorDim] : 1;
    return double(rows * cols) / double(rows + ceilDiv(cols, lanes));
  };
  // A register tile holding every row of a few-row contraction streams the
  // matrix once (above): 8x4096x4096 3.4 ms with 8 x 32 tiles vs 4.3 ms with
  // 4 x 64 (more reuse per load, but the matrix panel read twice). A matrix
  // in L2 is cheap to read twice: 8 x 32 tiles over 16 x 16 on the
  // projection above (72 us per block vs 89 for 16 x 16 with k in steps of
  // 8, whose full and remainder tiles spilled, 1 thread).
  auto allRows = [&](const Candidate &c) {
    return gemvContraction || (matrixStreams && c.tiles[1][rowDim] >= info.ranges[rowDim]);
  };
  // Predictions within 2% are a tie: the model is not finer than that.
  llvm::stable_sort(candidates, [&](const Candidate &a, const Candidate &b) {
    if (std::abs(a.predictedUs - b.predictedUs) > 2e-2 * std::max(a.predictedUs, b.predictedUs))
      return a.predictedUs < b.predictedUs;
    if (allRows(a) != allRows(b))
      return allRows(a);
    return reuse(a) > reuse(b);
  });
  if (candidates.size() > topK)
    candidates.resize(topK);
  return candidates;
}
