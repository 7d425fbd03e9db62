//===- TileGraph.h - welder's tile-graph: propagation and the policy -----===//
//
// The tile-graph of a block: its linalg operators on tensors (static shapes)
// are the nodes, the tensors between them the edges. A tile of one node's
// loops gives the tile of every producer (backward, through the consumer's
// operand map and the producer's output map) and of every consumer
// (forward). On top of that sits Welder's model: for a group of nodes and
// the tile of its sink, the fast-memory footprint of one tile, the
// global-memory bytes of the whole group, the recomputed work, and a time.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_WELDER_TILEGRAPH_H
#define FOURFOLD_WELDER_TILEGRAPH_H

#include "Roller/Policy.h"
#include "Roller/Roller.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include <functional>
#include <vector>
#include <optional>
#include <string>

namespace mlir::fourfold::welder {

/// Whether a group computes `producer`'s tile once and keeps it in fast memory
/// rather than recomputing it inside each of its elementwise consumers: a
/// generic with several users whose body is expensive (transcendental math,
/// ~20 vector ops each). The policy prices it once, marks its edge `shared`,
/// and welder-lower keeps it an operator of its own.
bool computedOnce(Operation *producer);

/// Tile (per loop of `producer`) that produces what a tile `consumerTile` of
/// the consumer's loops reads through operand `operand` of `consumer`: the
/// operand's extents (windows widen by their halos, clamped to the
/// producer's ranges) mapped onto the producer's loops through its output
/// map, whose reduction loops are covered whole. Fails when the producer's
/// output map is not a projected permutation.
FailureOr<llvm::SmallVector<int64_t>>
propagateBackward(const roller::OpInfo &consumer, unsigned operand,
                  llvm::ArrayRef<int64_t> consumerTile,
                  const roller::OpInfo &producer, unsigned producerResult);

/// Tile of the consumer's loops that reads exactly the producer tile
/// `producerTile` through operand `operand`: loops indexing the operand
/// alone (a plain dimension) take the producer's extent there; every other
/// loop (reductions, windows, loops the operand does not depend on) is
/// covered whole.
llvm::SmallVector<int64_t> propagateForward(const roller::OpInfo &producer,
                                            unsigned producerResult,
                                            llvm::ArrayRef<int64_t> producerTile,
                                            const roller::OpInfo &consumer,
                                            unsigned operand);

/// What welder's model needs of a target.
struct MemoryModel {
  bool gpu = false;
  int64_t fastBytes = 0;     // per unit: shared memory (GPU), L2 (CPU)
  int64_t cacheBytes = 0;    // per core (CPU): the cache that outlives a tile
  int64_t slots = 1;         // tiles running at once at full speed: SMs, or cores
  int64_t units = 1;
  double globalBytesPerSec = 1;
  double peakFlops = 1;      // whole device
  double launchUs = 0;       // one kernel launch / parallel region
  int64_t vectorLanes = 1;   // f32 lanes of a vector register (CPU)
  roller::TargetAttr target; // roller prices a node that runs alone
  static MemoryModel fromTarget(roller::TargetAttr target);
};

struct Node {
  linalg::LinalgOp op;
  roller::OpInfo info;
  llvm::SmallVector<int> producers;        // per operand: node index or -1
  llvm::SmallVector<unsigned> producerResults; // per operand: result number
  llvm::SmallVector<std::pair<unsigned, unsigned>> users; // (node, operand)
  bool usedOutside = false; // by something that is not a node
};

/// A group's plan: its nodes, the sink's tile and the model's figures.
struct GroupPlan {
  llvm::SmallVector<unsigned> nodes; // program order; the sink is last
  unsigned sink = 0;
  llvm::SmallVector<int64_t> tile;   // over the sink's loops
  llvm::DenseMap<unsigned, int64_t> uses; // in-group uses (copies computed per tile)
  llvm::DenseMap<unsigned, llvm::SmallVector<int64_t>> nodeTiles;
  int64_t tiles = 0;         // group tiles over the whole output
  int64_t kernels = 1;       // >1: one tile, its cache-level operators apart
  int64_t footprint = 0;     // bytes of fast memory one tile needs
  double bytes = 0;          // global-memory bytes of the group
  double tileBytes = 0;      // the same with every tile reading its inputs
  double flops = 0;          // including recomputed halos
  double us = 0;             // modelled time
  double unfusedBytes = 0;   // the same nodes one kernel each
  double unfusedUs = 0;
  bool fits = false;         // footprint within the fast memory
  std::string why;           // when a plan is not possible
};

class TileGraph {
public:
  /// The nodes of `block`'s linalg ops (those the policy can describe);
  /// `whyNot` collects (op, reason) for the others.
  explicit TileGraph(Block &block);

  const std::vector<Node> &nodes() const { return nodes_; }
  std::optional<unsigned> indexOf(Operation *op) const;
  llvm::SmallVector<std::pair<Operation *, std::string>> skipped;

  /// The model's figures for `nodes` (program order, sink last) computed
  /// tile by tile with the sink's tile `tile`; a plan with empty nodeTiles
  /// and `why` set when the tile does not propagate.
  GroupPlan evaluate(llvm::ArrayRef<unsigned> nodes, llvm::ArrayRef<int64_t> tile,
                     const MemoryModel &memory) const;
  /// The best tile for `nodes` (fitting plans first, then fastest, then
  /// fewest bytes, then the largest tile). A group whose every tile
  /// overflows the fast memory gets its smallest-footprint plan, fits=false.
  GroupPlan best(llvm::ArrayRef<unsigned> nodes, const MemoryModel &memory) const;
  /// The best of the given sink tiles, by the same order.
  GroupPlan bestOf(llvm::ArrayRef<unsigned> nodes,
                   llvm::ArrayRef<llvm::SmallVector<int64_t>> tiles,
                   const MemoryModel &memory) const;

  /// Welder's greedy grouping: from the last node backwards, each group
  /// takes producers while all their users are in the group, the merged
  /// plan fits and is modelled no slower than the group and the producer
  /// apart. `note` hears the decisions (for remarks).
  std::vector<GroupPlan>
  partition(const MemoryModel &memory, unsigned maxNodes, bool fuse,
            const std::function<void(Operation *, const std::string &)> &note) const;

  /// Tile candidates for one loop: divisors of `range` close to powers of
  /// two, and the whole range (tiles that divide keep inner shapes static).
  static llvm::SmallVector<int64_t> tileCandidates(int64_t range);

  /// Adds to `plan` the figures of its nodes run one kernel each.
  void addUnfused(GroupPlan &plan, const MemoryModel &memory) const;

  /// One node alone (memoised). On the CPU welder-lower leaves a lone node
  /// untiled and roller tiles it whole, so its plan is roller's cache tile
  /// and time; elsewhere (or where roller has no tile) best() of the node.
  const GroupPlan &single(unsigned node, const MemoryModel &memory) const;

private:
  std::vector<Node> nodes_;
  mutable llvm::DenseMap<unsigned, GroupPlan> singles_;
  llvm::DenseMap<Operation *, unsigned> index_;
};

/// Whether node `n` (not a group's sink) lives in registers: every use
/// takes it into its own body (an elementwise generic read by elementwise
/// generics), so that no tile of it is ever stored.
bool inRegisters(const TileGraph &graph, unsigned n);

} // namespace mlir::fourfold::welder

#endif // FOURFOLD_WELDER_TILEGRAPH_H
