//===- Fourfold.h - C API of the fourfold dialects -----------------------===//

#ifndef FOURFOLD_CAPI_FOURFOLD_H
#define FOURFOLD_CAPI_FOURFOLD_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Roller, roller);
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Welder, welder);
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Rammer, rammer);
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Grinder, grinder);

/// Inserts the four fourfold dialects into `registry`.
MLIR_CAPI_EXPORTED void fourfoldRegisterAllDialects(MlirDialectRegistry registry);
/// Registers every fourfold pass and pipeline (idempotent).
MLIR_CAPI_EXPORTED void fourfoldRegisterAllPasses(void);

/// The stages of pipeline `name` ("cpu" or "gpu") configured by `options`
/// (its option string, e.g. "chip=sm_80"): `callback` gets one line per stage,
/// "<stage name>\t<textual pass pipeline>". On failure `callback` gets the
/// error message instead and the result is failure.
MLIR_CAPI_EXPORTED MlirLogicalResult fourfoldGetPipelineStages(
    MlirStringRef name, MlirStringRef options, MlirStringCallback callback,
    void *userData);

#ifdef __cplusplus
}
#endif

#endif // FOURFOLD_CAPI_FOURFOLD_H
