//===- Pipelines.h - fourfold's named lowering pipelines -----------------===//
//
// Two pipelines take linalg-on-tensors (or tosa) to a target:
//   fourfold-cpu-pipeline   -> LLVM dialect for the host CPU
//   fourfold-gpu-pipeline   -> gpu + nvvm, PTX embedded by gpu-module-to-binary
// They are built from upstream passes; the fourfold passes (welder, roller,
// rammer, grinder) are inserted into them as those land.
//
//===----------------------------------------------------------------------===//

#ifndef FOURFOLD_PIPELINES_PIPELINES_H
#define FOURFOLD_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"
#include "mlir/Support/LLVM.h"
#include <string>

namespace mlir {
class OpPassManager;
namespace fourfold {

struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> outParams{
      *this, "out-params",
      llvm::cl::desc("Turn returned buffers into trailing out-parameters (what "
                     "the Python runtime calls)"),
      llvm::cl::init(true)};
  Option<bool> welder{*this, "welder",
                      llvm::cl::desc("Fuse operators into groups over welder's "
                                     "tile-graph (intermediates stay in cache)"),
                      llvm::cl::init(true)};
  Option<bool> roller{*this, "roller",
                      llvm::cl::desc("Tile, peel and vectorise every operator "
                                     "with roller's rTiles"),
                      llvm::cl::init(true)};
  Option<bool> rammer{*this, "rammer",
                      llvm::cl::desc("Co-schedule independent kernels in one "
                                     "parallel region per rProgram (needs "
                                     "parallel)"),
                      llvm::cl::init(true)};
  Option<bool> grinder{*this, "grinder",
                       llvm::cl::desc("Place loops and branches on the host, "
                                      "in one parallel region, or on one core "
                                      "(needs parallel)"),
                       llvm::cl::init(true)};
  Option<bool> parallel{*this, "parallel",
                        llvm::cl::desc("Spread roller's outer tiles over the "
                                       "cores (OpenMP; OMP_NUM_THREADS sets "
                                       "how many)"),
                        llvm::cl::init(true)};
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("roller's target: host (this "
                                            "machine) or a #roller.target"),
                             llvm::cl::init("host")};
};

struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("Target GPU: sm_80 or sm_90 (also "
                                          "sm_86, sm_89)"),
                           llvm::cl::init("sm_90")};
  Option<unsigned> optLevel{*this, "O",
                            llvm::cl::desc("LLVM optimisation level of the "
                                           "device code"),
                            llvm::cl::init(3)};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit root; its libdevice is linked so that math "
                     "functions (__nv_*) resolve"),
      llvm::cl::init("")};
  Option<bool> welder{*this, "welder",
                      llvm::cl::desc("Fuse operators into one kernel per "
                                     "welder group: a block per group tile, "
                                     "intermediate tiles in shared memory"),
                      llvm::cl::init(true)};
  Option<bool> roller{*this, "roller",
                      llvm::cl::desc("Tile with roller's GPU rTiles: blocks x "
                                     "threads, per-thread register tiles, "
                                     "contraction operands staged in shared "
                                     "memory"),
                      llvm::cl::init(true)};
  Option<bool> grinder{*this, "grinder",
                       llvm::cl::desc("Place loops and branches on the host or "
                                      "in one persistent kernel (grid "
                                      "barriers between kernels)"),
                       llvm::cl::init(true)};
  Option<bool> rammer{*this, "rammer",
                      llvm::cl::desc("Co-schedule independent kernels in one "
                                     "kernel launch per rProgram (grid "
                                     "barriers between dependent segments)"),
                      llvm::cl::init(true)};
  Option<bool> lowerHost{*this, "lower-host",
                         llvm::cl::desc("Also lower the host code to the LLVM "
                                        "dialect (calls to mgpu* runtime "
                                        "functions)"),
                         llvm::cl::init(false)};
};

/// The GPU chips the GPU pipeline accepts.
ArrayRef<StringRef> getSupportedChips();

/// A named step of a pipeline: its passes as a textual pipeline nested in
/// builtin.module. The Python API runs stages one by one and keeps the IR
/// after each; the registered pipelines run them back to back.
struct Stage {
  std::string name;
  std::string passes;
};

/// The stages of each pipeline; fails with a message in `error` for options
/// it cannot honour.
FailureOr<SmallVector<Stage>> getCPUStages(const CPUPipelineOptions &options,
                                           std::string &error);
FailureOr<SmallVector<Stage>> getGPUStages(const GPUPipelineOptions &options,
                                           std::string &error);

/// The stages of pipeline `name` ("cpu" or "gpu") configured by `options`,
/// written in the pipeline's option syntax ("chip=sm_80 O=2").
FailureOr<SmallVector<Stage>> getStages(StringRef name, StringRef options,
                                        std::string &error);

/// Register both pipelines with the global pass registry.
void registerPipelines();

} // namespace fourfold
} // namespace mlir

#endif // FOURFOLD_PIPELINES_PIPELINES_H
