//===- Passes.td - welder passes ------------------------------------------===//

#ifndef FOURFOLD_WELDER_PASSES_TD
#define FOURFOLD_WELDER_PASSES_TD

include "mlir/Pass/PassBase.td"

def WelderTileGraph : Pass<"welder-tile-graph", "ModuleOp"> {
  let summary = "Group operators into fused kernels over a tile-graph (Welder's policy)";
  let description = [{
    Builds the tile-graph of every function (linalg operators on tensors with
    static shapes as nodes, the tensors between them as edges), then grows
    fusion groups greedily from the outputs backwards: a producer joins its
    consumers' group when all its users are in the group, the group's tile
    (over the sink's parallel loops, propagated to every member through the
    indexing maps) fits the fast memory level of the target, and the
    model's time of the merged group (global-memory bytes over bandwidth vs
    flops over peak, including recomputed halo work, plus one launch) is no
    worse than the two apart.

    Each group becomes a `welder.group` holding its operators, with the
    chosen `tile`, a `welder.tile` per node (the propagated tile), a
    `welder.levels` entry per result (`register`: fused into its consumer's
    body; `shared`: a tile kept in shared memory / cache; `global`), and the
    model's figures: `welder.bytes` (global bytes of the fused kernel),
    `welder.unfused_bytes` (the same operators run one kernel each),
    `welder.predicted_us`.

    Groups already present are kept as written: an empty `tile` is chosen by
    the policy, a given one is propagated (and a node's own `welder.tile`,
    when the group has none, is propagated forward to the sink first).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"host\"",
           "sm_80, sm_90, host, a #roller.target<...> attribute, or @file holding one">,
    Option<"maxNodes", "max-nodes", "unsigned", /*default=*/"32",
           "Largest number of operators in one group">,
    Option<"fuse", "fuse", "bool", /*default=*/"true",
           "Grow groups; false puts every operator in a group of its own "
           "(the unfused baseline, with the same figures)">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark per group and per rejected merge">,
  ];
  let dependentDialects = ["::mlir::fourfold::welder::WelderDialect",
                           "::mlir::fourfold::roller::RollerDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def WelderLower : Pass<"welder-lower", "ModuleOp"> {
  let summary = "Turn each welder.group into one fused loop nest (CPU)";
  let description = [{
    For every group: producers whose edge is `register` are fused into their
    consumers' bodies (no intermediate tensor at all; a producer read by
    several consumers is recomputed in each only when its body is cheap,
    else it is handled like a `shared` one and computed once); then the
    group's sink is tiled by the group's `tile` (an scf.forall over the cores,
    or scf.for) and every producer with a `shared` edge is computed tile by
    tile inside that loop, so its intermediate lives in a tile-sized buffer
    that stays in cache instead of a whole tensor in DRAM. An elementwise
    consumer reading such a tile where it writes updates it in place, in its
    own destination. The group is then inlined into its function; roller
    tiles the operators inside each group tile for registers (treating one
    group tile as one core's work).
  }];
  let options = [
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "Run group tiles over the cores (scf.forall)">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect"];
}

#endif // FOURFOLD_WELDER_PASSES_TD
