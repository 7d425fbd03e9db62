//===- Pipelines.cpp - fourfold's named lowering pipelines ---------------===//

#include "Pipelines/Pipelines.h"

#include "Roller/Targets.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::fourfold;

// tosa (if any) to linalg on tensors; a no-op on linalg input.
static Stage frontendStage() {
  return {"frontend", "func.func(tosa-to-linalg-named,tosa-to-linalg,"
                      "tosa-to-arith,tosa-to-tensor),canonicalize"};
}

// Tensors to buffers. Entry arguments marked `bufferization.writable = false`
// (the Python runtime marks them) are copied rather than written in place.
// Loops may yield fresh buffers (a loop-carried tensor written by a kernel);
// grinder-hoist-buffers then moves the per-iteration buffers out of loops
// where the previous iteration's contents are dead, before deallocations are
// placed. A result that is one static allocation is written straight into
// the caller's buffer (hoist-static-allocs) instead of being copied there
// after the kernel (37x53x29 matmul: one malloc and a 7.8 KB copy per call).
static Stage bufferizeStage(bool outParams) {
  std::string passes = "one-shot-bufferize{bufferize-function-boundaries "
                       "allow-return-allocs-from-loops "
                       "function-boundary-type-conversion=identity-layout-map}";
  // A result that is a reshape of an allocation (an output that is a view:
  // flatten, reshape) is allocated in the result's shape first, so that it
  // too goes straight into the caller's buffer.
  if (outParams)
    passes += ",func.func(grinder-reshape-results),buffer-results-to-out-params{modify-public-functions=1 "
              "hoist-static-allocs=1}";
  passes += ",func.func(grinder-hoist-buffers),buffer-deallocation-pipeline,"
            "convert-bufferization-to-memref";
  return {"bufferize", passes};
}

ArrayRef<StringRef> mlir::fourfold::getSupportedChips() {
  static const StringRef chips[] = {"sm_80", "sm_86", "sm_89", "sm_90"};
  return chips;
}

/// `value` as one pass option value: a #roller.target attribute (or a file
/// name) holds commas, spaces and `=`, which the pass option parser would
/// otherwise split into options of their own ("no such option cpu"), so
/// such values go in braces (the parser strips them). Plain names are
/// written as they are.
static std::string passOptionValue(StringRef value) {
  if (value.find_first_of(" ,={}<>\"'[]") == StringRef::npos)
    return value.str();
  return "{" + value.str() + "}";
}

FailureOr<SmallVector<Stage>>
mlir::fourfold::getCPUStages(const CPUPipelineOptions &options,
                             std::string &error) {
  SmallVector<Stage> stages = {frontendStage()};
  // x @ w.T with a few rows of x reads w's rows in place (before welder
  // groups a transpose with the matmul), see roller-fold-transposes.
  // Einsum-style contractions (heads laid out between tokens and dims) as
  // (batch) matmuls first, see roller-normalize-contractions.
  // NCHW convolutions that run faster as a matmul over a copy of
  // their patches get it before welder, so that the copy is made once, not
  // per group tile (roller-construct takes the 1x1 stride-1 ones, which
  // need no copy, inside welder's tiles), see roller-convs-as-matmuls.
  stages.front().passes += options.roller
                               ? ",func.func(roller-normalize-contractions,"
                                 "roller-fold-transposes,roller-convs-as-matmuls{target=" +
                                     passOptionValue(options.target) + " pointwise=false})"
                               : ",func.func(roller-fold-transposes)";
  if (options.welder)
    // Fusion groups with a tile each, then one loop nest per group whose
    // intermediates are tiles (roller tiles the insides next).
    stages.push_back({"welder", "welder-tile-graph{target=" +
                                    passOptionValue(options.target) +
                                    "},welder-lower{parallel=" +
                                    (options.parallel ? "true" : "false") +
                                    "},canonicalize,cse"});
  if (options.roller)
    // rTiles for every operator (the host's caches and vector registers),
    // then tiled, peeled, vectorised loop nests on tensors.
    stages.push_back({"roller", "roller-construct{target=" +
                                    passOptionValue(options.target) +
                                    "},roller-lower{parallel=" +
                                    (options.parallel ? "true" : "false") +
                                    "},canonicalize,cse"});
  stages.push_back(bufferizeStage(options.outParams));
  if (options.grinder && options.parallel)
    // Every loop / branch with kernels inside: driven from the host (a
    // parallel region per kernel and iteration), run inside one parallel
    // region, or on one core, whichever the cost model predicts fastest.
    stages.push_back({"grinder", "grinder-schedule{target=" +
                                     passOptionValue(options.target) +
                                     "},grinder-lower,canonicalize"});
  if (options.rammer && options.parallel)
    // Runs of independent kernels become rPrograms: one parallel region
    // each, rTasks placed on the cores ahead of time, barriers between
    // dependent segments.
    stages.push_back({"rammer", "rammer-schedule{target=" +
                                    passOptionValue(options.target) +
                                    "},rammer-lower,canonicalize"});
  stages.append(SmallVector<Stage>{
      // Parallel tiles (scf.forall) become OpenMP worksharing loops; the
      // canonicalize inlines the alloca scopes scf-to-openmp wraps bodies in
      // (scf-to-cf cannot split blocks inside them).
      // Copies into or out of strided views (a padded input's interior)
      // become loops too, not the runtime's element-wise memrefCopy.
      {"loops", "func.func(roller-lower-copies,convert-linalg-to-loops),scf-forall-to-parallel,"
                "convert-scf-to-openmp,canonicalize,convert-scf-to-cf,"
                "expand-strided-metadata,lower-affine"},
      // Math ops become LLVM intrinsics where LLVM has one (exp, tanh: the
      // back end calls libm for the ones it cannot expand); the rest (erf)
      // become libm calls. Vector ops (from vectorised kernels) go to LLVM
      // before memrefs do.
      {"llvm", "convert-math-to-llvm,convert-math-to-libm,"
               // n-D transfers unrolled to 1-D ones (the default places
               // stack buffers inside loops), contractions to FMAs.
               "func.func(lower-vector-multi-reduction),"
               "convert-vector-to-scf{full-unroll=true},convert-scf-to-cf,"
               "convert-vector-to-llvm{vector-contract-lowering=outerproduct},"
               "finalize-memref-to-llvm,convert-openmp-to-llvm,"
               "convert-func-to-llvm,convert-arith-to-llvm,convert-cf-to-llvm,"
               "convert-index-to-llvm,convert-ub-to-llvm,"
               "reconcile-unrealized-casts"}});
  return stages;
}

