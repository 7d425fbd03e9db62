//===- Passes.td - roller passes ------------------------------------------===//

#ifndef FOURFOLD_ROLLER_PASSES_TD
#define FOURFOLD_ROLLER_PASSES_TD

include "mlir/Pass/PassBase.td"

def RollerConstruct : Pass<"roller-construct", "ModuleOp"> {
  let summary = "Construct an rTile for every tensor operator (Roller's policy and micro-performance model)";
  let description = [{
    For each linalg operator with static loop ranges, builds candidate rTiles
    by Roller's construction: start from the smallest aligned tile, grow it
    along the dimension with the best data reuse (traffic saved per byte of
    fast memory) until the memory level is full, shrink until every compute
    unit has work, and rank the candidates with the micro-performance model
    (bytes per memory level over its bandwidth against flops over peak, in
    waves of blocks over compute units). The best one is attached as
    `roller.tile`, with the model's time as `roller.predicted_us`; the
    module gets the target as `roller.target`.

    GPU targets tile for shared memory (block tile, reduction step) and
    registers (per-thread tile); CPU targets tile for the caches and a
    register tile of vector FMAs. Operators the policy cannot tile (dynamic
    shapes, non-affine indexing, no loops) keep no tile and get a remark.
    An operator that already carries `roller.tile` is left as written.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"host\"",
           "sm_80, sm_90, host, a #roller.target<...> attribute, or @file holding one">,
    Option<"topK", "top-k", "unsigned", /*default=*/"1",
           "Keep this many ranked candidates (as roller.candidates) for measurement">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark per operator explaining the choice">,
    Option<"pack", "pack", "bool", /*default=*/"true",
           "CPU: mark the inputs the policy packs into panels (roller.pack); "
           "false reads every operand in place">,
    Option<"matmulConvs", "convs-as-matmuls", "bool", /*default=*/"true",
           "CPU: 1x1 stride-1 NCHW convolutions of one image (welder tiles "
           "of whole rows too) as matmuls over their pixels where that fills "
           "more vector lanes (roller-convs-as-matmuls' model); false keeps "
           "them convolutions">,
  ];
  let dependentDialects = ["::mlir::fourfold::roller::RollerDialect"];
}

def RollerLower : Pass<"roller-lower", "ModuleOp"> {
  let summary = "Materialise rTiles: cache/register tiling, peeling and vectorisation (CPU)";
  let description = [{
    For every operator carrying `roller.tile` under a CPU target: tiles it
    with one loop nest per rTile level (outermost level first; its parallel
    loops as one scf.forall over the cores), peels the
    partial tiles that sizes not divisible by the register tile leave (they
    stay scalar), vectorises the full register tiles, and hoists the
    accumulators out of the reduction loops so they stay in registers.
    Runs on tensors, before bufferization. Under a GPU target everything is
    left for the GPU lowering. Once a CPU module is lowered its
    `roller.target` is dropped: the decisions are in the loops now, and the
    module stays readable by tools that do not know the roller dialect.
  }];
  let options = [
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "Run the outermost level's tiles over the cores (scf.forall; the CPU "
           "pipeline turns it into an OpenMP parallel loop)">,
    Option<"gpu", "gpu", "bool", /*default=*/"false",
           "Also lower operators under GPU targets: block tiles and thread "
           "tiles as nested scf.forall (mapped to blocks and threads by the GPU "
           "pipeline), the reduction step as a loop, each thread's tile "
           "vectorised with its accumulator in registers (experimental)">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::tensor::TensorDialect", "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect"];
}

def RollerLowerCopies : Pass<"roller-lower-copies"> {
  let summary = "memref.copy between views that are not contiguous as linalg.copy (CPU)";
  let description = [{
    After bufferization, a copy into or out of a strided view (a padded
    tensor's interior, a slice of a concatenation) is a memref.copy that
    finalize-memref-to-llvm turns into a call of the runtime's generic
    memrefCopy, which moves one element at a time (a 1x96x28x28 pad took
    200 us). As linalg.copy it becomes a loop nest (convert-linalg-to-loops)
    whose rows LLVM vectorises. Copies between contiguous buffers stay
    memref.copy (they become memcpy).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def RollerFoldTransposes : Pass<"roller-fold-transposes"> {
  let summary = "A transposed operand of a few-row matmul read in place, of a many-row contraction materialised (CPU)";
  let description = [{
    `linalg.matmul(x, linalg.transpose(w))` with at most `max-rows` rows of
    x (F.linear's x @ w.T as the PyTorch importer writes it when w is an
    input, a GEMV-like shape) becomes one linalg.matmul whose B map is
    (m, n, k) -> (n, k) on w itself: roller tiles it as dot products along
    w's contiguous rows, and w.T is never materialised (reading and writing
    w once more than the product, which at a few rows is all its cost).
    Matmuls with more rows keep the transpose: their outer-product kernel
    wants B's rows along n. The transpose stays while anything else uses it.
    Likewise short reductions (fewer than `min-depth` elements of k, too
    short for dot products) keep it.

    Conversely, a contraction (linalg.generic, linalg.matmul or
    linalg.batch_matmul with user maps) that reads an operand B with k
    contiguous and n in another dimension (x @ w.T, attention's q @ k^T
    written as one generic) gets that operand materialised by a
    linalg.transpose (n contiguous) when it has more than `max-rows` rows
    or fewer than `min-depth` elements of k: its outer-product kernel then
    reads B's rows along n instead of gathering them a row apart per lane
    (256x256x32 q @ k^T: 540 us in place, ~25 us with the transpose).
  }];
  let options = [
    Option<"maxRows", "max-rows", "int64_t", /*default=*/"16",
           "Fold only when the matmul has at most this many rows (M)">,
    Option<"minDepth", "min-depth", "int64_t", /*default=*/"64",
           "Fold only when the reduction has at least this many elements "
           "(roller's dot products need 4 vectors of k: 64 f32 on AVX-512)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}


def RollerNormalizeContractions : Pass<"roller-normalize-contractions"> {
  let summary = "Contractions written as generics with batch / transposed / several-dim layouts as linalg.matmul or batch_matmul";
  let description = [{
    A linalg.generic that multiplies and sums (an einsum: attention's
    scores over heads laid out as (tokens, heads, dim), an output projection
    reducing over heads and dims at once) is a matmul whose operands are not
    in matmul's layout. Roller tiles such a generic as it is, and its
    register tiles then gather operands at large strides (a BERT layer's
    heads-to-model projection ran at 7 GFLOP/s). Here each becomes
    transposes into [batch, m, k] x [batch, k, n] (dimensions of one kind
    collapsed into one), a linalg.batch_matmul (linalg.matmul without batch
    dimensions), and a transpose back into the original output layout; an
    init that is a fill becomes a fill of the new shape. The copies cost a
    pass over each operand, which roller's transposes do near memory speed.
    Only f32 multiply-add bodies with static shapes; generics already in
    matmul's or batch_matmul's layout are left to roller as they are.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def RollerConvsAsMatmuls : Pass<"roller-convs-as-matmuls"> {
  let summary = "NCHW convolutions as one matmul over their patches, where that fills more vector lanes (CPU)";
  let description = [{
    Roller vectorises an NCHW convolution along one output row, so rows
    narrower than a vector waste lanes (7 of 16 at 7 x 7, 4 at 4 x 4) and a
    stride makes each lane's input a gather. The convolution is also
    W[F, C x KH x KW] x P[C x KH x KW, N x OH x OW], with P the input's
    patches (im2col, the images side by side): a matmul whose vectors run
    along all N x OH x OW outputs, in NCHW order for one image (several are
    transposed into it afterwards). This pass rewrites a
    `linalg.conv_2d_nchw_fchw` under a CPU target that way when the matmul
    fills more vector lanes than the convolution's rows do, counting, unless
    the filter is 1x1 with stride 1 and there is one image (P is then the
    image itself, a reshape), the copy into P against the matmul's 2F flops
    per patch element, and only when one image's P fits in one core's L2
    (the target's `L2` level). ResNet's 7x7 stem, 3x3
    convolutions on wide images and convolutions with few filters stay
    convolutions, which measured faster there (the model and the numbers:
    lib/Dialect/Roller/Transforms/ConvsAsMatmuls.cpp). The patches are a
    linalg.generic that welder may fuse into the matmul's tiles like
    any producer. The CPU pipeline runs this pass before welder with
    `pointwise=false`, so that a copy is made once rather than per group
    tile; roller-construct takes the 1x1 stride-1 convolutions (no copy)
    inside welder's tiles, where their groups stay intact (a collapse of
    H and W needs a tile of whole rows). Convolutions already carrying a
    `roller.tile` are left alone.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"host\"",
           "host, a #roller.target<...> attribute, or @file holding one; when not given, a roller.target attached to an enclosing op, else host">,
    Option<"pointwise", "pointwise", "bool", /*default=*/"true",
           "Take 1x1 stride-1 convolutions (no copy; the CPU pipeline leaves "
           "them to roller-construct, which takes them inside welder's tiles)">,
    Option<"patches", "patches", "bool", /*default=*/"true",
           "Take convolutions that need a copy into the patch matrix">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::fourfold::roller::RollerDialect"];
}

def RollerMapGPU : Pass<"roller-map-gpu"> {
  let summary = "Tile loops (a block-level scf.forall holding thread-level ones) as gpu.launch, tiles in shared memory";
  let description = [{
    After bufferization, every top-level `scf.forall` with static trips
    that holds thread-level foralls (roller's block / thread tiles, or a
    welder group's tile holding one thread-level loop per fused operator)
    becomes one `gpu.launch`: one block per iteration of the outer loop
    (its indices from the block id), as many threads as the widest
    thread-level loop has iterations (at most 1024). Each thread-level loop
    becomes a loop over its iterations strided by the block's threads,
    followed by a block barrier, so that an operator reads the tile the
    previous one wrote. Buffers allocated inside a block (a fused group's
    intermediate tiles) become the kernel's workgroup (shared) memory;
    buffers allocated inside a thread's loop its private memory. Writes
    left at block level (outside any thread loop) are made by thread 0,
    then the block waits. Loops without thread-level loops inside are left
    to the upstream mapping. A block needing more than 48 KiB of shared
    memory, or a loop with dynamic trips, is an error.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // FOURFOLD_ROLLER_PASSES_TD
