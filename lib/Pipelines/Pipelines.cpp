//===- Pipelines.cpp - fourfold's named lowering pipelines ---------------===//

#include "Pipelines/Pipelines.h"

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
static constexpr llvm::StringLiteral kTosaToLinalg =
    "func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor),"
    "canonicalize";

// Tensors to buffers. Entry arguments marked `bufferization.writable = false`
// (the Python runtime marks them) are copied rather than written in place.
static constexpr llvm::StringLiteral kBufferize =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map}";

ArrayRef<StringRef> mlir::fourfold::getSupportedChips() {
  static const StringRef chips[] = {"sm_80", "sm_86", "sm_89", "sm_90"};
  return chips;
}

FailureOr<std::string>
mlir::fourfold::getCPUPipeline(const CPUPipelineOptions &options,
                               std::string &error) {
  std::string pipeline = (kTosaToLinalg + "," + kBufferize).str();
  if (options.outParams)
    pipeline += ",buffer-results-to-out-params{modify-public-functions=1}";
  pipeline +=
      ",buffer-deallocation-pipeline,convert-bufferization-to-memref,"
      "func.func(convert-linalg-to-loops),convert-scf-to-cf,"
      "expand-strided-metadata,lower-affine,"
      // Math ops LLVM has intrinsics for first; the rest (tanh, erf) call libm.
      "convert-math-to-llvm,convert-math-to-libm,"
      "finalize-memref-to-llvm,convert-func-to-llvm,convert-arith-to-llvm,"
      "convert-cf-to-llvm,convert-index-to-llvm,reconcile-unrealized-casts";
  return "builtin.module(" + pipeline + ")";
}

FailureOr<std::string>
mlir::fourfold::getGPUPipeline(const GPUPipelineOptions &options,
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

  std::string pipeline = (kTosaToLinalg + "," + kBufferize).str();
  pipeline +=
      ",buffer-deallocation-pipeline,convert-bufferization-to-memref,"
      // Parallel loops become blocks x threads; the canonicalize between
      // tiling and mapping folds the affine.min bounds that odd sizes leave
      // (otherwise no kernel is produced).
      "func.func(convert-linalg-to-parallel-loops,"
      "scf-parallel-loop-tiling{parallel-loop-tile-sizes=16,16},canonicalize,"
      "gpu-map-parallel-loops,convert-parallel-loops-to-gpu),"
      "gpu-kernel-outlining,lower-affine,convert-scf-to-cf,canonicalize," +
      attach +
      ",gpu.module(convert-gpu-to-nvvm{index-bitwidth=64},canonicalize,cse,"
      "reconcile-unrealized-casts)," +
      toBinary;
  if (options.lowerHost)
    pipeline += ",expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
                "gpu-to-llvm,convert-func-to-llvm,convert-arith-to-llvm,"
                "convert-cf-to-llvm,convert-index-to-llvm,"
                "reconcile-unrealized-casts";
  return "builtin.module(" + pipeline + ")";
}

/// Registers `name` as a pipeline whose text comes from `build`; option
/// errors come back through the registry's error handler, so fourfold-opt and
/// PassManager.parse report them as diagnostics instead of crashing.
template <typename Options>
static void registerTextPipeline(
    StringRef name, StringRef description,
    FailureOr<std::string> (*build)(const Options &, std::string &)) {
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
        FailureOr<std::string> text = build(options, error);
        if (failed(text))
          return errorHandler(name + ": " + error);
        std::string parseError;
        llvm::raw_string_ostream os(parseError);
        // The text is a builtin.module(...) pipeline; nest its body into pm.
        StringRef body = StringRef(*text).drop_front(strlen("builtin.module(")).drop_back();
        if (failed(parsePassPipeline(body, pm, os)))
          return errorHandler(name + ": " + parseError);
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
      &getCPUPipeline);
  registerTextPipeline<GPUPipelineOptions>(
      "fourfold-gpu-pipeline",
      "Lower linalg-on-tensors (or tosa) to gpu + nvvm and embed PTX "
      "(gpu-module-to-binary format=isa)",
      &getGPUPipeline);
}