FailureOr<SmallVector<Stage>>
mlir::fourfold::getGPUStages(const GPUPipelineOptions &options,
                             std::string &error) {
  const std::string &chip = options.chip;
  if (!llvm::is_contained(getSupportedChips(), chip)) {
    error = "unsupported GPU chip '" + chip + "'; supported: " +
            llvm::join(getSupportedChips(), ", ");
    return failure();
  }
  if (options.optLevel > 3) {
    error = llvm::formatv("O must be 0..3, got {0}", options.optLevel.getValue());
    return failure();
  }
  std::string attach = llvm::formatv("nvvm-attach-target{{chip={0} O={1}", chip,
                                     options.optLevel.getValue());
  std::string toBinary = "gpu-module-to-binary{format=isa";
  if (!options.toolkit.empty()) {
    SmallString<256> libdevice(options.toolkit.getValue());
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (!llvm::sys::fs::exists(libdevice)) {
      error = "no libdevice under toolkit '" + options.toolkit + "' (looked for " +
              libdevice.str().str() + ")";
      return failure();
    }
    attach += " l=" + libdevice.str().str();
    toBinary += " toolkit=" + options.toolkit.getValue();
  }
  attach += "}";
  toBinary += "}";

  SmallVector<Stage> stages = {frontendStage()};
  if (options.roller)
    stages.front().passes += ",func.func(roller-normalize-contractions)";
  // Welder's groups need roller's tiles inside them (its thread loops are
  // what the mapping below distributes).
  if (options.welder && options.roller)
    stages.push_back({"welder", "welder-tile-graph{target=" + chip +
                                    "},welder-lower,canonicalize,cse"});
  if (options.roller)
    stages.push_back({"roller", "roller-construct{target=" + chip +
                                    "},roller-lower{gpu=true},canonicalize,cse"});
  stages.push_back(bufferizeStage(/*outParams=*/false));
  // Loops and branches holding kernels: launched per kernel and iteration
  // from the host, or one persistent kernel with grid barriers. Its grid is
  // one block per SM, so it needs the chip's target description (sm_80,
  // sm_90): on a chip without one, a guessed SM count could leave blocks
  // unscheduled and the grid barrier waiting forever.
  bool hasTarget = llvm::is_contained(roller::getTargetNames(), chip);
  if (options.grinder && hasTarget)
    stages.push_back({"grinder", "grinder-schedule{target=" + chip +
                                     "},grinder-lower{gpu=true target=" +
                                     chip + "},canonicalize"});
  // Runs of independent kernels become rPrograms: one launch each, a grid
  // of the blocks the SMs hold at once (vEUs), rTasks placed on them ahead
  // of time, grid barriers between dependent segments. Needs the chip's
  // target description for the same reason as grinder.
  if (options.rammer && hasTarget)
    stages.push_back({"rammer", "rammer-schedule{target=" + chip +
                                    "},rammer-lower{gpu=true target=" + chip +
                                    "},canonicalize"});
  stages.append(SmallVector<Stage>{
      // Parallel loops become blocks of 16x16 threads. Tiles have fixed
      // bounds with an in-bounds check inside: convert-parallel-loops-to-gpu
      // cannot read the affine.min bounds of odd sizes, and canonicalizing
      // them away would also merge the block and thread loops into one
      // (blocks of one thread).
      // Block-level tile loops holding thread-level ones (roller's, and a
      // welder group's several with shared tiles between them) are mapped
      // by roller-map-gpu; what is left by upstream.
      {"gpu-map", "func.func(roller-map-gpu,lower-vector-multi-reduction,"
                  "convert-linalg-to-parallel-loops,"
                  "scf-parallel-loop-tiling{parallel-loop-tile-sizes=16,16 "
                  "no-min-max-bounds=true},"
                  // roller's block / thread foralls join here: the
                  // outer scf.parallel becomes blocks, the nested one
                  // threads.
                  "scf-forall-to-parallel,"
                  "gpu-map-parallel-loops,convert-parallel-loops-to-gpu),"
                  // Constants (vector ones too) move into the kernels
                  // rather than travel as kernel arguments.
                  "gpu-launch-sink-index-computations,gpu-kernel-outlining,lower-affine,convert-scf-to-cf,"
                  "canonicalize"},
      // Vector code (roller's per-thread tiles) unrolls to scalar FMAs.
      {"nvvm", attach + ",gpu.module(expand-strided-metadata,lower-affine,"
                        "convert-vector-to-scf{full-unroll=true},"
                        "convert-scf-to-cf,"
                        "convert-vector-to-llvm{vector-contract-lowering=outerproduct},"
                        "convert-gpu-to-nvvm{index-bitwidth=64},"
                        "canonicalize,cse,reconcile-unrealized-casts)"},
      {"binary", toBinary}});
  if (options.lowerHost)
    stages.push_back(
        {"host", "expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
                 "gpu-to-llvm,convert-func-to-llvm,convert-arith-to-llvm,"
                 "convert-cf-to-llvm,convert-index-to-llvm,"
                 "reconcile-unrealized-casts"});
  return stages;
}

template <typename Options>
static FailureOr<SmallVector<Stage>>
parseAndBuild(StringRef options, std::string &error,
              FailureOr<SmallVector<Stage>> (*build)(const Options &,
                                                     std::string &)) {
  Options parsed;
  // The option parser names the bad option on stderr; this is the summary.
  if (failed(parsed.parseFromString(options))) {
    error = "invalid pipeline options '" + options.str() + "'";
    return failure();
  }
  return build(parsed, error);
}

FailureOr<SmallVector<Stage>> mlir::fourfold::getStages(StringRef name,
                                                        StringRef options,
                                                        std::string &error) {
  if (name == "cpu")
    return parseAndBuild<CPUPipelineOptions>(options, error, &getCPUStages);
  if (name == "gpu")
    return parseAndBuild<GPUPipelineOptions>(options, error, &getGPUStages);
  error = "unknown pipeline '" + name.str() + "'; known: cpu, gpu";
  return failure();
}

/// Registers `name` as a pipeline whose text comes from `build`; option
/// errors come back through the registry's error handler, so fourfold-opt and
/// PassManager.parse report them as diagnostics instead of crashing.
template <typename Options>
static void registerTextPipeline(
    StringRef name, StringRef description,
    FailureOr<SmallVector<Stage>> (*build)(const Options &, std::string &)) {
  registerPassPipeline(
      name, description,
      [build, name](OpPassManager &pm, StringRef optionsStr,
                    function_ref<LogicalResult(const Twine &)> errorHandler)
          -> LogicalResult {
        Options options;
        if (failed(options.parseFromString(optionsStr)))
          return errorHandler("invalid options for '" + name + "': " +
                              optionsStr);
        std::string error;
        FailureOr<SmallVector<Stage>> stages = build(options, error);
        if (failed(stages))
          return errorHandler(name + ": " + error);
        for (const Stage &stage : *stages) {
          std::string parseError;
          llvm::raw_string_ostream os(parseError);
          if (failed(parsePassPipeline(stage.passes, pm, os)))
            return errorHandler(name + " (stage " + stage.name +
                                "): " + parseError);
        }
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(Options());
      });
}

void mlir::fourfold::registerPipelines() {
  registerTextPipeline<CPUPipelineOptions>(
      "fourfold-cpu-pipeline",
      "Lower linalg-on-tensors (or tosa) to the LLVM dialect for the host CPU",
      &getCPUStages);
  registerTextPipeline<GPUPipelineOptions>(
      "fourfold-gpu-pipeline",
      "Lower linalg-on-tensors (or tosa) to gpu + nvvm and embed PTX "
      "(gpu-module-to-binary format=isa)",
      &getGPUStages);
}
